import Foundation
import KeyGateChannel
import KeyGateClient
import KeyGateTestSupport
import Testing

/// `keygate trace` as a student runs it: a trace file in, a picture out,
/// and a clear message with exit status 1 for a file it cannot draw.
struct TraceCommandTests {
    /// A folder holding `trace.jsonl` with an XX session traced by the
    /// server and an IK session traced by the client.
    static func folder() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory("keygate-trace-command")
        let records = try TraceFixture.records("XX", side: .responder, session: "aaaa000000000001")
            + TraceFixture.records("IK", side: .initiator, session: "bbbb000000000002")
        try writeFile(directory.appending("trace.jsonl"), Array(TraceFixture.text(records).utf8))
        return directory
    }

    static func read(_ path: String) -> String {
        readFile(path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    @Test func drawsEverySessionOrTheOneAskedFor() async throws {
        let directory = try Self.folder()
        defer { directory.remove() }
        let html = directory.appending("out.html"), svg = directory.appending("out.svg")
        var outcome = try await KeygateBinary.run(["trace", "trace.jsonl", "--html", html, "--svg", svg], in: directory.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("2 session(s) drawn in \(html)"))
        #expect(Self.read(html).components(separatedBy: "<section class=\"session\"").count == 3)
        #expect(Self.read(svg).components(separatedBy: "class=\"session-diagram\"").count == 3)

        outcome = try await KeygateBinary.run(
            ["trace", "trace.jsonl", "--html", html, "--session", "bbbb000000000002"], in: directory.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let page = Self.read(html)
        #expect(page.components(separatedBy: "<section class=\"session\"").count == 2)
        #expect(page.contains("data-session=\"bbbb000000000002\"") && !page.contains("aaaa000000000001"))
    }

    @Test(arguments: [
        ("{\"session\":\"a\",\"event\":\"message\",\"side\":\"initiator\"", "line 1 is cut off"),
        ("GIF89a\n", "line 1 is not a trace record"),
        ("", "is empty: no session was traced into it"),
    ])
    func aFileItCannotDrawIsAnErrorWithStatusOne(text: String, message: String) async throws {
        let directory = TemporaryDirectory("keygate-trace-command")
        defer { directory.remove() }
        try writeFile(directory.appending("bad.jsonl"), Array(text.utf8))
        let outcome = try await KeygateBinary.run(["trace", "bad.jsonl", "--html", "out.html"], in: directory.path)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(readFile(directory.appending("out.html")) == nil, "nothing drawn")
    }

    @Test func anUnknownSessionOrAMissingFileIsStatusOne() async throws {
        let directory = try Self.folder()
        defer { directory.remove() }
        var outcome = try await KeygateBinary.run(["trace", "trace.jsonl", "--svg", "o.svg", "--session", "cafe"], in: directory.path)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("no session 'cafe' in the file; it holds: aaaa000000000001, bbbb000000000002"), "\(outcome.stderr)")
        outcome = try await KeygateBinary.run(["trace", "missing.jsonl", "--svg", "o.svg"], in: directory.path)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("missing.jsonl: open failed"), "\(outcome.stderr)")
    }

    @Test func withoutAnOutputItIsAUsageError() async throws {
        let outcome = try await KeygateBinary.run(["trace", "trace.jsonl"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--html OUT.html or --svg OUT.svg"), "\(outcome.stderr)")
    }
}

/// Debian's `chromium`, headless: the page a student puts in a report,
/// rendered as a browser renders it.
@Suite(.enabled(if: Chromium.path != nil, "chromium not found on PATH: install it (apt-get install -y chromium) to render keygate trace's HTML"))
struct TraceHTMLInChromiumTests {
    @Test func thePageRendersWithItsDiagramsAndNoErrors() async throws {
        let directory = try TraceCommandTests.folder()
        defer { directory.remove() }
        let html = directory.appending("trace.html"), png = directory.appending("trace.png")
        let drawn = try await KeygateBinary.run(["trace", "trace.jsonl", "--html", html], in: directory.path)
        try #require(drawn.status == 0, "\(drawn.stderr)")

        let shot = try await Chromium.run([
            "--screenshot=\(png)", "--window-size=1100,2400", "--enable-logging=stderr", "--v=0", "file://\(html)",
        ], profile: directory.appending("profile-1"))
        #expect(shot.status == 0, "\(shot.stderr)")
        let image = try #require(readFile(png), "no screenshot: \(shot.stderr)")
        #expect(Array(image.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG")
        // IHDR: width and height, big-endian, at bytes 16-23.
        let width = image[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = image[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1100 && height == 2400, "\(width)x\(height)")
        #expect(image.count > 20_000, "a drawing, not a blank page: \(image.count) bytes")
        // The console would carry a blocked load or a script error.
        let console = shot.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") }
        #expect(console.isEmpty, "\(console)")

        let dom = try await Chromium.run(["--dump-dom", "file://\(html)"], profile: directory.appending("profile-2"))
        #expect(dom.status == 0, "\(dom.stderr)")
        let page = dom.stdout
        #expect(page.components(separatedBy: "<section class=\"session\"").count == 3, "two sessions")
        #expect(page.components(separatedBy: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"session-diagram\"").count == 3)
        #expect(page.components(separatedBy: "<g class=\"message\"").count == 1 + 3 + 2, "XX's 3 messages and IK's 2")
        #expect(page.components(separatedBy: "<g class=\"transport grant\">").count == 3)
        #expect(page.components(separatedBy: "<g class=\"transport data_port\">").count == 3)
        #expect(page.contains("destination 1: Encryption to an ephemeral recipient"))
        #expect(page.contains("IK message 1: e, es, s, ss"))
    }
}

/// The headless browser.
enum Chromium {
    /// The first of Debian's and other distributions' names on the PATH.
    static let path: String? = {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }()

    /// Runs it headless with `arguments` and its own profile folder.
    static func run(_ arguments: [String], profile: String) async throws -> KeygateBinary.Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(path))
        process.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--user-data-dir=\(profile)"]
            + arguments
        let stdout = KeygateBinary.pipe(), stderr = KeygateBinary.pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        async let out = KeygateBinary.readAll(stdout.fileHandleForReading)
        async let err = KeygateBinary.readAll(stderr.fileHandleForReading)
        let (outText, errText) = await (out, err)
        await KeygateBinary.waitForExit(process)
        return KeygateBinary.Outcome(status: process.terminationStatus, stdout: outText, stderr: errText)
    }
}
