import KeyGateSystem

/// What went wrong in a lab tool: a lesson's numbers, a capture file or a
/// keylog. Each description says what was wrong and what to do.
public enum LabError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A small-number lesson parameter is unusable.
    case badLessonParameter(String)
    /// The capture is not a libpcap file (nor a pcapng one, which is named).
    case notACapture(String)
    /// The capture ends inside a header or a packet.
    case truncatedCapture(String)
    /// The capture's link type is not one the decoder reads.
    case unsupportedLinkType(UInt32)
    /// A file cannot be opened or read.
    case unreadableFile(path: String, reason: String)
    /// A keylog line cannot be read.
    case badKeyLogLine(line: Int, reason: String)

    public var description: String {
        switch self {
        case let .badLessonParameter(reason):
            return "\(reason); see 'keygate lesson --help'"
        case let .notACapture(reason):
            return "not a libpcap capture: \(reason) (write one with 'tcpdump -i lo -w FILE', or convert pcapng with 'editcap -F pcap')"
        case let .truncatedCapture(reason):
            return "truncated capture: \(reason) (was the capture stopped before it was written out? stop tcpdump with Ctrl-C, not kill -9)"
        case let .unsupportedLinkType(type):
            return "capture link type \(type) is not supported: capture on an Ethernet or loopback interface (Ethernet 1, null/loopback 0, Linux cooked 113 or 276, raw IP 101)"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .badKeyLogLine(line, reason):
            return "keylog line \(line): \(reason) (the file must be one written by --keylog)"
        }
    }
}
