import KeyGateSystem
extension DHLesson {
    /// The lesson as text: the small numbers step by step, then the real groups.
    public var text: String {
        (smallNumberLines + [""] + measurementLines).joined(separator: "\n")
    }

    private var smallNumberLines: [String] {
        let n = small.numbers
        var lines = [
            "Diffie-Hellman with small numbers",
            "=================================",
            "Public, agreed in advance: the prime p = \(n.p) and the base g = \(n.g).",
            "Secret: Alice picks a = \(n.a), Bob picks b = \(n.b); neither ever sends it.",
            "",
            "1. Alice computes A = g^a mod p = \(n.g)^\(n.a) mod \(n.p), by square-and-multiply:",
        ]
        lines += Self.stepLines(small.alicePublic)
        lines.append("   A = \(small.alicePublic.result); Alice sends A to Bob.")
        lines.append("")
        lines.append("2. Bob computes B = g^b mod p = \(n.g)^\(n.b) mod \(n.p):")
        lines += Self.stepLines(small.bobPublic)
        lines.append("   B = \(small.bobPublic.result); Bob sends B to Alice.")
        lines.append("")
        lines.append("3. Alice computes s = B^a mod p = \(small.bobPublic.result)^\(n.a) mod \(n.p):")
        lines += Self.stepLines(small.aliceShared)
        lines.append("   Alice's s = \(small.aliceShared.result)")
        lines.append("")
        lines.append("4. Bob computes s = A^b mod p = \(small.alicePublic.result)^\(n.b) mod \(n.p):")
        lines += Self.stepLines(small.bobShared)
        lines.append("   Bob's s = \(small.bobShared.result)")
        lines.append("")
        lines.append(small.secretsAgree
            ? "The secrets agree (\(small.aliceShared.result) = \(small.bobShared.result)) because B^a = (g^b)^a = g^(ab) = (g^a)^b = A^b (mod p):"
            : "The secrets DIFFER: this is a bug, please report it.")
        lines.append("both computed g^(a*b) = \(n.g)^\(n.a * n.b) mod \(n.p) = \(small.aliceShared.result), each from the other's public value and their own secret.")
        lines.append("")
        lines.append("An eavesdropper sees p = \(n.p), g = \(n.g), A = \(small.alicePublic.result) and B = \(small.bobPublic.result).")
        if let x = small.eavesdropperExponent {
            lines.append("With a p this small, trying g^1, g^2, ... finds g^\(x) mod p = A after \(x) tries, and then s = B^\(x) mod p.")
        } else {
            lines.append("Trying g^1, g^2, ... finds no x with g^x mod p = A in \(SmallExchange.eavesdropperTries) tries: the search grows with p.")
        }
        lines.append("That search (the discrete logarithm) is what a 2048-bit p makes hopeless; the arithmetic stays the same.")
        return lines
    }

    private static func stepLines(_ run: SquareAndMultiply) -> [String] {
        var lines = ["   exponent \(run.exponent) = \(run.exponentBits) in binary; start with 1, and for each bit square, then on a 1 multiply by \(run.base):"]
        for step in run.steps {
            let square = "\(step.before)^2 = \(step.before * step.before) = \(step.squared) (mod \(run.modulus))"
            if step.bit == 1 {
                lines.append("   bit 1: \(square); x \(run.base) = \(step.squared * (run.base % run.modulus)) = \(step.after) (mod \(run.modulus))")
            } else {
                lines.append("   bit 0: \(square)")
            }
        }
        return lines
    }

    private var measurementLines: [String] {
        var lines = [
            "The same exchange for real, on this machine",
            "===========================================",
        ]
        for m in measurements {
            lines.append("")
            lines += m.name == "x25519" ? x25519Intro : ffdheIntro
            lines.append("  private key: \(m.privateKeyByteCount) bytes; public value: \(m.publicKeyByteCount) bytes; shared secret: \(m.sharedSecretByteCount) bytes")
            lines.append("  \(m.protocolName) messages (chat): " + m.handshakeMessageSizes.enumerated().map { "\($0.offset + 1): \($0.element) bytes" }.joined(separator: ", "))
            lines.append("  Alice's public value: \(Self.abbreviated(m.alicePublic))")
            lines.append("  Bob's public value:   \(Self.abbreviated(m.bobPublic))")
            lines.append("  Alice's secret:       \(Self.abbreviated(m.aliceShared))")
            lines.append("  Bob's secret:         \(Self.abbreviated(m.bobShared))")
            lines.append("  time per exchange (two key pairs, two shared secrets): \(Self.format(m.microsecondsPerExchange)) us, averaged over \(m.rounds); one side: \(Self.format(m.microsecondsPerSide)) us")
            lines.append(m.secretsAgree ? "  the secrets agree in every exchange" : "  the secrets DIFFER: this is a bug, please report it")
        }
        return lines
    }

    private var ffdheIntro: [String] {
        [
            "ffdhe2048 (RFC 7919): the small-number recipe with a 2048-bit prime p and g = 2.",
            "  The secret exponents are 256-bit numbers; A = 2^a mod p and s = B^a mod p as above,",
            "  and the secrets agree for the same reason: (g^b)^a = (g^a)^b mod p.",
        ]
    }

    private var x25519Intro: [String] {
        [
            "X25519 (RFC 7748): the same idea on the elliptic curve Curve25519.",
            "  'Raising g to a' becomes adding the base point P to itself a times (a*P); the secret",
            "  a is a 255-bit number (clamped), the public value is the x-coordinate of a*P.",
            "  The secrets agree because a*(b*P) = (a*b)*P = b*(a*P): the same law as (g^b)^a = (g^a)^b.",
        ]
    }

    /// The first and last 8 bytes of a long value, in hex.
    static func abbreviated(_ bytes: [UInt8]) -> String {
        guard bytes.count > 16 else { return Hex.encode(bytes) }
        return Hex.encode(bytes.prefix(8)) + "..." + Hex.encode(bytes.suffix(8))
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
