// fuzz-modules: CKeyGateSystem KeyGateSystem CKeyGateCrypto KeyGateCrypto KeyGateNoise KeyGateKeys KeyGateSockets KeyGateChannel KeyGateFTP
//
// The FTP command parser and path resolver (PROTOCOL.md sections 6 and 9)
// fed arbitrary bytes.
//
// The interface it drives (the calls marked "FTP interface"):
//
//   FTPCommand(parsing: [UInt8]) throws     one command line, CRLF optional
//   FTPCommand(verb: String, argument: String)
//   command.verb: String, .argument: String, .line: [UInt8] (no CRLF)
//   FTPPath.root, FTPPath(components: [String])
//   path.resolving(_ text: String) throws -> FTPPath   (lexical, never above /)
//   path.components: [String], path.description: String ("/a/b")
//   FTPPath.maximumNameByteCount: Int, FTPPath.reservedPrefix: String
//
// Properties: a parsed command written back parses to the same command;
// every resolved path consists of names the file store may open one by
// one (non-empty, not "." or "..", no "/", NUL, CR or LF, at most
// maximumNameByteCount bytes, not starting with the reserved prefix), and
// resolving its own description from the root gives it back.
import KeyGateFTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFTPCommand(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let bytes = input.rest()
    checkCommand(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    // The argument as written by a client: any verb, any path.
    checkWrittenCommand(verb: "RETR", argument: text)
    // Paths from the root and from a folder below it; the input may also
    // carry a folder to change to, then a path, separated by a NUL byte.
    let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let nested = FTPPath(components: ["pub", "incoming"])  // FTP interface
    for start in [FTPPath.root, nested] {
        checkResolution(text, from: start)
        if parts.count == 2, let folder = try? start.resolving(String(decoding: parts[0], as: UTF8.self)) {
            checkResolution(String(decoding: parts[1], as: UTF8.self), from: folder)
        }
    }
    return 0
}

private func show(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).debugDescription
}

private func checkCommand(_ bytes: [UInt8]) {
    guard let command = try? FTPCommand(parsing: bytes) else { return }  // FTP interface
    fuzzCheck((3...4).contains(command.verb.utf8.count) && command.verb.utf8.allSatisfy { (65...90).contains($0) },
              "verb \(command.verb.debugDescription) from \(show(bytes))")
    checkWrittenCommand(verb: command.verb, argument: command.argument)
    if let path = try? FTPPath.root.resolving(command.argument) {
        checkPath(path, from: command.argument)
    }
}

/// What a client writes for a command reads back as that command.
private func checkWrittenCommand(verb: String, argument: String) {
    let command = FTPCommand(verb: verb, argument: argument)  // FTP interface
    let line = command.line
    // CR, LF and NUL cannot travel in a command line; everything else must.
    guard !argument.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else { return }
    do {
        let parsed = try FTPCommand(parsing: line)
        fuzzCheck(parsed == command, "\(command) written as \(show(line)) reads back as \(parsed)")
    } catch {
        fuzzCheck(false, "\(command) written as \(show(line)) does not parse: \(error)")
    }
}

private func checkResolution(_ text: String, from start: FTPPath) {
    guard let path = try? start.resolving(text) else { return }  // FTP interface
    checkPath(path, from: text)
    // Absolute when the first byte is "/" (a Character test would miss "/" plus a combining mark).
    if text.utf8.first != UInt8(ascii: "/") && !text.utf8.split(separator: UInt8(ascii: "/")).contains(where: { $0.elementsEqual("..".utf8) }) {
        fuzzCheck(path.components.starts(with: start.components), "\(text.debugDescription) left \(start) without '..': \(path)")
    }
}

/// Every name is one the file store can open on its own, and the path's
/// text form resolves back to it.
private func checkPath(_ path: FTPPath, from text: String) {
    for name in path.components {
        let bytes = Array(name.utf8)
        fuzzCheck(!bytes.isEmpty, "empty name from \(text.debugDescription)")
        fuzzCheck(bytes != Array(".".utf8) && bytes != Array("..".utf8), "name \(name.debugDescription) from \(text.debugDescription)")
        fuzzCheck(!bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 || $0 == 10 || $0 == 13 }),
                  "name \(name.debugDescription) from \(text.debugDescription) holds '/', NUL, CR or LF")
        fuzzCheck(bytes.count <= FTPPath.maximumNameByteCount, "name of \(bytes.count) bytes from \(text.debugDescription)")
        fuzzCheck(!bytes.starts(with: FTPPath.reservedPrefix.utf8), "reserved name \(name.debugDescription) from \(text.debugDescription)")
    }
    guard let again = try? FTPPath.root.resolving(path.description) else {
        fuzzCheck(false, "\(path) from \(text.debugDescription) does not resolve from the root")
        return
    }
    fuzzCheck(again == path, "\(path) resolves from the root to \(again)")
}
