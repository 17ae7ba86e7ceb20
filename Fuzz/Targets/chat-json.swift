// fuzz-modules: CKeyGateSystem KeyGateSystem CKeyGateCrypto KeyGateCrypto KeyGateNoise KeyGateKeys KeyGateSockets KeyGateChannel KeyGateChat
//
// The JSON messages of the chat service and the grant (PROTOCOL.md
// sections 3.5 and 5) fed arbitrary bytes. Property: whatever parses,
// serialized again, parses back to the same value, and serializing that
// gives the same bytes (the writer's output is a fixed point).
import KeyGateChat
import KeyGateChannel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let bytes = input.rest()
    checkJSON(bytes)
    checkStringEscaping(String(decoding: bytes, as: UTF8.self))
    if let request = try? ChatRequest(parsing: bytes) {
        let written = request.json.bytes
        fuzzCheck((try? ChatRequest(parsing: written)) == request, "ChatRequest \(request) wrote \(show(written)), which reads back differently")
    }
    if let event = try? ChatEvent(parsing: bytes) {
        let written = event.json.bytes
        fuzzCheck((try? ChatEvent(parsing: written)) == event, "ChatEvent \(event) wrote \(show(written)), which reads back differently")
        _ = event.displayLine
    }
    if let reply = try? GrantReply(parsing: bytes) {
        let written = reply.json.bytes
        fuzzCheck((try? GrantReply(parsing: written)) == reply, "GrantReply \(reply) wrote \(show(written)), which reads back differently")
    }
    return 0
}

private func show(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).debugDescription
}

/// parse(serialize(v)) == v, byte for byte, for every v that parses.
private func checkJSON(_ bytes: [UInt8]) {
    guard let value = try? JSONValue.parse(bytes) else { return }
    let written = value.bytes
    fuzzCheck(String(validating: written, as: UTF8.self) != nil, "serialized JSON is not UTF-8: \(written)")
    let again: JSONValue
    do {
        again = try JSONValue.parse(written)
    } catch {
        fuzzCheck(false, "\(show(bytes)) parsed, but its serialization \(show(written)) does not: \(error)")
        return
    }
    fuzzCheck(again == value, "\(show(bytes)) serialized as \(show(written)) reads back as another value")
    fuzzCheck(again.bytes == written, "serialization of \(show(bytes)) is not stable: \(show(written)) then \(show(again.bytes))")
    fuzzCheck(!written.contains(where: { $0 < 0x20 || $0 == 0x7f }), "serialization \(show(written)) has a raw control byte")
}

/// Any string, quoted by the serializer, parses back to exactly its scalars.
private func checkStringEscaping(_ text: String) {
    let written = JSONValue.string(text).bytes
    guard let parsed = try? JSONValue.parse(written), case let .string(again) = parsed else {
        fuzzCheck(false, "string \(text.debugDescription) serialized as \(show(written)) does not parse as a string")
        return
    }
    fuzzCheck(Array(again.unicodeScalars) == Array(text.unicodeScalars), "string \(text.debugDescription) reads back as \(again.debugDescription)")
}
