/// The SHA-256 digests of the files a session's transfers moved whole,
/// each under the file's identity once the transfer was over, so that the
/// HASH a client sends to verify a transfer is answered without reading
/// the file again.
///
/// An entry is used only for a file whose identity is still exactly the
/// one recorded: a file changed since (even to the same size with its
/// modification time put back) has a new status-change time and is read
/// and hashed as usual. But a change within the same clock tick (or, on a
/// file system with coarse times, the same second or two) as the last one
/// may keep the ctime, so the digest of a file that was not settled when
/// recorded (`FileIdentity.isSettled`: one a STOR just wrote, always)
/// answers one HASH only, the one that verifies the transfer; the next
/// reads the file. At most `capacity` entries are kept, the oldest going
/// first; a new digest for a file replaces the one before.
struct FileDigestCache: Sendable {
    /// The most entries kept.
    let capacity: Int
    /// Oldest first.
    private var entries: [(identity: FileIdentity, digest: [UInt8], settled: Bool)] = []

    /// The default bound: a client verifies each file right after its
    /// transfer, so a few entries would do; 64 leave room for clients that
    /// verify a batch at the end.
    static let defaultCapacity = 64

    init(capacity: Int = defaultCapacity) {
        precondition(capacity > 0, "a digest cache holds at least one entry")
        self.capacity = capacity
    }

    /// How many digests are kept.
    var count: Int { entries.count }

    /// Keeps `digest` for the file with `identity`, dropping any earlier
    /// digest of the same file (device and inode) and, past `capacity`,
    /// the oldest entry. `now` is the file system clock
    /// (`FileIdentity.coarseNow`), read after the fstat of `identity`.
    mutating func remember(_ digest: [UInt8], for identity: FileIdentity, now: Int64) {
        entries.removeAll { $0.identity.device == identity.device && $0.identity.inode == identity.inode }
        if entries.count == capacity { entries.removeFirst() }
        entries.append((identity, digest, identity.isSettled(at: now)))
    }

    /// The digest kept for a file with exactly `identity`, if any; an
    /// entry that was not settled is used up.
    mutating func take(for identity: FileIdentity) -> [UInt8]? {
        guard let index = entries.lastIndex(where: { $0.identity == identity }) else { return nil }
        let entry = entries[index]
        if !entry.settled { entries.remove(at: index) }
        return entry.digest
    }
}
