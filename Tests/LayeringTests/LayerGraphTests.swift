import Foundation
import Testing

/// The import graph that Package.swift's comment states, checked against
/// every source file: SwiftPM lets a module import anything its
/// dependencies depend on, so only reading the imports shows a layer
/// reaching past the one below it (or a service reaching into the server).
struct LayerGraphTests {
    /// The platform modules any layer may use. Not Dispatch: blocking work
    /// goes to KeyGateSystem's one executor, threads come from its one
    /// spawner.
    static let platform: Set<String> = ["Glibc", "Synchronization", "_Concurrency"]

    /// Each module and the project modules it may import.
    static let allowedImports: [String: Set<String>] = {
        let base: Set<String> = ["CKeyGateSystem", "KeyGateSystem"]
        let belowChannel = base.union(["KeyGateCrypto", "KeyGateNoise", "KeyGateKeys", "KeyGateSockets"])
        let services = belowChannel.union(["KeyGateChannel"])
        return [
            "CKeyGateSystem": [],
            "KeyGateSystem": ["CKeyGateSystem"],
            "CKeyGateCrypto": [],
            "KeyGateCrypto": ["CKeyGateSystem", "CKeyGateCrypto"],
            "KeyGateNoise": ["KeyGateCrypto"],
            "KeyGateKeys": ["KeyGateSystem", "KeyGateCrypto", "KeyGateNoise"],
            "KeyGateSockets": base,
            "KeyGateChannel": belowChannel,
            "KeyGateServer": services,
            "KeyGateChat": services,
            "KeyGateFTP": services,
            "KeyGateClient": services.union(["KeyGateChat", "KeyGateFTP"]),
            "KeyGateLab": services,
            "KeyGateBenchmarks": services.union(["KeyGateChat", "KeyGateFTP", "KeyGateClient"]),
            "keygate": services.union(["KeyGateServer", "KeyGateChat", "KeyGateFTP", "KeyGateClient", "KeyGateLab", "KeyGateBenchmarks"]),
            "keygate-ct-check": ["KeyGateCrypto", "KeyGateNoise", "KeyGateKeys"],
        ]
    }()

    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// The modules imported by the Swift files under `folder`, with the
    /// file that imports each.
    static func imports(under folder: URL) throws -> [(module: String, file: String)] {
        var found: [(String, String)] = []
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let index = words.firstIndex(of: "import"), index < words.count - 1,
                      words[..<index].allSatisfy({ ["@testable", "public", "package", "internal", "@_exported", "@preconcurrency"].contains($0) })
                else { continue }
                found.append((words[index + 1], file.lastPathComponent))
            }
        }
        return found
    }

    @Test func everyModuleOfSourcesIsInTheGraph() throws {
        let modules = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path).filter { !$0.hasPrefix(".") }
        #expect(Set(modules) == Set(Self.allowedImports.keys))
    }

    @Test(arguments: allowedImports.keys.sorted())
    func importsFollowTheGraph(module: String) throws {
        let allowed = Self.allowedImports[module]!.union(Self.platform)
        let imports = try Self.imports(under: Self.sources.appendingPathComponent(module))
        for (imported, file) in imports where !allowed.contains(imported) {
            Issue.record("\(module)/\(file) imports \(imported), which the layer graph in Package.swift does not allow")
        }
    }

    /// KeyGateSystem's SystemThread is the only place that starts a thread.
    @Test func onlyTheSystemLayerStartsThreads() throws {
        for module in Self.allowedImports.keys where module != "KeyGateSystem" {
            let files = FileManager.default.enumerator(at: Self.sources.appendingPathComponent(module), includingPropertiesForKeys: nil)
            while let file = files?.nextObject() as? URL {
                guard file.pathExtension == "swift" else { continue }
                let text = try String(contentsOf: file, encoding: .utf8)
                #expect(!text.contains("pthread_create("), "\(module)/\(file.lastPathComponent) starts a thread: use SystemThread")
            }
        }
    }

    @Test func nothingButTheCommandLineToolImportsTheServer() throws {
        for module in Self.allowedImports.keys where module != "keygate" {
            #expect(Self.allowedImports[module]?.contains("KeyGateServer") == false)
        }
    }
}
