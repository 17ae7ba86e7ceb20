extension StringProtocol {
    /// The text without the leading and trailing Unicode scalars that
    /// `isPadding` accepts (by default spaces): `" chat, ftp "` and FTP
    /// reply text trim spaces, key lines spaces and tabs.
    public func trimmed(where isPadding: (Unicode.Scalar) -> Bool = { $0 == " " }) -> Substring {
        let text = Substring(self)
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isPadding($0) }),
              let last = scalars.lastIndex(where: { !isPadding($0) })
        else { return text[text.endIndex...] }
        return Substring(scalars[first...last])
    }
}
