import KeyGateSystem
import Testing

/// The service manager notifications without a manager or with a bad name.
struct ServiceNotifierTests {
    @Test func withoutASocketNothingIsSent() {
        let notifier = ServiceNotifier(socketName: nil)
        #expect(notifier.socketName == nil)
        #expect(throws: Never.self) {
            try notifier.ready(status: "serving")
            try notifier.reloading()
            try notifier.stopping()
        }
    }

    @Test(arguments: ["relative/notify", "@" + String(repeating: "x", count: 200)])
    func aNameThatIsNoSocketAddressIsRefused(name: String) {
        #expect(throws: ServiceNotifier.Failure.self) { try ServiceNotifier(socketName: name).ready(status: "serving") }
    }

    @Test func aMissingSocketSaysWhatToCheck() {
        #expect {
            try ServiceNotifier(socketName: "/nonexistent/keygate-notify").stopping()
        } throws: { error in
            (error as? ServiceNotifier.Failure)?.description.contains("check NOTIFY_SOCKET") == true
        }
    }
}
