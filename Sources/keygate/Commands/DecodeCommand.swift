import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import KeyGateLab

/// `keygate decode`: the KeyGate frames of a capture, as a sniffer sees
/// them, and decrypted with a lab keylog.
struct DecodeCommand: Command {
    let spec = CommandSpec(
        name: "decode",
        summary: "Show the KeyGate frames in a packet capture (libpcap), decrypted with a lab keylog.",
        usage: "CAPTURE.pcap [--keylog FILE]",
        options: [
            .init("keylog", value: "FILE", help: "Decrypt the transport messages with the keys a 'serve', 'chat' or 'ftp' run with --keylog FILE wrote."),
        ],
        discussion: """
            Reads a libpcap file (tcpdump -w; either byte order, microsecond
            or nanosecond timestamps) captured on Ethernet, loopback (null),
            Linux cooked (SLL, SLL2, as 'tcpdump -i any' writes) or raw IP,
            reassembles each TCP connection's two streams (retransmissions
            are kept once, out-of-order segments put back in sequence, a
            hole stops the stream), and prints every KeyGate frame of each
            connection: the negotiation, the handshake messages with their
            public values (which tokens are in clear, which encrypted), and
            the transport messages as ciphertext with their sizes. With
            --keylog it decrypts them (grant, RESUME, chat JSON, FTP commands
            and replies, file data) and lists the frames it could not
            decrypt, and why. Handshake payloads (the service name, the IK
            clock) stay encrypted: the keylog holds transport keys only.

            A capture of the default ports on loopback, then its decoding:
              tcpdump -i lo -w lab.pcap 'tcp portrange 7700-7799'
              keygate chat localhost --keylog lab.keys   (in another terminal)
              keygate decode lab.pcap --keylog lab.keys

            Exit status 0 when the capture was read (it says so when it holds
            no KeyGate traffic); 1 when it is truncated, unreadable or not a
            libpcap file, or the keylog cannot be read; 2 for a usage error.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let path = try arguments.singlePositional("CAPTURE.pcap", command: spec.name)
        let keyLogPath = arguments.value("keylog")
        let report = try await BlockingExecutor.shared.run { () throws(LabError) -> CaptureReport in
            let keyLog = try keyLogPath.map { path throws(LabError) in try KeyLogFile.entries(in: try LabFile.read(path)) } ?? []
            let capture = try PcapFile(bytes: try LabFile.read(path))
            return try CaptureDecoder(keyLog: keyLog).decode(capture)
        }
        Console.shared.out(report.text)
        return .success
    }
}
