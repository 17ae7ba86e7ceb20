import KeyGateCrypto

/// One run of a primitive on poisoned secrets.
///
/// Memcheck does the judging: it reports, with a stack trace, every branch
/// and memory index that depends on a byte marked secret. `body` only
/// prepares secrets (`Secrets`), runs the code and confirms the results
/// (`Expect`, which declassifies first), so that a check that silently did
/// nothing cannot pass either.
struct Check: Sendable {
    /// `primitive/what`, as printed and as `--only` selects it.
    let name: String
    let body: @Sendable () throws(CheckFailure) -> Void

    init(_ name: String, _ body: @escaping @Sendable () throws(CheckFailure) -> Void) {
        self.name = name
        self.body = body
    }
}

/// A result that was not what the check expected (a wrong output, not a
/// timing leak: those are memcheck's to report).
struct CheckFailure: Error, CustomStringConvertible {
    let description: String
}

/// Comparisons of results, made after declassifying them: the comparison
/// is the checker's, not the code under test's.
enum Expect {
    static func equal(_ actual: [UInt8], _ expected: [UInt8], _ what: @autoclosure () -> String) throws(CheckFailure) {
        ConstantTimeValidation.declassify(actual)
        ConstantTimeValidation.declassify(expected)
        guard actual == expected else {
            throw CheckFailure(description: "\(what()): got \(actual.hex), expected \(expected.hex)")
        }
    }

    static func isTrue(_ condition: Bool, _ what: @autoclosure () -> String) throws(CheckFailure) {
        guard ConstantTimeValidation.declassify(condition) else { throw CheckFailure(description: what()) }
    }

    /// Runs `body`, which must throw (a tampered message, an invalid key).
    static func fails<Failure: Error>(_ what: @autoclosure () -> String, _ body: () throws(Failure) -> Void) throws(CheckFailure) {
        do {
            try body()
        } catch {
            return
        }
        throw CheckFailure(description: "\(what()) succeeded; it must fail")
    }

    /// Runs `body`, which must not throw.
    static func succeeds<Value, Failure: Error>(_ what: @autoclosure () -> String, _ body: () throws(Failure) -> Value) throws(CheckFailure) -> Value {
        do {
            return try body()
        } catch {
            throw CheckFailure(description: "\(what()) failed: \(error)")
        }
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal, for failure messages (of declassified bytes only).
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
