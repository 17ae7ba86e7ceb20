import KeyGateFTP

extension ParsedArguments {
    /// The value of `--name` as a positive number of bytes (`ByteSize`:
    /// `10M`, `512K`, `1048576`), or nil when the option is absent.
    /// - Throws: `UsageError` naming the option when the text is not one.
    func byteSize(_ name: String) throws(UsageError) -> Int64? {
        guard let text = value(name) else { return nil }
        guard let bytes = ByteSize.parse(text), bytes > 0 else {
            throw UsageError("--\(name) must be a positive number of bytes, with K, M, G or T for powers of 1024 "
                + "(like 512K or 10M), got '\(text)'")
        }
        return bytes
    }
}
