// fuzz-modules: CKeyGateSystem KeyGateSystem CKeyGateCrypto KeyGateCrypto KeyGateNoise KeyGateKeys
//
// The key-file parsers fed arbitrary bytes: base64, key lines, the
// allow-list, known_hosts lines, single-key files, the invites and the
// last-seen file. Beyond "no crash",
// each parser must agree with the writer that goes with it: whatever is
// accepted, written back the way KeyGate writes it, reads back the same.
@testable import KeyGateKeys

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyFiles(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let bytes = input.rest()
    checkBase64(bytes)
    checkAllowList(bytes)
    checkInvites(bytes)
    checkLastSeen(bytes)
    checkWrittenLine(algorithm: .x25519, keyBytes: fixedKey, comment: String(decoding: bytes, as: UTF8.self))
    checkRememberedHost(String(decoding: bytes, as: UTF8.self))
    _ = try? KeyFileLines.singleKeyLine(in: bytes, path: "fuzz.key")
    for line in KeyFileLines.split(bytes) {
        guard let text = line.text else { continue }
        checkKeyLine(text)
        checkKnownHostsLine(text)
    }
    return 0
}

/// Any 32 bytes are an X25519 public key.
private let fixedKey = [UInt8](0..<32)

/// RFC 4648: every byte string has exactly one padded and one unpadded
/// spelling, and the decoder accepts nothing else.
private func checkBase64(_ bytes: [UInt8]) {
    for padded in [true, false] {
        let text = Base64.encode(bytes, padded: padded)
        fuzzCheck(Base64.decode(text) == bytes, "Base64 round trip of \(bytes.count) bytes (padded: \(padded))")
    }
    guard let text = String(validating: bytes, as: UTF8.self), let decoded = Base64.decode(text) else { return }
    fuzzCheck(text == Base64.encode(decoded, padded: true) || text == Base64.encode(decoded, padded: false),
              "Base64 accepted a non-canonical spelling: \(text.debugDescription)")
}

/// A parsed line written back (`text`) parses to the same line; rebuilt
/// from its parts it stays one parsable line with the same key.
private func checkKeyLine(_ text: String) {
    guard let line = try? KeyLine(parsing: text) else { return }
    let written = line.text
    do {
        let again = try KeyLine(parsing: written)
        fuzzCheck(again == line, "KeyLine \(text.debugDescription) wrote \(written.debugDescription), which reads back differently")
        fuzzCheck(again.text == written, "KeyLine.text is not stable for \(written.debugDescription)")
    } catch {
        fuzzCheck(false, "KeyLine \(text.debugDescription) wrote \(written.debugDescription), which does not parse: \(error)")
    }
    checkWrittenLine(algorithm: line.algorithm, keyBytes: line.keyBytes, comment: line.comment)
    if let key = try? line.publicKey() {
        fuzzCheck(key.bytes.count == line.algorithm.publicKeyByteCount, "public key size")
        fuzzCheck(key.fingerprint.hasPrefix(Fingerprint.prefix), "fingerprint prefix")
    }
    if let key = try? line.privateKey() {
        fuzzCheck(key.publicKey.algorithm == line.algorithm, "private key's public key has another algorithm")
    }
}

/// What `PublicKey.line(comment:)` and `AuthorizedKeys.add` write for any
/// comment must read back as that key with the comment cleaned by `KeyLine.init`.
private func checkWrittenLine(algorithm: KeyAlgorithm, keyBytes: [UInt8], comment: String?) {
    let built = KeyLine(algorithm: algorithm, keyBytes: keyBytes, comment: comment)
    do {
        let parsed = try KeyLine(parsing: built.text)
        fuzzCheck(parsed == built, "KeyLine(comment: \(String(describing: comment).debugDescription)) wrote \(built.text.debugDescription), which reads back as \(parsed)")
    } catch {
        fuzzCheck(false, "KeyLine(comment: \(String(describing: comment).debugDescription)) wrote \(built.text.debugDescription), which does not parse: \(error)")
    }
}

