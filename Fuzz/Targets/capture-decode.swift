// fuzz-modules: CKeyGateSystem KeyGateSystem CKeyGateCrypto KeyGateCrypto KeyGateNoise KeyGateKeys KeyGateSockets KeyGateChannel KeyGateLab
//
// `keygate decode`'s reader fed arbitrary bytes twice: as a whole capture
// file (libpcap header, records, link layers, IP, TCP), and as the two
// streams of one TCP connection wrapped in a valid capture (the KeyGate
// frame, handshake and keylog decoder; the first byte splits the input
// into client and server bytes and picks a keylog session built from
// them). Properties: reading fails only with the errors LabError names,
// never traps; frames have at most 65535 bytes; the report renders; the
// keylog lines KeyGate writes read back as the same entries.
import KeyGateChannel
import KeyGateLab

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCaptureDecode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let bytes = input.rest()
    if let file = try? PcapFile(bytes: bytes) {
        check(file, keyLog: [])
    }
    var streams = FuzzInput(data, size)
    let split = Int(streams.byte())
    let client = streams.bytes(split * 4)
    let server = streams.rest()
    let entry = SessionKeyLog.Entry(
        protocolName: "Noise_XX_25519_ChaChaPoly_SHA256", initiatorEphemeralKey: Array((Array(client.dropFirst(34)) + Array(repeating: 3, count: 32)).prefix(32)),
        handshakeHash: Array(repeating: 0, count: 32), initiatorToResponderKey: Array((server + Array(repeating: 1, count: 32)).prefix(32)),
        responderToInitiatorKey: Array((client + Array(repeating: 2, count: 32)).prefix(32)))
    fuzzCheck((try? SessionKeyLog.Entry(line: entry.line)) == entry, "keylog line \(entry.line) reads back differently")
    if let file = try? PcapFile(bytes: capture(client: client, server: server)) {
        check(file, keyLog: [entry])
    }
    return 0
}

private func check(_ file: PcapFile, keyLog: [SessionKeyLog.Entry]) {
    guard let report = try? CaptureDecoder(keyLog: keyLog).decode(file) else { return }
    for connection in report.connections {
        for frame in connection.frames {
            fuzzCheck(frame.payload.count <= 65535, "a frame of \(frame.payload.count) bytes")
        }
    }
    _ = report.text
}

/// A little-endian microsecond capture of one IPv4 connection on Ethernet:
/// SYN, SYN-ACK, then `client` and `server` as one segment each.
private func capture(client: [UInt8], server: [UInt8]) -> [UInt8] {
    func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    func be16(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
    func packet(fromClient: Bool, seq: Int, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        let ports = fromClient ? be16(40000) + be16(7700) : be16(7700) + be16(40000)
        let tcp = ports + be16(seq >> 16) + be16(seq) + [0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0] + payload
        let addresses: [UInt8] = fromClient ? [127, 0, 0, 1, 127, 0, 0, 2] : [127, 0, 0, 2, 127, 0, 0, 1]
        let ip: [UInt8] = [0x45, 0] + be16(20 + tcp.count) + [0, 0, 0x40, 0, 64, 6, 0, 0] + addresses + tcp
        return Array(repeating: 0, count: 12) + [0x08, 0x00] + ip
    }
    let packets = [
        packet(fromClient: true, seq: 99, flags: 0x02, payload: []),
        packet(fromClient: false, seq: 499, flags: 0x12, payload: []),
        packet(fromClient: true, seq: 100, flags: 0x18, payload: Array(client.prefix(60000))),
        packet(fromClient: false, seq: 500, flags: 0x18, payload: Array(server.prefix(60000))),
    ]
    var file: [UInt8] = le32(0xa1b2_c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(262_144) + le32(1)
    for (index, packet) in packets.enumerated() {
        file += le32(1_800_000_000) + le32(index) + le32(packet.count) + le32(packet.count) + packet
    }
    return file
}
