import Testing
@testable import KeyGateCrypto

/// The mulx ladder (x25519_bmi2.c) against the portable one: the RFC 7748
/// vectors on both, and the same output for random and edge scalars and
/// u-coordinates, non-canonical ones (p and above, top bit set) included.
struct X25519ImplementationTests {
    static let hasBMI2 = CPUFeatures.detected.contains(.bmi2)

    /// Random test input, from the kernel's generator in one call (a
    /// byte-by-byte loop in the unoptimized test build costs seconds).
    static func randomBytes(_ count: Int) -> [UInt8] {
        SecureRandom.bytes(count: count)
    }

    static var implementations: [X25519.Implementation] {
        hasBMI2 ? [.portable, .mulx] : [.portable]
    }

    /// p - 1, p, p + 1, p + 9, 2^255 - 1, with and without the top bit, and
    /// small values: the encodings where the reductions meet their edges.
    static let edgeUs: [[UInt8]] = {
        var values: [[UInt8]] = []
        for low in [0xec, 0xed, 0xee, 0xf6, 0xff] as [UInt8] {
            values.append([low] + [UInt8](repeating: 0xff, count: 30) + [0x7f])
            values.append([low] + [UInt8](repeating: 0xff, count: 30) + [0xff])
        }
        for small in [0, 1, 2, 9] as [UInt8] {
            values.append([small] + [UInt8](repeating: 0, count: 31))
            values.append([small] + [UInt8](repeating: 0, count: 30) + [0x80])
        }
        values.append([UInt8](repeating: 0xff, count: 32))
        values.append([UInt8](repeating: 0x80, count: 32))
        return values
    }()

    @Test func selectedImplementationFollowsTheEnabledFeatures() {
        #expect(X25519.Implementation.selected == (CPUFeatures.enabled.contains(.bmi2) ? .mulx : .portable))
    }

    @Test func rfc7748VectorsOnEveryAvailablePath() {
        for implementation in Self.implementations {
            for vector in X25519Tests.vectors {
                #expect(X25519.scalarMultiply(scalar: vector.scalar, point: vector.u, by: implementation) == vector.output,
                        "\(vector.name), \(implementation)")
            }
        }
    }

    @Test func rfc7748IteratedVectorsOnEveryAvailablePath() {
        for implementation in Self.implementations {
            var k = [UInt8](repeating: 0, count: 32)
            k[0] = 9
            var u = k
            for iteration in 1...1000 {
                let result = X25519.scalarMultiply(scalar: k, point: u, by: implementation)
                u = k
                k = result
                if iteration == 1 {
                    #expect(k.hex == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", "\(implementation)")
                }
            }
            #expect(k.hex == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", "\(implementation)")
        }
    }

    @Test(.enabled(if: hasBMI2, "the CPU has no BMI2"))
    func randomScalarsAndPointsMatchPortable() {
        for _ in 0..<2000 {
            let scalar = Self.randomBytes(32), point = Self.randomBytes(32)
            #expect(X25519.scalarMultiply(scalar: scalar, point: point, by: .mulx)
                        == X25519.scalarMultiply(scalar: scalar, point: point, by: .portable),
                    "scalar \(scalar.hex) u \(point.hex)")
        }
    }

    @Test(.enabled(if: hasBMI2, "the CPU has no BMI2"))
    func edgeAndNonCanonicalUsMatchPortable() {
        let lowOrder = X25519Tests.lowOrderInputs.map(\.u)
        let scalars = [[UInt8](repeating: 0, count: 32), [UInt8](repeating: 0xff, count: 32)] + (0..<8).map { _ in Self.randomBytes(32) }
        for u in Self.edgeUs + lowOrder {
            for scalar in scalars {
                #expect(X25519.scalarMultiply(scalar: scalar, point: u, by: .mulx)
                            == X25519.scalarMultiply(scalar: scalar, point: u, by: .portable),
                        "scalar \(scalar.hex) u \(u.hex)")
            }
        }
    }

    @Test(.enabled(if: hasBMI2, "the CPU has no BMI2"))
    func chainedOutputsStayEqual() {
        // Each output as the next input: values spread over the whole field.
        var fast = Self.randomBytes(32), portable = fast
        let scalar = Self.randomBytes(32)
        for _ in 0..<300 {
            fast = X25519.scalarMultiply(scalar: scalar, point: fast, by: .mulx)
            portable = X25519.scalarMultiply(scalar: scalar, point: portable, by: .portable)
        }
        #expect(fast == portable)
    }
}
