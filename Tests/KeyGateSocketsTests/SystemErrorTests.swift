import KeyGateSystem
import Glibc
@testable import KeyGateSockets
import Testing

extension SocketTests {
    struct SystemErrorTests {
        @Test func descriptionsNameTheOperationAndAddress() throws {
            let address = try SocketAddress(host: "127.0.0.1", port: 7700)
            #expect(
                SystemError.callFailed(call: "connect", errno: ECONNREFUSED, address: address).description
                    == "connect to 127.0.0.1:7700: connection refused")
            #expect(
                SystemError.callFailed(call: "read", errno: ECONNRESET, address: address).description
                    == "read from 127.0.0.1:7700: connection reset by peer")
            #expect(
                TimedOut(while: SystemError.subject("accept", address)).description
                    == "accept on 127.0.0.1:7700: timed out")
            #expect(
                SystemError.portRangeExhausted(host: "0.0.0.0", range: 7701...7799).description
                    == "bind 0.0.0.0:7701-7799: no free port in the range")
            #expect(
                SystemError.portRangeExhausted(host: "::1", range: 1...2).description
                    == "bind [::1]:1-2: no free port in the range")
            #expect(
                SystemError.unexpectedEndOfStream(expected: 10, received: 3).description
                    == "the peer closed the connection after 3 of 10 expected bytes")
        }

        @Test func hintsForErrorsAnOperatorCanFix() throws {
            let address = try SocketAddress(host: "0.0.0.0", port: 7700)
            let inUse = SystemError.callFailed(call: "bind", errno: EADDRINUSE, address: address).description
            #expect(inUse.hasPrefix("bind 0.0.0.0:7700: address already in use ("))
            let tooMany = SystemError.callFailed(call: "accept", errno: EMFILE, address: address).description
            #expect(tooMany.contains("ulimit -n"))
        }

        @Test func errnoOnlyForFailedCalls() {
            #expect(SystemError.callFailed(call: "bind", errno: EACCES, address: nil).errno == EACCES)
            #expect(SystemError.closed.errno == nil)
        }
    }
}
