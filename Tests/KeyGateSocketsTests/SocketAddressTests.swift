import KeyGateSystem
import KeyGateSockets
import Testing

extension SocketTests {
    struct SocketAddressTests {
        @Test(arguments: [
            ("1.2.3.4:7700", "1.2.3.4", UInt16(7700), "1.2.3.4:7700"),
            ("0.0.0.0:7700", "0.0.0.0", 7700, "0.0.0.0:7700"),
            ("[::1]:7700", "::1", 7700, "[::1]:7700"),
            ("::1", "::1", 9, "[::1]:9"),
            ("[::1]", "::1", 9, "[::1]:9"),
            ("127.0.0.1", "127.0.0.1", 9, "127.0.0.1:9"),
            ("localhost", "127.0.0.1", 9, "127.0.0.1:9"),
            ("localhost:80", "127.0.0.1", 80, "127.0.0.1:80"),
            ("fe80::1:2", "fe80::1:2", 9, "[fe80::1:2]:9"),
            ("[2001:db8::7]:65535", "2001:db8::7", 65535, "[2001:db8::7]:65535"),
            ("10.0.0.1:0", "10.0.0.1", 0, "10.0.0.1:0"),
        ])
        func parsesOperatorText(text: String, host: String, port: UInt16, description: String) throws {
            let address = try SocketAddress(parsing: text, defaultPort: 9)
            #expect(address.host == host)
            #expect(address.port == port)
            #expect(address.description == description)
        }

        @Test(arguments: [
            "", ":7700", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:77a", "example.com",
            "example.com:80", "1.2.3", "256.1.1.1", "[::1", "[::1]x", "[::1]:", "[1.2.3.4]:80", "::1:xyz:7",
            "1.2.3.4:+80", "1.2.3.4: 80",
        ])
        func rejectsInvalidText(text: String) {
            #expect(throws: SystemError.invalidAddress(text)) {
                try SocketAddress(parsing: text, defaultPort: 9)
            }
        }

        @Test func hostInitializerAcceptsLiteralsAndLocalhostOnly() throws {
            #expect(try SocketAddress(host: "LOCALHOST", port: 1).description == "127.0.0.1:1")
            #expect(try SocketAddress(host: "[::1]", port: 2).description == "[::1]:2")
            #expect(try SocketAddress(host: "::ffff:1.2.3.4", port: 3).host == "::ffff:1.2.3.4")
            #expect(throws: SystemError.invalidAddress("keygate.example")) {
                try SocketAddress(host: "keygate.example", port: 1)
            }
        }

        @Test func loopbackAddresses() throws {
            for text in ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.2", "localhost"] {
                #expect(try SocketAddress(host: text, port: 1).isLoopback, "\(text)")
            }
            for text in ["0.0.0.0", "10.0.0.1", "128.0.0.1", "::", "::2", "fe80::1", "::ffff:10.0.0.1"] {
                #expect(try !SocketAddress(host: text, port: 1).isLoopback, "\(text)")
            }
        }

        @Test func wildcardAddresses() throws {
            #expect(try SocketAddress(host: "0.0.0.0", port: 1).isUnspecified)
            #expect(try SocketAddress(host: "::", port: 1).isUnspecified)
            #expect(try !SocketAddress(host: "127.0.0.1", port: 1).isUnspecified)
        }

        @Test func equalityAndHashingFollowTheValue() throws {
            let a = try SocketAddress(parsing: "[0:0::1]:7700", defaultPort: 1)
            let b = try SocketAddress(host: "::1", port: 7700)
            #expect(a == b)
            #expect(Set([a, b]).count == 1)
            #expect(a != b.withPort(7701))
            #expect(try SocketAddress(host: "127.0.0.1", port: 1) != SocketAddress(host: "::ffff:127.0.0.1", port: 1))
        }
    }
}
