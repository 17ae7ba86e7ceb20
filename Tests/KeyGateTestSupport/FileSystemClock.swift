import KeyGateFTP

/// The clock file times come from (CLOCK_REALTIME_COARSE): it ticks every
/// few milliseconds, and two changes within one tick get the same ctime.
public enum FileSystemClock {
    /// Nanoseconds since 1970 on that clock (`FileIdentity.coarseNow`).
    public static var now: Int64 { FileIdentity.coarseNow() }

    /// Waits (at most `timeout`) until the clock is past `nanoseconds`, so
    /// that a change made now gets a later file time than one made then;
    /// returns whether it is.
    public static func passes(_ nanoseconds: Int64, timeout: Duration = .seconds(5)) async -> Bool {
        await eventually(timeout: timeout) { now > nanoseconds }
    }
}
