import KeyGateSystem
import Glibc
import KeyGateSockets

/// Writes `message` and a newline to standard error, unbuffered.
func printError(_ message: String) {
    var line = message
    line.append("\n")
    _ = line.withUTF8 { BlockingWrite.all(UnsafeRawBufferPointer($0), to: STDERR_FILENO) }
}
