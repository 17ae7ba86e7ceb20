import KeyGateSystem
import Foundation
import Glibc
import KeyGateTestSupport

/// The real `keygate` executable, run as scripts and users run it.
enum KeygateBinary {
    /// The executable next to the test bundle.
    static var executable: URL {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "")
        return testBinary.deletingLastPathComponent().appendingPathComponent("keygate")
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs keygate with `arguments` in `directory`, feeding `input` on
    /// stdin, and waits for it to exit.
    static func run(
        _ arguments: [String], input: String = "", in directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdin = pipe(), stdout = pipe(), stderr = pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // Read on threads of their own: these reads block.
        async let out = readAll(stdout.fileHandleForReading)
        async let err = readAll(stderr.fileHandleForReading)
        let (outText, errText) = await (out, err)
        await waitForExit(process)
        return Outcome(status: process.terminationStatus, stdout: outText, stderr: errText)
    }

    /// Starts keygate in the background; stdin stays open until closed.
    /// `environment` is added to this process's.
    static func start(
        _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) throws -> (Process, stderr: FileHandle) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stderr = pipe()
        process.standardInput = pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        return (process, stderr.fileHandleForReading)
    }

    /// Reads `handle` until a line containing `text` arrives (within
    /// `timeout`); returns that line, or nil at its end or the timeout.
    static func firstLine(containing text: String, in handle: FileHandle, timeout: Duration = .seconds(10)) async -> String? {
        let line = try? await onFileThread { () -> String? in
            var buffer = ""
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let data = handle.availableData
                if data.isEmpty { break }
                buffer += String(decoding: data, as: UTF8.self)
                if let line = buffer.split(separator: "\n").first(where: { $0.contains(text) }) {
                    return String(line)
                }
            }
            return nil
        }
        return line ?? nil
    }

    /// A pipe whose descriptors are closed on exec: children of tests that
    /// run at the same time must not inherit each other's pipes, or one
    /// child would hold another's stdin or stdout open and no EOF would come.
    /// (Each child still gets its own ends as 0, 1 and 2: dup2 clears the flag.)
    static func pipe() -> Pipe {
        let pipe = Pipe()
        for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
            _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        return pipe
    }

    static func readAll(_ handle: FileHandle) async -> String {
        (try? await onFileThread { String(decoding: handle.readDataToEndOfFile(), as: UTF8.self) }) ?? ""
    }

    static func waitForExit(_ process: Process) async {
        _ = try? await onFileThread { process.waitUntilExit() }
    }

    /// Whether `tool` is on the PATH.
    static func toolExists(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains { folder in
            FileManager.default.isExecutableFile(atPath: "\(folder)/\(tool)")
        }
    }
}
