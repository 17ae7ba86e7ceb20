import KeyGateSystem
import KeyGateChannel
import KeyGateClient

/// `keygate trace`: draws the sessions of a trace file.
struct TraceCommand: Command {
    let spec = CommandSpec(
        name: "trace",
        summary: "Draw the sessions of a --trace-file as sequence diagrams (HTML or SVG).",
        usage: "FILE (--html OUT.html | --svg OUT.svg) [--session ID]",
        options: [
            .init("html", value: "OUT.html", help: "Write a self-contained HTML page: each session's diagram, key sources and every token explained."),
            .init("svg", value: "OUT.svg", help: "Write the diagrams as one SVG image, one below the other."),
            .init("session", value: "ID", help: "Draw only the session with this id (default: every session in FILE)."),
        ],
        discussion: """
            FILE is written by 'keygate serve', 'chat' or 'ftp' started with
            --trace-file FILE: one JSON line per handshake message and token,
            the grant and the move to the data port, each with its session's
            id. A diagram shows both parties, where each one's keys come
            from, every message with its tokens, sizes, what is encrypted
            and its Noise 7.7 security grades, the grant and the data-port
            move, as the side that wrote FILE saw them.

            The output has no script and loads nothing: it can go in a report
            as it is. Everything taken from FILE is escaped.

            Exit status 1 when FILE is not a trace file, has a cut-off line,
            or holds no session ID; 2 for a wrong command line.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let path = try arguments.singlePositional("FILE", command: spec.name)
        let html = arguments.value("html"), svg = arguments.value("svg")
        guard html != nil || svg != nil else {
            throw UsageError("say what to draw: --html OUT.html or --svg OUT.svg (or both)")
        }
        let contents = try await TraceFileContents.read(path: path)
        var diagrams: [SessionDiagram] = []
        for session in try contents.sessions(matching: arguments.value("session")) {
            diagrams.append(try SessionDiagram(session, path: path))
        }
        if let html {
            try await Self.write(SessionDiagram.htmlDocument(diagrams, source: path), to: html)
            Console.shared.err("keygate trace: \(diagrams.count) session(s) drawn in \(html)")
        }
        if let svg {
            try await Self.write(SessionDiagram.svgDocument(diagrams), to: svg)
            Console.shared.err("keygate trace: \(diagrams.count) session(s) drawn in \(svg)")
        }
        return .success
    }

    /// Writes `text` to `path` (replacing it) on the blocking executor.
    private static func write(_ text: String, to path: String) async throws {
        try await BlockingExecutor.shared.run { () throws(TraceFileError) -> Void in
            try SessionDiagram.writeFile(text, to: path)
        }
    }
}
