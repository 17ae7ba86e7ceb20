import Glibc

/// The permission bits that uploaded files and new folders do not get
/// (`keygate serve --ftp-umask`), as umask(2) would say it, but applied by
/// the FTP service itself: a file gets `0666 & ~mask`, a folder `0777 &
/// ~mask`, whatever the server process's own umask is.
public struct FileModeMask: Sendable, Hashable, CustomStringConvertible {
    /// The mask, 0 to 0o777.
    public let bits: mode_t

    /// 022: files 0644, folders 0755.
    public static let standard = FileModeMask(uncheckedBits: 0o022)

    private init(uncheckedBits bits: mode_t) {
        self.bits = bits
    }

    /// The mask `bits`; nil when it has bits outside 0o777.
    public init?(bits: mode_t) {
        guard bits & ~0o777 == 0 else { return nil }
        self.init(uncheckedBits: bits)
    }

    /// Parses an octal mask as umask(1) takes it: octal digits only
    /// (leading zeros allowed), at most 777: `022`, `77`, `0`.
    /// - Throws: `FTPError.invalidUmask` for anything else (`8`, `0999`,
    ///   `01000`, `-22`, `0o22`, an empty text).
    public init(octal text: String) throws(FTPError) {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }),
              let value = mode_t(text, radix: 8), value <= 0o777
        else { throw .invalidUmask(FTPPath.shown(text)) }
        self.init(uncheckedBits: value)
    }

    /// The mode of an uploaded file: `0666 & ~mask`.
    public var fileMode: mode_t { 0o666 & ~bits }

    /// The mode of a folder made with MKD: `0777 & ~mask`.
    public var folderMode: mode_t { 0o777 & ~bits }

    /// Three octal digits, `022`.
    public var description: String {
        let digits = String(bits, radix: 8)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}
