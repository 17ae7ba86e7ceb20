import KeyGateSystem

/// Runs blocking key-file work (stat, read, write, fsync, rename) on the
/// process's `BlockingExecutor` for callers in async code, so the
/// cooperative thread pool never waits on the disk.
public enum KeyFileIO {
    /// The result of `work`, computed on a worker of the blocking executor.
    public static func perform<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        try await BlockingExecutor.shared.run(work)
    }
}

extension AuthorizedKeys {
    /// `name(for:)` for async callers: the stat (and any re-read) happens
    /// off the cooperative pool.
    public func lookUpName(for key: PublicKey) async -> String? {
        await KeyFileIO.perform { self.name(for: key) }
    }

    /// `verdict(for:)` for async callers, off the cooperative pool.
    public func lookUpVerdict(for key: PublicKey) async -> Verdict {
        await KeyFileIO.perform { self.verdict(for: key) }
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
