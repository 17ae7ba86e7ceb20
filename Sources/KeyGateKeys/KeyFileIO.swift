import Dispatch

/// Runs blocking key-file work (stat, read, write, fsync, rename) on a
/// Dispatch thread for callers in async code, so the cooperative thread pool
/// never waits on the disk.
public enum KeyFileIO {
    private static let queue = DispatchQueue(label: "keygate.key-files", attributes: .concurrent)

    /// The result of `work`, computed off the cooperative pool.
    public static func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// The result of `work`, computed off the cooperative pool.
    public static func perform<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}

extension AuthorizedKeys {
    /// `name(for:)` for async callers: the stat (and any re-read) happens
    /// off the cooperative pool.
    public func lookUpName(for key: PublicKey) async -> String? {
        await KeyFileIO.perform { self.name(for: key) }
    }
}

extension KnownHosts {
    /// `trustOnFirstUse` for async callers: reading and writing the file
    /// (with fsync) happen off the cooperative pool.
    public func verify(host: String, port: Int, key: PublicKey, acceptNewAlgorithm: Bool = false) async throws -> TrustOutcome {
        try await KeyFileIO.perform {
            try self.trustOnFirstUse(host: host, port: port, key: key, acceptNewAlgorithm: acceptNewAlgorithm)
        }
    }
}
