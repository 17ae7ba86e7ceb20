// keygate-ct-check: runs every primitive and every code path that handles
// secrets with the secrets poisoned, under valgrind's memcheck, which
// reports each branch or memory index that depends on them. See
// Benchmarks/ct-check.sh, which builds this with the client requests
// compiled in and runs it.
import Glibc
import KeyGateCrypto

let usage = """
    usage: keygate-ct-check [--only PREFIX]...   run the checks (all, or those whose name starts with PREFIX)
           keygate-ct-check --list               the checks' names
           keygate-ct-check --broken NAME        run one deliberately broken variant (a build with
                                                 -DKEYGATE_CONSTANT_TIME_BROKEN_VARIANTS only)
           keygate-ct-check --list-broken        the broken variants' names
    Run it under valgrind --tool=memcheck, as Benchmarks/ct-check.sh does.
    """

func fail(_ message: String, status: Int32 = 2) -> Never {
    var text = "keygate-ct-check: \(message)\n"
    text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(status)
}

/// Writes one line to standard output at once (valgrind's reports go to
/// standard error in between).
func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var prefixes: [String] = []
var brokenName: String?
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--list":
        Checks.all.forEach { say($0.name) }
        exit(0)
    case "--list-broken":
        BrokenVariants.all.forEach { say($0.name) }
        exit(0)
    case "--only":
        guard let prefix = arguments.first else { fail(usage) }
        arguments.removeFirst()
        prefixes.append(prefix)
    case "--broken":
        guard let name = arguments.first else { fail(usage) }
        arguments.removeFirst()
        brokenName = name
    default:
        fail(usage)
    }
}

// A build without the client requests, or a run outside memcheck, would
// pass every check without checking anything: refuse both.
guard ConstantTimeValidation.isEnabled else {
    fail("built without the client requests: build with -Xcc -DKEYGATE_CONSTANT_TIME_VALIDATION (Benchmarks/ct-check.sh does)")
}
guard ConstantTimeValidation.isRunningUnderValgrind else {
    fail("not running under valgrind: run valgrind --tool=memcheck \(CommandLine.arguments[0]) (Benchmarks/ct-check.sh does)")
}

let selected: [Check]
if let brokenName {
    guard let variant = BrokenVariants.all.first(where: { $0.name == brokenName }) else {
        fail("no broken variant \(brokenName) in this build (see --list-broken)")
    }
    selected = [variant]
} else {
    selected = Checks.all.filter { check in prefixes.isEmpty || prefixes.contains { check.name.hasPrefix($0) } }
    guard !selected.isEmpty else { fail("no check starts with \(prefixes)") }
}

// Which paths this run checks: the fast ones valgrind's synthetic CPU
// offers, or the portable ones under KEYGATE_CPU=portable.
say("keygate-ct-check: CPU features \(CPUFeatures.detected), enabled \(CPUFeatures.enabled); "
    + CryptoImplementation.paths.map { "\($0.primitive) \($0.path)" }.joined(separator: ", "))

var leaking: [String] = []
var failing: [String] = []
for check in selected {
    let before = ConstantTimeValidation.errorCount
    var outcome = "ok"
    do {
        try check.body()
    } catch {
        failing.append(check.name)
        outcome = "FAILED: \(error)"
    }
    let reports = ConstantTimeValidation.errorCount - before
    if reports > 0 {
        leaking.append(check.name)
        outcome = "LEAKS: \(reports) memcheck report\(reports == 1 ? "" : "s") (above)" + (outcome == "ok" ? "" : "; \(outcome)")
    }
    say("\(outcome == "ok" ? "ok  " : "!!  ") \(check.name)\(outcome == "ok" ? "" : ": \(outcome)")")
}
say("keygate-ct-check: \(selected.count) checks, \(leaking.count) with secret-dependent branches or indexes, \(failing.count) with wrong results")
exit(leaking.isEmpty && failing.isEmpty ? 0 : 1)
