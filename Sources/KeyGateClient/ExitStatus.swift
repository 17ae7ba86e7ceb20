/// The process exit statuses of every `keygate` command; scripts rely on them.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case failure = 1
    case usage = 2
    case denied = 3
    case serverKeyMismatch = 4
    case unreachable = 5

    /// The table printed in help texts.
    public static let helpTable = """
        Exit status:
          0  success
          1  error (the message on stderr says which)
          2  usage error (unknown option, missing argument)
          3  denied by the server (key not in its allow-list, unknown service)
          4  the server's key differs from the pinned or known key
          5  cannot connect, timed out, or the server is busy (try again later)
        """
}
