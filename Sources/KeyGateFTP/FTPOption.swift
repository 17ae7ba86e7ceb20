/// The argument of OPTS (RFC 2389 section 4): the options the server
/// understands, parsed once.
enum FTPOption: Equatable, Sendable {
    /// `OPTS UTF8 ON` (RFC 2640 section 3.3; `UTF8` and `UTF-8 ON` as
    /// clients send them).
    case utf8
    /// `OPTS HASH` (draft-bryan-ftpext-hash section 3.3): the algorithm
    /// asked for as sent, or nil to ask which one is selected.
    case hash(String?)

    /// The option `argument` names; nil for one the server does not offer.
    init?(_ argument: String) {
        let upper = argument.uppercased()
        if ["UTF8 ON", "UTF8", "UTF-8 ON"].contains(upper) {
            self = .utf8
            return
        }
        let words = argument.split(separator: " ", omittingEmptySubsequences: true)
        guard words.first?.uppercased() == "HASH", words.count <= 2 else { return nil }
        self = .hash(words.count == 2 ? String(words[1]) : nil)
    }
}
