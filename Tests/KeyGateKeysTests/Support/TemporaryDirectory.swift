import Glibc
import Testing

/// A fresh directory under /tmp for one test, removed with everything in it
/// when `body` returns or throws.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let directory = try makeTemporaryDirectory()
    defer { removeRecursively(directory) }
    return try body(directory)
}

/// The async variant, for tests that run lookups concurrently.
func withTemporaryDirectory<Result>(_ body: (String) async throws -> Result) async throws -> Result {
    let directory = try makeTemporaryDirectory()
    defer { removeRecursively(directory) }
    return try await body(directory)
}

private func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/keygate-keys-test-XXXXXX".utf8CString)
    return try template.withUnsafeMutableBufferPointer { buffer in
        guard let created = mkdtemp(buffer.baseAddress!) else { throw TestFileError("mkdtemp", errno) }
        return String(cString: created)
    }
}

/// A failed system call in test setup.
struct TestFileError: Error, CustomStringConvertible {
    let description: String
    init(_ call: String, _ code: Int32, _ path: String = "") {
        description = "\(call) \(path) failed: errno \(code)"
    }
}

/// Writes `text` to `path` (replacing it in place) with `mode`.
func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    try writeFile(path, bytes: Array(text.utf8), mode: mode)
}

/// Writes `bytes` to `path` (replacing it in place) and sets `mode`.
func writeFile(_ path: String, bytes: [UInt8], mode: mode_t = 0o644) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard descriptor >= 0 else { throw TestFileError("open", errno, path) }
    defer { close(descriptor) }
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw TestFileError("write", errno, path) }
    guard fchmod(descriptor, mode) == 0 else { throw TestFileError("fchmod", errno, path) }
}

/// The contents of `path` as text.
func readFile(_ path: String) throws -> String {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw TestFileError("open", errno, path) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw TestFileError("read", errno, path) }
        if count == 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The permission bits of `path`.
func permissions(of path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { throw TestFileError("stat", errno, path) }
    return info.st_mode & 0o7777
}

/// Sets the permission bits of `path`.
func setPermissions(_ path: String, _ mode: mode_t) throws {
    guard chmod(path, mode) == 0 else { throw TestFileError("chmod", errno, path) }
}

/// The names in `directory`, without `.` and `..`, sorted.
func directoryEntries(_ directory: String) throws -> [String] {
    guard let stream = opendir(directory) else { throw TestFileError("opendir", errno, directory) }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// Whether anything exists at `path`.
func fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

private func removeRecursively(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        _ = chmod(path, 0o700)
        for name in (try? directoryEntries(path)) ?? [] {
            removeRecursively(path + "/" + name)
        }
        _ = rmdir(path)
    } else {
        _ = unlink(path)
    }
}
