# KeyGate server image: build with the Swift toolchain, run on Debian slim.
#
#   docker build -t keygate .
#   docker run -d --name keygate -p 7700-7799:7700-7799 -v keygate-keys:/keys -v keygate-ftp:/srv/ftp keygate
#
# The server creates its keys in the /keys volume on first start and reuses
# them on every restart; nothing secret is ever part of the image.

FROM swift:6.3-bookworm AS build
WORKDIR /src
# The manifest first, so the layer with the sources is the only one that
# changes when code changes.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product keygate \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/keygate" /out/keygate

FROM debian:bookworm-slim
# A fixed, unprivileged user; /keys, /srv/ftp and its home belong to it, so
# named volumes mounted there are writable (clients keep their keys in the
# home: -v alice-keys:/home/keygate).
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/keygate --shell /usr/sbin/nologin keygate \
    && mkdir -p /keys /srv/ftp \
    && chown keygate:keygate /keys /srv/ftp \
    && chmod 0700 /keys
COPY --from=build /out/keygate /usr/local/bin/keygate
USER keygate
WORKDIR /home/keygate
ENV KEYGATE_KEYS=/keys
VOLUME ["/keys", "/srv/ftp"]
# The control port and the data port range; publish both
# (-p 7700-7799:7700-7799), or choose a smaller range with --data-ports.
EXPOSE 7700 7701-7799
# A plain TCP check: needs no key.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["keygate", "probe", "127.0.0.1:7700", "--timeout", "2"]
ENTRYPOINT ["keygate"]
CMD ["serve", "--keys", "/keys", "--services", "chat,ftp", "--ftp-root", "/srv/ftp"]