/// Accepted entries are unique, validly named, and what `add` would write
/// for them reads back as the same entry.
private func checkAllowList(_ bytes: [UInt8]) {
    let list = AuthorizedKeysList(parsing: bytes, path: "authorized_keys")
    let lineCount = KeyFileLines.split(bytes).count
    fuzzCheck(list.entries.count <= lineCount, "more entries than lines")
    fuzzCheck(Set(list.entries.map(\.key)).count == list.entries.count, "a key accepted twice")
    for entry in list.entries {
        fuzzCheck(AuthorizedKeys.problem(withName: entry.name) == nil, "accepted the invalid name \(entry.name.debugDescription)")
        fuzzCheck(list.entriesByKey[entry.key] == entry, "entriesByKey disagrees with entries")
        let written = entry.key.line(comment: entry.name)
        let reread = AuthorizedKeysList(parsing: Array((written + "\n").utf8), path: "authorized_keys")
        fuzzCheck(reread.entries.count == 1 && reread.entries[0].key == entry.key && reread.entries[0].name == entry.name,
                  "allow-list entry \(entry.name.debugDescription) written as \(written.debugDescription) reads back as \(reread.entries), warnings \(reread.warnings)")
    }
}

/// An accepted known_hosts line, written back in normal form as
/// `remember` writes it, reads back the same, and the normal form is stable.
private func checkKnownHostsLine(_ text: String) {
    guard let (hostAndPort, key) = try? KnownHosts.parse(text) else { return }
    let written = hostAndPort + " " + key.line()
    guard let (again, againKey) = try? KnownHosts.parse(written) else {
        fuzzCheck(false, "known_hosts line \(text.debugDescription) written as \(written.debugDescription) does not parse")
        return
    }
    fuzzCheck(again == hostAndPort && againKey == key, "known_hosts normal form \(hostAndPort.debugDescription) is not stable: \(again.debugDescription)")
}

/// A host the client connected to, once remembered, is found again: the
/// line `remember` writes reads back with the same normal form.
private func checkRememberedHost(_ host: String) {
    guard let hostAndPort = try? KnownHosts.hostAndPort(host: host, port: 7700),
          let key = try? PublicKey(algorithm: .x25519, bytes: fixedKey) else { return }
    let written = hostAndPort + " " + key.line()
    guard let (again, _) = try? KnownHosts.parse(written) else {
        fuzzCheck(false, "host \(host.debugDescription) is remembered as \(written.debugDescription), which does not parse")
        return
    }
    fuzzCheck(again == hostAndPort, "host \(host.debugDescription) is remembered as \(hostAndPort.debugDescription) but reads back as \(again.debugDescription)")
}

/// Accepted invites, written back as `invite` writes them, read back the
/// same; a hash that is not 32 bytes is never accepted.
private func checkInvites(_ bytes: [UInt8]) {
    let list = InviteList(parsing: bytes)
    for invite in list.invites {
        fuzzCheck(invite.tokenHash.count == 32, "an invite hash of \(invite.tokenHash.count) bytes")
        fuzzCheck(AuthorizedKeys.problem(withName: invite.name) == nil, "an invite for the invalid name \(invite.name.debugDescription)")
        let reread = InviteList(parsing: InviteList.format([invite]))
        fuzzCheck(reread.problems.isEmpty && reread.invites.count == 1, "invite for \(invite.name.debugDescription) does not read back: \(reread.problems)")
        if let again = reread.invites.first {
            fuzzCheck(again.tokenHash == invite.tokenHash && again.expires == invite.expires && again.name == invite.name
                      && again.options == invite.options, "invite for \(invite.name.debugDescription) reads back differently")
        }
    }
}

/// The last-seen file read, written and read again gives the same times.
private func checkLastSeen(_ bytes: [UInt8]) {
    let parsed = LastSeenFile.parse(bytes)
    fuzzCheck(LastSeenFile.parse(LastSeenFile.format(parsed)) == parsed, "last_seen does not read back what it wrote")
}
