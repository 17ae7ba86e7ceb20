import KeyGateChannel
import KeyGateLab
import Testing

/// The lesson's arithmetic, checked against an independent computation:
/// modular powers by repeated multiplication, not square-and-multiply.
struct DHLessonTests {
    /// base^exponent mod modulus, one multiplication at a time.
    static func slowPower(_ base: UInt64, _ exponent: UInt64, _ modulus: UInt64) -> UInt64 {
        var result: UInt64 = 1 % modulus
        for _ in 0..<exponent { result = result * base % modulus }
        return result
    }

    static let examples: [(UInt64, UInt64, UInt64, UInt64)] = [(23, 5, 6, 15), (97, 5, 36, 58), (2_147_483_647, 7, 1_234_567, 7_654_321)]

    @Test(arguments: examples)
    func smallNumbersAreRight(p: UInt64, g: UInt64, a: UInt64, b: UInt64) throws {
        let lesson = try DHLesson(numbers: DHLesson.SmallNumbers(p: p, g: g, a: a, b: b), rounds: 1)
        let small = lesson.small
        if a < 10_000_000 && b < 10_000_000 {
            #expect(small.alicePublic.result == Self.slowPower(g, a, p))
            #expect(small.bobPublic.result == Self.slowPower(g, b, p))
            #expect(small.aliceShared.result == Self.slowPower(small.bobPublic.result, a, p))
            #expect(small.bobShared.result == Self.slowPower(small.alicePublic.result, b, p))
        }
        #expect(small.secretsAgree)
        for run in [small.alicePublic, small.bobPublic, small.aliceShared, small.bobShared] {
            // Every step is one squaring and, on a 1 bit, one multiplication.
            var running: UInt64 = 1
            for step in run.steps {
                #expect(step.before == running)
                #expect(step.squared == running * running % p)
                #expect(step.after == (step.bit == 1 ? step.squared * (run.base % p) % p : step.squared))
                running = step.after
            }
            #expect(run.steps.map { String($0.bit) }.joined() == String(run.exponent, radix: 2))
            #expect(running == run.result)
        }
    }

    @Test func theClassicExampleGivesTheTextbookNumbers() throws {
        let lesson = try DHLesson(rounds: 1)
        #expect(lesson.small.alicePublic.result == 8)
        #expect(lesson.small.bobPublic.result == 19)
        #expect(lesson.small.aliceShared.result == 2)
        #expect(lesson.small.eavesdropperExponent.map { Self.slowPower(5, $0, 23) } == 8)
    }

    /// The text's arithmetic lines, recomputed from the text alone.
    @Test func theTextStatesCorrectArithmetic() throws {
        let text = try DHLesson(rounds: 1).text
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("   A = 8; Alice sends A to Bob."))
        #expect(lines.contains("   B = 19; Bob sends B to Alice."))
        #expect(lines.contains("   Alice's s = 2"))
        #expect(lines.contains("   Bob's s = 2"))
        var checked = 0
        for line in lines where line.hasPrefix("   bit ") {
            // "bit 1: 5^2 = 25 = 2 (mod 23); x 5 = 10 = 10 (mod 23)"
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { UInt64($0) }
            let (bit, before, square, squared, modulus) = (numbers[0], numbers[1], numbers[3], numbers[4], numbers[5])
            #expect(numbers[2] == 2)
            #expect(square == before * before)
            #expect(squared == square % modulus)
            if bit == 1 {
                let (base, product, after) = (numbers[6], numbers[7], numbers[8])
                #expect(product == squared * base)
                #expect(after == product % modulus)
            }
            checked += 1
        }
        #expect(checked == 3 + 4 + 3 + 4)
        #expect(text.contains("ffdhe2048"))
        #expect(text.contains("X25519"))
        #expect(text.contains("the secrets agree in every exchange"))
    }

    @Test func theRealGroupsAgreeAndHaveTheirSizes() throws {
        let lesson = try DHLesson(rounds: 2)
        let byName = Dictionary(uniqueKeysWithValues: lesson.measurements.map { ($0.name, $0) })
        let ffdhe = try #require(byName["ffdhe2048"])
        #expect(ffdhe.publicKeyByteCount == 256 && ffdhe.privateKeyByteCount == 32 && ffdhe.sharedSecretByteCount == 256)
        #expect(ffdhe.handshakeMessageSizes == [256, 256 + 272 + 16, 272 + 4 + 16])
        let x25519 = try #require(byName["x25519"])
        #expect(x25519.publicKeyByteCount == 32 && x25519.sharedSecretByteCount == 32)
        #expect(x25519.handshakeMessageSizes == [32, 96, 68])
        for m in lesson.measurements {
            #expect(m.secretsAgree)
            #expect(m.aliceShared == m.bobShared)
            #expect(m.alicePublic != m.bobPublic)
            #expect(m.microsecondsPerExchange > 0)
        }
    }

    @Test func theWorksheetParsesAndItsSecretsAgree() throws {
        let lesson = try DHLesson(numbers: DHLesson.SmallNumbers(p: 97, g: 5, a: 36, b: 58), rounds: 1)
        let json = try JSONValue.parse(lesson.json.bytes)
        let small = try #require(json["small"])
        #expect(small["A"]?["result"]?.intValue == Int(Self.slowPower(5, 36, 97)))
        #expect(small["alice_shared"]?["result"] == small["bob_shared"]?["result"])
        #expect(small["alice_shared"]?["result"]?.intValue == Int(Self.slowPower(Self.slowPower(5, 58, 97), 36, 97)))
        let groups = try #require(json["groups"]?.arrayValue)
        #expect(groups.count == 2)
        for group in groups {
            #expect(group["alice_shared"]?.stringValue == group["bob_shared"]?.stringValue)
            #expect(group["secrets_agree"]?.boolValue == true)
            #expect((group["alice_public"]?.stringValue?.count ?? 0) == 2 * (group["public_key_bytes"]?.intValue ?? -1))
        }
    }

    @Test(arguments: [(24, 5, 6, 15), (3, 2, 1, 1), (23, 1, 6, 15), (23, 22, 6, 15), (23, 5, 0, 15), (23, 5, 6, 22), (4_294_967_311, 5, 6, 15)])
    func badSmallNumbersAreRefused(p: UInt64, g: UInt64, a: UInt64, b: UInt64) {
        #expect(throws: LabError.self) { try DHLesson.SmallNumbers(p: p, g: g, a: a, b: b) }
    }
}
