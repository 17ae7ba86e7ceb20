/// The digests HASH can answer with (draft-bryan-ftpext-hash section
/// 3.1, named as in the IANA hash function textual names registry).
/// SHA-256 only: it is the default, and the one KeyGate clients verify
/// with.
public enum FileHashAlgorithm: String, CaseIterable, Sendable {
    case sha256 = "SHA-256"

    /// The name on the wire (`SHA-256`).
    public var name: String { rawValue }

    /// The algorithm called `name` in any case; nil for one not offered.
    public init?(named name: String) {
        guard let algorithm = Self.allCases.first(where: { $0.name.uppercased() == name.uppercased() }) else { return nil }
        self = algorithm
    }
}
