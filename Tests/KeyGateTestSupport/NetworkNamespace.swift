import KeyGateSystem
import Foundation
import Glibc

/// A second host for tests: a network namespace joined to this one by a
/// veth pair (`10.77.N.1` here, `10.77.N.2` there), made with iproute2.
/// Needs root; `isAvailable` says whether this machine allows it.
public final class NetworkNamespace: Sendable {
    public let name: String
    /// This host's end of the link.
    public let hostAddress: String
    /// The namespace's end of the link.
    public let peerAddress: String
    private let hostInterface: String

    /// Whether namespaces can be made here (root, iproute2, the kernel's leave).
    public static let isAvailable: Bool = {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return false }
        let probe = "kgprobe\(getpid())"
        defer { _ = try? run(["netns", "del", probe]) }
        return (try? run(["netns", "add", probe])) != nil
    }()

    /// Makes a namespace with a link to this host.
    public init() throws {
        let number = Int.random(in: 10...250)
        name = "kgtest\(getpid())x\(number)"
        hostInterface = "kg\(number)h\(getpid() % 1000)"
        hostAddress = "10.77.\(number).1"
        peerAddress = "10.77.\(number).2"
        try Self.run(["netns", "add", name])
        do {
            try Self.run(["link", "add", hostInterface, "type", "veth", "peer", "name", "kgpeer", "netns", name])
            try Self.run(["addr", "add", "\(hostAddress)/30", "dev", hostInterface])
            try Self.run(["link", "set", hostInterface, "up"])
            try Self.run(["netns", "exec", name, "ip", "addr", "add", "\(peerAddress)/30", "dev", "kgpeer"])
            try Self.run(["netns", "exec", name, "ip", "link", "set", "kgpeer", "up"])
            try Self.run(["netns", "exec", name, "ip", "link", "set", "lo", "up"])
        } catch {
            remove()
            throw error
        }
    }

    /// Takes the link down: from here on the namespace's packets go
    /// nowhere, without a FIN or a reset, as when a machine is unplugged.
    public func cutLink() throws {
        try Self.run(["link", "set", hostInterface, "down"])
    }

    /// Starts `arguments` inside the namespace; its stdin stays open.
    public func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", name] + arguments
        process.standardInput = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Deletes the link and the namespace.
    public func remove() {
        _ = try? Self.run(["link", "del", hostInterface])
        _ = try? Self.run(["netns", "del", name])
    }

    /// A command of iproute2 failed.
    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public var description: String { "ip \(arguments.joined(separator: " ")) exited with \(status)" }
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(arguments: arguments, status: process.terminationStatus) }
        return 0
    }
}
