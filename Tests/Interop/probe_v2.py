#!/usr/bin/env python3
"""Conformance probes of a running KeyGate server against protocol v2.

Each probe speaks the wire protocol with keygate_v2_client.py's Noise
states and checks one rule of the specification, citing its section. It
prints one line per probe: PASS, FAIL (with what was expected and what was
observed) or SKIP, and exits 1 if any probe failed.

  probe_v2.py --port P --alice alice.key --bob bob.key --stranger mallory.key \
              --server-key server.pub [--authorized-keys FILE] [--slow] [--only NAME]

--alice and --bob must be allowed (names "alice" and "bob"), --stranger not.
--authorized-keys lets the probes append lines to the server's allow-list
(an unnamed key, an unpadded key). --slow adds the probes that wait for
the server's 5-second and 30-second timers.
"""

import argparse
import base64
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keygate_v2_client as kg  # noqa: E402

XX = "Noise_XX_25519_ChaChaPoly_SHA256"
IK = "Noise_IK_25519_ChaChaPoly_SHA256"
NNPSK0 = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"

RESULTS = []


class Failure(Exception):
    pass


def expect(condition, text):
    if not condition:
        raise Failure(text)


def now_us():
    return int(time.time() * 1_000_000)


class Probe:
    def __init__(self, args):
        self.args = args
        self.notes = []
        self.host = args.host
        self.port = args.port
        self.alice = kg.KeyPair(kg.read_key_line(args.alice)[1])
        self.bob = kg.KeyPair(kg.read_key_line(args.bob)[1]) if args.bob else None
        self.stranger = kg.KeyPair(kg.read_key_line(args.stranger)[1])
        self.server_key = kg.read_key_line(args.server_key)[1]

    # -- helpers ------------------------------------------------------------

    def note(self, text):
        self.notes.append(text)

    def connect(self, port=None, source=None, timeout=6.0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        if source:
            sock.bind((source, 0))
        sock.connect((self.host, port or self.port))
        return kg.Connection(sock)

    def closed_within(self, connection, seconds):
        """True if the peer closes (EOF or reset) within `seconds` without sending a frame."""
        connection.sock.settimeout(seconds)
        try:
            data = connection.sock.recv(1)
            return data == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def handshake(self, pattern="XX", static=None, service="chat", timestamp=None, ephemeral=None,
                  payload1=None, payload3=None, raw_message1=None, source=None):
        """A control handshake; returns a dict with the connection, states and what happened."""
        name = XX if pattern == "XX" else IK
        static = static or self.alice
        connection = self.connect(source=source)
        connection.send_frame(name.encode())
        state = kg.HandshakeState(name, True, kg.control_prologue(name), s=static, e=ephemeral,
                                  rs=self.server_key if pattern == "IK" else None)
        result = {"connection": connection, "state": state, "message2": None, "first": None}
        if pattern == "XX":
            connection.send_frame(raw_message1 if raw_message1 is not None
                                  else state.write_message(payload1 or b""))
            message2 = connection.read_frame()
            result["message2"] = message2
            if message2 is None or raw_message1 is not None:
                return result
            state.read_message(message2)
            connection.send_frame(state.write_message(
                service.encode() if payload3 is None else payload3))
        else:
            stamp = now_us() if timestamp is None else timestamp
            payload = kg.ik_payload(stamp, service) if payload1 is None else payload1
            connection.send_frame(raw_message1 if raw_message1 is not None else state.write_message(payload))
            try:
                message2 = connection.read_frame()
            except ConnectionResetError:
                message2 = None
            result["message2"] = message2
            if message2 is None or raw_message1 is not None:
                return result
            result["payload2"] = state.read_message(message2)
        send, receive = state.split()
        result["send"], result["receive"] = send, receive
        try:
            first = connection.read_frame()
        except ConnectionResetError:
            first = None
        if first is not None:
            result["first_raw"] = receive.decrypt(first)
            result["first"] = json.loads(result["first_raw"].decode())
        return result

    def grant(self, **options):
        result = self.handshake(**options)
        expect(result["first"] is not None and result["first"].get("ok") is True,
               "expected a grant, got %r" % (result["first"],))
        return result

    def resume(self, result, source=None):
        """Section 4: RESUME; returns (transport, first service message)."""
        connection = self.connect(result["first"]["port"], source=source)
        connection.send_frame(result["send"].encrypt(kg.RESUME))
        first = connection.read_frame()
        expect(first is not None, "data port closed the RESUME connection")
        transport = kg.Transport(connection, result["send"], result["receive"])
        return transport, result["receive"].decrypt(first)

    def chat(self, static=None, pattern="XX"):
        result = self.grant(static=static, pattern=pattern)
        transport, first = self.resume(result)
        return result, transport, json.loads(first)

    def ftp(self, pattern="XX"):
        result = self.grant(service="ftp", pattern=pattern)
        transport, first = self.resume(result)
        expect(first.startswith(b"220"), "FTP greeting %r" % first)
        return FTP(self, result, transport)

    # -- probes: section 3 ----------------------------------------------------

    def probe_negotiation_unknown_name_closed_at_once(self):
        """3.1 / 9: an unsupported protocol name is closed at once, nothing sent."""
        for name in ["Noise_XX_448_ChaChaPoly_SHA256", NNPSK0, "not a noise name", "\xff"]:
            connection = self.connect()
            started = time.monotonic()
            connection.send_frame(name.encode("utf-8", "surrogateescape"))
            expect(self.closed_within(connection, 2.0), "%r: connection not closed within 2 s" % name)
            elapsed = time.monotonic() - started
            expect(elapsed < 1.0, "%r: closed only after %.2f s" % (name, elapsed))

    def probe_xx_grant_fields_and_close(self):
        """3.5: grant members ok/port/name, no data_key for chat, then the server closes."""
        result = self.grant()
        grant = result["first"]
        expect(grant["name"] == "alice", "grant name %r" % grant.get("name"))
        expect(isinstance(grant["port"], int), "port %r" % grant.get("port"))
        expect("data_key" not in grant, "chat grant carries a data_key: %r" % grant)
        expect(result["connection"].read_frame() is None, "control connection not closed after the grant")

    def probe_ftp_grant_data_key(self):
        """3.5: an ftp grant carries a padded 44-character base64 data_key of 32 bytes, fresh each time."""
        keys = set()
        for _ in range(2):
            grant = self.grant(service="ftp")["first"]
            text = grant.get("data_key")
            expect(isinstance(text, str) and len(text) == 44 and text.endswith("="), "data_key %r" % text)
            expect(len(base64.b64decode(text, validate=True)) == 32, "data_key is not 32 bytes")
            keys.add(text)
        expect(len(keys) == 2, "two grants had the same data_key")

    def probe_unknown_service_denied(self):
        """3.5: an unknown service gets {"ok":false,"error":...} then a close."""
        for pattern in ["XX", "IK"]:
            result = self.handshake(pattern=pattern, service="gopher")
            first = result["first"]
            expect(first is not None and first.get("ok") is False and "error" in first,
                   "%s: expected a denial, got %r" % (pattern, first))
            expect(result["connection"].read_frame() is None, "not closed after the denial")

    def probe_stranger_denied(self):
        """3.5: a key not in the allow-list gets the denial (XX and IK)."""
        for pattern in ["XX", "IK"]:
            result = self.handshake(pattern=pattern, static=self.stranger)
            first = result["first"]
            expect(first == {"ok": False, "error": "key not in the allow-list"},
                   "%s: got %r" % (pattern, first))
            expect(result["connection"].read_frame() is None, "not closed after the denial")

    def probe_xx_message1_payload_must_be_empty(self):
        """9: a non-empty XX message 1 payload fails the handshake (no message 2)."""
        result = self.handshake(payload1=b"x")
        expect(result["message2"] is None, "server answered a non-empty XX message 1 with message 2")

    def probe_ik_payload_shorter_than_9_fails(self):
        """9: an IK message 1 payload shorter than 9 bytes fails the handshake."""
        for payload in [b"", struct.pack(">Q", now_us())[:7], struct.pack(">Q", now_us())]:
            result = self.handshake(pattern="IK", payload1=payload)
            expect(result["message2"] is None and result["first"] is None,
                   "IK payload of %d bytes: message2=%s first=%r"
                   % (len(payload), result["message2"] is not None, result["first"]))

    def probe_ik_replay_closed_at_once(self):
        """3.3: an IK message 1 whose e the server remembers is closed at once, no message 2."""
        ephemeral = kg.KeyPair()
        stamp = now_us()
        first = self.handshake(pattern="IK", ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp)
        expect(first["first"] and first["first"].get("ok") is True, "first IK: %r" % first["first"])
        # The very same message 1 bytes again.
        replay = self.handshake(pattern="IK", ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp)
        expect(replay["message2"] is None, "a replayed IK message 1 got message 2")
        # Same e, other timestamp: still the same e.
        again = self.handshake(pattern="IK", ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp + 1)
        expect(again["message2"] is None, "a reused IK e with another timestamp got message 2")

    def probe_ik_clock_skew(self):
        """3.3: a timestamp off by more than 120 s gets message 2, then the clock skew denial."""
        for offset in [-200, +200, -24 * 3600]:
            result = self.handshake(pattern="IK", timestamp=now_us() + offset * 1_000_000)
            expect(result["message2"] is not None, "offset %+d s: no message 2" % offset)
            first = result["first"]
            expect(first is not None and first.get("ok") is False
                   and str(first.get("error", "")).startswith("clock skew: "),
                   "offset %+d s: got %r" % (offset, first))
            expect("retry" not in first or first.get("retry") is not True,
                   "clock skew marked retry: %r" % first)
            expect(result["connection"].read_frame() is None, "not closed after the skew denial")
        # Within the limit: granted.
        result = self.handshake(pattern="IK", timestamp=now_us() - 100 * 1_000_000)
        expect(result["first"] and result["first"].get("ok") is True, "100 s behind: %r" % result["first"])

    def probe_ik_skew_refused_e_remembered(self):
        """3.3: the e of a skew-refused message of an allowed key is remembered: a replay closes at once."""
        ephemeral = kg.KeyPair()
        stamp = now_us() + 3600 * 1_000_000
        first = self.handshake(pattern="IK", ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp)
        expect(first["first"] and str(first["first"].get("error", "")).startswith("clock skew"),
               "first: %r" % first["first"])
        replay = self.handshake(pattern="IK", ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp)
        expect(replay["message2"] is None, "replay of a skew-refused message got message 2 (%r)" % replay["first"])

    def probe_ik_stranger_remembered_nowhere(self):
        """3.3: an unknown key is checked first and remembered nowhere (a repeat gets the same denial)."""
        ephemeral = kg.KeyPair()
        stamp = now_us() + 3600 * 1_000_000   # skewed too: the allow-list check comes first
        for attempt in range(2):
            result = self.handshake(pattern="IK", static=self.stranger,
                                    ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp)
            expect(result["first"] == {"ok": False, "error": "key not in the allow-list"},
                   "attempt %d: %r" % (attempt + 1, result["first"]))

    def probe_ik_far_future_timestamp(self):
        """3.3: timestamps are unsigned: a far-future one is refused as ahead, and its e remembered."""
        problems = []
        for stamp in [2**63 + now_us() + 10**12, 2**64 - 1]:
            ephemeral = kg.KeyPair()
            first = self.handshake(pattern="IK", ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp)
            error = (first["first"] or {}).get("error", "")
            if not error.startswith("clock skew: ") or "ahead" not in error:
                problems.append("timestamp %d: denial %r (expected a clock skew saying the client is ahead)"
                                % (stamp, first["first"]))
            replay = self.handshake(pattern="IK", ephemeral=kg.KeyPair(ephemeral.private_bytes), timestamp=stamp)
            if replay["message2"] is not None:
                problems.append("timestamp %d: the replay got message 2 and %r (expected a close at once)"
                                % (stamp, replay["first"]))
        expect(not problems, "; ".join(problems))

    def probe_service_name_not_utf8(self):
        """(spec silent) a service name that is not UTF-8: reported, not judged."""
        outcomes = []
        for pattern, options in [("XX", dict(payload3=b"\xff\xfe")),
                                 ("IK", dict(pattern="IK", payload1=struct.pack(">Q", now_us()) + b"\xff"))]:
            result = self.handshake(**options)
            outcomes.append("%s: %s, then %r" % (pattern, "message 2" if result["message2"] else "no message 2",
                                                  result["first"]))
        raise Skip("; ".join(outcomes))

    def probe_x25519_zero_fails(self):
        """3.6: an all-zero X25519 result fails the handshake (e = a small-order point)."""
        connection = self.connect()
        connection.send_frame(XX.encode())
        connection.send_frame(bytes(32))
        expect(connection.read_frame() is None, "XX with e = 0 got message 2")
        # IK: e = 0 makes es zero before s is decrypted.
        connection = self.connect()
        connection.send_frame(IK.encode())
        connection.send_frame(bytes(32) + bytes(48) + bytes(16 + 12))
        try:
            reply = connection.read_frame()
        except ConnectionResetError:
            reply = None
        expect(reply is None, "IK with e = 0 got a reply")

    # -- section 4 -------------------------------------------------------------

    def probe_resume_and_port_closes(self):
        """4.2 / 4.4: RESUME accepted, joined first; afterwards P no longer listens."""
        result, transport, first = self.chat()
        expect(first == {"type": "joined", "name": "alice"}, "first message %r" % first)
        try:
            extra = self.connect(result["first"]["port"], timeout=2)
            # Not refused: it must at least be closed without a word.
            expect(self.closed_within(extra, 2.0), "port still listening and holding connections after RESUME")
            raise Failure("port %d still accepts connections after RESUME" % result["first"]["port"])
        except ConnectionRefusedError:
            pass
        transport.send(b'{"type":"bye"}')

    def probe_resume_wrong_plaintext_keeps_nonce(self):
        """4.2 / 9: a first frame that decrypts but is not RESUME closes that connection, nonce unchanged."""
        result = self.grant()
        port = result["first"]["port"]
        wrong = kg.CipherState(result["send"].k)
        connection = self.connect(port)
        connection.send_frame(wrong.encrypt(b"RESUMX"))
        expect(self.closed_within(connection, 2.0), "connection with a wrong first plaintext not closed")
        garbage = self.connect(port)
        garbage.send_frame(os.urandom(40))
        expect(self.closed_within(garbage, 2.0), "connection with a garbage first frame not closed")
        transport, first = self.resume(result)
        expect(json.loads(first).get("type") == "joined", "after the bad ones: %r" % first)
        transport.send(b'{"type":"bye"}')

    def probe_resume_second_nonce_refused(self):
        """4.1: RESUME must be the client's first transport message (nonce 0); nonce 1 is refused."""
        result = self.grant()
        result["send"].encrypt(b"skip")        # advance to nonce 1
        connection = self.connect(result["first"]["port"])
        connection.send_frame(result["send"].encrypt(kg.RESUME))
        expect(self.closed_within(connection, 2.0), "RESUME with nonce 1 accepted")

    def probe_data_port_own_share_replaces_oldest(self):
        """4.3: a full share replaces its oldest unverified connection; a new one is never refused."""
        result = self.grant()
        port = result["first"]["port"]
        idle = [self.connect(port) for _ in range(24)]
        time.sleep(0.3)
        closed = [i for i, c in enumerate(idle) if self.closed_within(c, 0.05)]
        self.note("of 24 idle connections from the client's address, closed: %s" % closed)
        expect(len(closed) >= 1, "24 idle connections from the handshake's address: none closed")
        expect(closed == list(range(len(closed))),
               "closed connections are not the oldest ones: %s" % closed)
        expect(len(closed) <= 24 - 8, "share smaller than 8: %d of 24 closed" % len(closed))
        transport, first = self.resume(result)
        expect(json.loads(first).get("type") == "joined", "resume after the crowd: %r" % first)
        transport.send(b'{"type":"bye"}')
        for c in idle:
            c.close()

    def probe_data_port_stranger_share(self):
        """4.3: strangers from another address cannot crowd out the client's share."""
        result = self.grant()
        port = result["first"]["port"]
        try:
            strangers = [self.connect(port, source="127.0.0.2") for _ in range(40)]
        except OSError as error:
            raise Failure("cannot connect from 127.0.0.2: %s" % error)
        time.sleep(0.3)
        closed = [i for i, c in enumerate(strangers) if self.closed_within(c, 0.05)]
        self.note("of 40 idle strangers, closed: %s" % closed)
        expect(closed == list(range(len(closed))), "closed strangers are not the oldest: %s" % closed)
        expect(len(closed) <= 40 - 8, "stranger share smaller than 8")
        transport, first = self.resume(result)
        expect(json.loads(first).get("type") == "joined", "resume among strangers: %r" % first)
        transport.send(b'{"type":"bye"}')
        for c in strangers:
            c.close()

    def probe_data_listener_local_address(self):
        """9: data listeners bind to the local address of the control connection."""
        result = self.grant()
        port = result["first"]["port"]
        try:
            other = socket.create_connection(("127.0.0.2", port), timeout=2)
            other.close()
            raise Failure("data port %d reachable on 127.0.0.2 though the control connection used %s"
                          % (port, self.host))
        except ConnectionRefusedError:
            pass
        transport, _ = self.resume(result)
        transport.send(b'{"type":"bye"}')

    def probe_slow_data_port_first_frame_timeout(self):
        """4.2 / 9: a data-port connection with no complete first frame is closed after 5 s."""
        result = self.grant()
        port = result["first"]["port"]
        silent = self.connect(port)
        partial = self.connect(port)
        partial.sock.sendall(b"\x00\x30" + b"x" * 10)
        started = time.monotonic()
        expect(self.closed_within(silent, 7.0), "silent connection open after 7 s")
        elapsed = time.monotonic() - started
        expect(4.5 <= elapsed <= 6.5, "silent connection closed after %.2f s, expected 5" % elapsed)
        expect(self.closed_within(partial, 1.0), "half-frame connection open after 6 s")
        transport, _ = self.resume(result)
        transport.send(b'{"type":"bye"}')

    def probe_slow_unresumed_session_dropped(self):
        """4.2: with no valid RESUME within 30 s of the grant the session is dropped."""
        result = self.grant()
        port = result["first"]["port"]
        time.sleep(31)
        try:
            connection = self.connect(port)
            connection.send_frame(result["send"].encrypt(kg.RESUME))
            expect(connection.read_frame() is None, "RESUME accepted 31 s after the grant")
        except ConnectionRefusedError:
            pass

    # -- section 5 -------------------------------------------------------------

    def probe_chat_order_and_membership(self):
        """5 / 9: joined first, to every member; msg to all with seq increasing; left; who."""
        expect(self.bob is not None, "needs --bob")
        _, a, first_a = self.chat()
        expect(first_a == {"type": "joined", "name": "alice"}, "alice's first: %r" % first_a)
        _, b, first_b = self.chat(static=self.bob, pattern="IK")
        expect(first_b == {"type": "joined", "name": "bob"}, "bob's first: %r" % first_b)
        seen = json.loads(a.receive("bob joined"))
        expect(seen == {"type": "joined", "name": "bob"}, "alice saw %r" % seen)
        a.send(b'{"type":"say","text":"one"}')
        b.send(b'{"type":"say","text":"two"}')
        got_a = [json.loads(a.receive("msg")) for _ in range(2)]
        got_b = [json.loads(b.receive("msg")) for _ in range(2)]
        expect(got_a == got_b, "alice and bob saw different orders: %r / %r" % (got_a, got_b))
        expect(all(m["type"] == "msg" for m in got_a), "%r" % got_a)
        expect(got_a[0]["seq"] < got_a[1]["seq"], "seq not increasing: %r" % got_a)
        expect({(m["from"], m["text"]) for m in got_a} == {("alice", "one"), ("bob", "two")}, "%r" % got_a)
        b.send(b'{"type":"who"}')
        who = json.loads(b.receive("who"))
        expect(who == {"type": "who", "names": ["alice", "bob"]}, "who %r" % who)
        b.send(b'{"type":"bye"}')
        left = json.loads(a.receive("left"))
        expect(left == {"type": "left", "name": "bob"}, "alice saw %r after bob's bye" % left)
        a.send(b'{"type":"bye"}')

    def probe_chat_errors_session_goes_on(self):
        """5 / 9: unknown type, malformed object, oversize say: error, no seq consumed, session goes on."""
        _, a, _ = self.chat()
        a.send(b'{"type":"say","text":"before"}')
        before = json.loads(a.receive("msg"))
        for request in [b'{"type":"dance"}', b'not json', b'{"type":"say"}', b'[1,2]',
                        json.dumps({"type": "say", "text": "x" * 65000}).encode()]:
            a.send(request)
            reply = json.loads(a.receive("error"))
            expect(reply.get("type") == "error" and isinstance(reply.get("error"), str),
                   "%r... got %r" % (request[:30], reply))
        a.send(b'{"type":"say","text":"after"}')
        after = json.loads(a.receive("msg"))
        expect(after.get("seq") == before.get("seq") + 1,
               "seq %r after %r: the refused requests consumed a seq" % (after.get("seq"), before.get("seq")))
        a.send(b'{"type":"bye"}')

    def probe_chat_message_too_long_text(self):
        """9: a say whose msg would not fit one transport message gets error "message too long"."""
        _, a, _ = self.chat()
        a.send(json.dumps({"type": "say", "text": "y" * 65400}).encode())
        reply = json.loads(a.receive("error"))
        expect(reply == {"type": "error", "error": "message too long"}, "got %r" % reply)
        a.send(b'{"type":"bye"}')

    def probe_chat_msg_that_would_not_fit(self):
        """9: a say under the request limit whose msg would not fit one message: "message too long", no seq."""
        _, a, _ = self.chat()
        a.send(b'{"type":"say","text":"before"}')
        before = json.loads(a.receive("msg"))
        # DEL is one byte in the request and six (\\u007f) in the server's msg.
        a.send(json.dumps({"type": "say", "text": "\x7f" * 11000}, ensure_ascii=False).encode())
        reply = json.loads(a.receive("error"))
        expect(reply == {"type": "error", "error": "message too long"}, "got %r" % reply)
        a.send(b'{"type":"say","text":"after"}')
        after = json.loads(a.receive("msg"))
        expect(after.get("seq") == before.get("seq") + 1, "seq %r after %r" % (after.get("seq"), before.get("seq")))
        a.send(b'{"type":"bye"}')

    def probe_chat_unknown_members_ignored(self):
        """5: readers ignore members they do not know: a say with an extra member is delivered."""
        _, a, _ = self.chat()
        a.send(b'{"type":"say","text":"extra","mood":"happy"}')
        reply = json.loads(a.receive("msg"))
        expect(reply.get("type") == "msg" and reply.get("text") == "extra", "got %r" % reply)
        a.send(b'{"type":"bye"}')

    def probe_chat_same_name_twice(self):
        """9: who lists distinct names; what `left` does while the name is still present is reported."""
        _, a, _ = self.chat()
        _, a2, _ = self.chat()
        json.loads(a.receive("joined"))
        a2.send(b'{"type":"who"}')
        who = json.loads(a2.receive("who"))
        expect(who == {"type": "who", "names": ["alice"]}, "who with two alice sessions: %r" % who)
        a2.send(b'{"type":"bye"}')
        a.connection.sock.settimeout(1.0)
        try:
            seen = json.loads(a.receive("left"))
        except socket.timeout:
            seen = None
        self.note("after the second alice session's bye, the first one got %r" % (seen,))
        a.connection.sock.settimeout(kg.IO_TIMEOUT)
        a.send(b'{"type":"bye"}')

    # -- section 6 -------------------------------------------------------------

    def probe_ftp_abor_during_transfer(self):
        """9: ABOR during a transfer answers 426 for the transfer, then 226."""
        ftp = self.ftp()
        ftp.put("abor.bin", os.urandom(8 << 20))
        port, number = ftp.passive("EPSV")
        code, raw = ftp.command_raw("RETR abor.bin")
        expect(code == 150, "%r" % raw)
        data = ftp.data(port, number)
        data.receive("first chunk")
        ftp.transport.send(b"ABOR")
        first, raw1 = ftp.reply_raw()
        second, raw2 = ftp.reply_raw()
        expect((first, second) == (426, 226), "ABOR replies %r then %r" % (raw1, raw2))
        data.connection.close()
        ftp.quit()

    def probe_ftp_passive_port_crowd(self):
        """6 / 4.3: idle connections on a passive port, from both shares, do not keep the client out."""
        ftp = self.ftp()
        port, number = ftp.passive("EPSV")
        crowd = [self.connect(port) for _ in range(24)]
        try:
            crowd += [self.connect(port, source="127.0.0.2") for _ in range(40)]
        except OSError:
            pass
        time.sleep(0.3)
        closed = [i for i, c in enumerate(crowd) if self.closed_within(c, 0.05)]
        self.note("of %d idle connections on the passive port, closed: %d" % (len(crowd), len(closed)))
        code, raw = ftp.command_raw("LIST")
        expect(code == 150, "%r" % raw)
        ftp.receive_all(ftp.data(port, number))
        code, raw = ftp.reply_raw()
        expect(code == 226, "%r" % raw)
        for c in crowd:
            c.close()
        ftp.quit()

    def probe_ftp_pasv_address(self):
        """6: the 227 reply names the control connection's host and the listener's port."""
        ftp = self.ftp()
        code, raw = ftp.command_raw("PASV")
        expect(code == 227, "%r" % raw)
        m = kg.PASV_ADDRESS.search(raw.decode())
        expect(m is not None, "%r" % raw)
        address = ".".join(m.group(i) for i in range(1, 5))
        expect(address == self.host, "227 names %s, control host %s: %r" % (address, self.host, raw))
        ftp.quit()

    def probe_ftp_replies(self):
        """6 / 9: USER/PASS 230, no trailing CRLF, 425 without passive, ABOR idle 225, multi-line CRLF."""
        ftp = self.ftp()
        for line in ["USER alice", "PASS secret"]:
            code, raw = ftp.command_raw(line)
            expect(code == 230, "%s answered %r" % (line, raw))
        code, raw = ftp.command_raw("RETR nothing.bin")
        expect(code == 425, "RETR without passive answered %r (expected 425 at once, no 150)" % raw)
        code, raw = ftp.command_raw("ABOR")
        expect(code == 225, "idle ABOR answered %r" % raw)
        code, raw = ftp.command_raw("FEAT")
        expect(not raw.endswith(b"\r\n"), "reply carries a trailing CRLF: %r" % raw[-20:])
        expect(b"\n" not in raw or b"\r\n" in raw, "multi-line reply lines not separated by CRLF: %r" % raw)
        ftp.quit()

    def probe_ftp_passive_numbering(self):
        """6: psk number counts passive commands answered 227/229, from 1, across EPSV and PASV."""
        ftp = self.ftp()
        ftp.put("numbered.txt", b"n1")                  # passive 1
        port2, _ = ftp.passive("EPSV")                  # passive 2, never used
        port3, number3 = ftp.passive("PASV")            # passive 3
        expect(number3 == 3, "counter %d" % number3)
        code, raw = ftp.command_raw("RETR numbered.txt")
        expect(code == 150, "RETR answered %r" % raw)
        data = ftp.data(port3, 3)
        expect(ftp.receive_all(data) == b"n1", "wrong content")
        code, raw = ftp.reply_raw()
        expect(code == 226, "after the transfer: %r" % raw)
        ftp.quit()

    def probe_ftp_wrong_psk_then_right(self):
        """6 / 4.3: a data connection with the wrong psk is closed; the right one still works."""
        ftp = self.ftp()
        port, number = ftp.passive("EPSV")
        wrong = self.connect(port)
        state = kg.HandshakeState(NNPSK0, True, kg.DATA_PROLOGUE, psks=[kg.data_psk(ftp.data_key, number + 1)])
        wrong.send_frame(state.write_message(b""))
        try:
            reply = wrong.read_frame()
        except ConnectionResetError:
            reply = None
        if reply is not None:
            try:
                state.read_message(reply)
                raise Failure("NNpsk0 with the wrong psk completed")
            except kg.ProtocolError:
                pass
        # h-derived psk (version 1) must not work either.
        v1 = self.connect(port)
        state = kg.HandshakeState(NNPSK0, True, kg.DATA_PROLOGUE,
                                  psks=[kg.hmac_sha256(ftp.result["state"].handshake_hash(),
                                                       b"ftp-data" + struct.pack(">Q", number))])
        v1.send_frame(state.write_message(b""))
        try:
            reply = v1.read_frame()
        except ConnectionResetError:
            reply = None
        if reply is not None:
            try:
                state.read_message(reply)
                raise Failure("NNpsk0 with the version 1 psk (from h) completed")
            except kg.ProtocolError:
                pass
        code, raw = ftp.command_raw("LIST")
        expect(code == 150, "LIST answered %r" % raw)
        data = ftp.data(port, number)
        ftp.receive_all(data)
        code, raw = ftp.reply_raw()
        expect(code == 226, "%r" % raw)
        ftp.quit()

    def probe_ftp_stor_without_end_of_data(self):
        """6 / 9: a STOR whose data connection closes without end-of-data gets 426, the file is discarded."""
        ftp = self.ftp()
        port, number = ftp.passive("EPSV")
        code, raw = ftp.command_raw("STOR cut.bin")
        expect(code == 150, "STOR answered %r" % raw)
        data = ftp.data(port, number)
        data.send(b"partial content")
        data.connection.sock.shutdown(socket.SHUT_RDWR)
        data.connection.close()
        code, raw = ftp.reply_raw()
        expect(code == 426, "STOR cut short answered %r" % raw)
        listing = ftp.list()
        expect(b"cut.bin" not in listing, "partial file kept: %r" % listing)
        ftp.quit()

    def probe_ftp_nnpsk0_payload_nonempty(self):
        """(spec silent) NNpsk0 message 1 with a non-empty payload: reported, not judged."""
        ftp = self.ftp()
        port, number = ftp.passive("EPSV")
        connection = self.connect(port)
        state = kg.HandshakeState(NNPSK0, True, kg.DATA_PROLOGUE, psks=[kg.data_psk(ftp.data_key, number)])
        connection.send_frame(state.write_message(b"hello"))
        try:
            reply = connection.read_frame()
        except ConnectionResetError:
            reply = None
        ftp.quit()
        raise Skip("server %s a non-empty NNpsk0 message 1 payload"
                   % ("answered" if reply is not None else "refused"))

    def probe_ftp_list_flags_and_spaces(self):
        """9: LIST takes optional -flags then at most one path, which may contain spaces."""
        ftp = self.ftp()
        ftp.command_raw("MKD with space")
        ftp.put("with space/inner file.txt", b"x")
        listing = ftp.list("-la with space")
        expect(b"inner file.txt" in listing, "LIST -la 'with space': %r" % listing)
        ftp.quit()

    def probe_ftp_data_frames_fit(self):
        """1 / 6: server data messages carry at most 65519 bytes of plaintext; content identical."""
        ftp = self.ftp()
        content = os.urandom(300_000)
        ftp.put("big.bin", content)
        port, number = ftp.passive("EPSV")
        code, raw = ftp.command_raw("RETR big.bin")
        expect(code == 150, "%r" % raw)
        data = ftp.data(port, number)
        chunks = []
        while True:
            payload = data.receive_or_eof()
            expect(payload is not None, "closed without end-of-data")
            if not payload:
                break
            chunks.append(payload)
        expect(max(len(c) for c in chunks) <= kg.MAX_PLAINTEXT, "chunk over 65519 bytes")
        expect(b"".join(chunks) == content, "content differs")
        expect(data.connection.read_frame() is None, "data connection not closed after end-of-data")
        code, raw = ftp.reply_raw()
        expect(code == 226, "%r" % raw)
        ftp.quit()

    # -- busy (section 3.3, 9); last, because they fill the server's memory ---

    def probe_z_ik_memory_full_busy(self):
        """3.3: at least 1,024 remembered e per key; when full, that key's IK handshakes are refused as busy."""
        if not self.args.authorized_keys:
            raise Skip("needs --authorized-keys")
        dave = kg.KeyPair()
        with open(self.args.authorized_keys, "a") as handle:
            handle.write("x25519 %s dave-%s\n" % (base64.b64encode(dave.public).decode(), os.urandom(4).hex()))
        time.sleep(1.5)
        ahead = now_us() + 24 * 3600 * 1_000_000
        outcomes = {}
        first_busy = None
        for index in range(self.args.memory_probe_limit):
            result = self.handshake(pattern="IK", static=dave, timestamp=ahead + index)
            first = result["first"]
            if result["message2"] is None:
                key = "closed without message 2"
            else:
                key = (first or {}).get("error", "?").split(":")[0]
            outcomes[key] = outcomes.get(key, 0) + 1
            if key == "busy" and first_busy is None:
                first_busy = (index, first)
            result["connection"].close()
            if first_busy and index > first_busy[0] + 3:
                break
        self.note("outcomes of dated-ahead IK messages: %r; first busy at %r" % (outcomes, first_busy))
        expect(first_busy is not None, "no busy refusal after %d far-ahead IK messages" % sum(outcomes.values()))
        expect(first_busy[0] >= 1024, "busy after only %d remembered messages" % first_busy[0])
        expect(first_busy[1].get("retry") is True and first_busy[1]["error"].startswith("busy: "),
               "busy denial %r" % (first_busy[1],))
        fresh = self.handshake(pattern="IK", static=dave)
        expect(fresh["first"] and fresh["first"].get("error", "").startswith("busy"),
               "a fresh, valid message of the full key: %r" % fresh["first"])
        other = self.handshake(pattern="IK")
        expect(other["first"] and other["first"].get("ok") is True, "another key blocked too: %r" % other["first"])

    def probe_zz_busy_no_free_data_port(self):
        """9: with every data port taken the server waits 2 s, then denies busy with retry:true."""
        held = []
        started = None
        for index in range(200):
            began = time.monotonic()
            result = self.handshake(service="chat")
            first = result["first"]
            if first is None:
                self.note("handshake %d closed without a reply (a per-source limit?)" % (index + 1))
                raise Failure("server closed handshake %d without a word before any busy denial" % (index + 1))
            if first.get("ok") is True:
                held.append(result)
                continue
            elapsed = time.monotonic() - began
            self.note("denial after %d grants, %.2f s: %r" % (len(held), elapsed, first))
            expect(first == {"ok": False, "error": "busy: no free data port", "retry": True},
                   "denial %r" % first)
            expect(1.8 <= elapsed <= 3.0, "denied after %.2f s, expected 2" % elapsed)
            return
        raise Failure("200 grants and no busy denial")

    # -- allow-list (section 8, 9) --------------------------------------------

    def probe_allow_list_unnamed_and_unpadded(self):
        """8 / 9: a line without a name gets the fingerprint as name; unpadded base64 is read."""
        if not self.args.authorized_keys:
            raise Skip("needs --authorized-keys")
        unnamed, unpadded = kg.KeyPair(), kg.KeyPair()
        carol = "carol-" + os.urandom(4).hex()
        with open(self.args.authorized_keys, "a") as handle:
            handle.write("x25519 %s\n" % base64.b64encode(unnamed.public).decode())
            handle.write("x25519 %s %s\n" % (base64.b64encode(unpadded.public).decode().rstrip("="), carol))
        time.sleep(1.5)  # the server reads the list again when it changes
        grant = self.grant(static=unnamed)["first"]
        expect(grant["name"] == kg.fingerprint(unnamed.public), "unnamed key's name %r" % grant["name"])
        grant = self.grant(static=unpadded)["first"]
        expect(grant["name"] == carol, "unpadded key's name %r" % grant["name"])


class Skip(Exception):
    pass


class FTP:
    def __init__(self, probe, result, transport):
        self.probe = probe
        self.result = result
        self.transport = transport
        self.data_key = base64.b64decode(result["first"]["data_key"])
        self.count = 0

    def command_raw(self, line):
        self.transport.send(line.encode())
        return self.reply_raw()

    def reply_raw(self):
        raw = self.transport.receive("reply")
        return int(raw[:3]), raw

    def passive(self, verb):
        code, raw = self.command_raw(verb)
        text = raw.decode()
        if verb == "EPSV":
            expect(code == 229, "EPSV answered %r" % raw)
            port = int(kg.EPSV_PORT.search(text).group(1))
        else:
            expect(code == 227, "PASV answered %r" % raw)
            m = kg.PASV_ADDRESS.search(text)
            port = int(m.group(5)) * 256 + int(m.group(6))
        self.count += 1
        return port, self.count

    def data(self, port, number):
        connection = self.probe.connect(port)
        state = kg.HandshakeState(NNPSK0, True, kg.DATA_PROLOGUE, psks=[kg.data_psk(self.data_key, number)])
        connection.send_frame(state.write_message(b""))
        message2 = connection.read_frame()
        expect(message2 is not None, "data port closed before NNpsk0 message 2")
        expect(state.read_message(message2) == b"", "NNpsk0 message 2 payload not empty")
        send, receive = state.split()
        return kg.Transport(connection, send, receive)

    def receive_all(self, data):
        chunks = []
        while True:
            payload = data.receive_or_eof()
            expect(payload is not None, "data closed without end-of-data")
            if not payload:
                return b"".join(chunks)
            chunks.append(payload)

    def put(self, name, content):
        port, number = self.passive("EPSV")
        code, raw = self.command_raw("STOR " + name)
        expect(code == 150, "STOR answered %r" % raw)
        data = self.data(port, number)
        for start in range(0, len(content), kg.MAX_PLAINTEXT):
            data.send(content[start:start + kg.MAX_PLAINTEXT])
        data.send(b"")
        data.connection.close()
        code, raw = self.reply_raw()
        expect(code == 226, "STOR ended %r" % raw)

    def list(self, argument=""):
        port, number = self.passive("EPSV")
        code, raw = self.command_raw("LIST" + (" " + argument if argument else ""))
        expect(code == 150, "LIST answered %r" % raw)
        content = self.receive_all(self.data(port, number))
        code, raw = self.reply_raw()
        expect(code == 226, "LIST ended %r" % raw)
        return content

    def quit(self):
        self.command_raw("QUIT")
        self.transport.connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--alice", required=True)
    parser.add_argument("--bob")
    parser.add_argument("--stranger", required=True)
    parser.add_argument("--server-key", required=True)
    parser.add_argument("--authorized-keys")
    parser.add_argument("--slow", action="store_true")
    parser.add_argument("--only")
    parser.add_argument("--memory-probe-limit", type=int, default=5000,
                        help="IK messages to send before giving up on a busy refusal")
    args = parser.parse_args()
    probe = Probe(args)
    failed = 0
    for name in sorted(n for n in dir(Probe) if n.startswith("probe_")):
        short = name[len("probe_"):]
        if args.only and args.only not in short:
            continue
        if short.startswith("slow_") and not args.slow:
            continue
        doc = getattr(Probe, name).__doc__.strip()
        try:
            getattr(probe, name)()
            print("PASS %s: %s" % (short, doc))
        except Skip as note:
            print("SKIP %s: %s (%s)" % (short, doc, note))
        except Failure as failure:
            failed += 1
            print("FAIL %s: %s\n     observed: %s" % (short, doc, failure))
        except Exception as error:  # a probe that breaks is a failure too
            failed += 1
            print("FAIL %s: %s\n     error: %s: %s" % (short, doc, type(error).__name__, error))
        for text in probe.notes:
            print("     note: " + text)
        probe.notes.clear()
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
