/// A configuration file that cannot be used: each problem names the file
/// and line and says what is allowed there (exit status 1).
struct ConfigFileError: Error, CustomStringConvertible {
    /// `path:line: what is wrong; what is allowed`, one per problem.
    let problems: [String]

    var description: String {
        problems.count == 1 ? problems[0] : "\(problems.count) problems in the configuration:\n" + problems.joined(separator: "\n")
    }
}
