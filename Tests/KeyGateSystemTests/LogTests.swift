import Foundation
import KeyGateSystem
import Testing

/// The log's two forms and its level changed at run time.
struct LogTests {
    @Test func aJSONLineIsOneObjectWithTheFieldsInOrder() throws {
        let log = Log(level: .info, destination: .memory, format: .json).with(["peer": "10.0.0.9:7"])
        log.warning("refused", ["source": "10.0.0.9", "detail": "a \"quoted\"\nline\u{1}\\", "event": "clash"])
        let line = try #require(log.lines.first)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "warning")
        #expect(object["event"] == "refused")
        #expect(object["source"] == "10.0.0.9")
        #expect(object["detail"] == "a \"quoted\"\nline\u{1}\\")
        #expect(object["field_event"] == "clash")
        #expect(object["peer"] == "10.0.0.9:7")
        #expect(object["time"]?.hasSuffix("Z") == true)
        #expect(line.hasPrefix(#"{"time":""#))
        #expect(line.contains(#""event":"refused","source":"10.0.0.9","detail":"#))
    }

    @Test func theTextFormIsTheDefault() throws {
        let log = Log(level: .info, destination: .memory)
        log.info("granted", ["port": "7742", "name": "a b"])
        let line = try #require(log.lines.first)
        #expect(line.hasSuffix(#" INFO  granted port=7742 name="a b""#))
    }

    @Test func setLevelChangesEveryDerivedLog() {
        let log = Log(level: .info, destination: .memory)
        let derived = log.with(["session": "1"])
        derived.info("one")
        log.setLevel(.warning)
        #expect(derived.level == .warning)
        derived.info("two")
        log.info("three")
        derived.warning("four")
        #expect(log.lines.count == 2)
        #expect(log.lines.last?.contains("four session=1") == true)
        derived.setLevel(.debug)
        log.debug("five")
        #expect(log.lines.count == 3)
    }
}
