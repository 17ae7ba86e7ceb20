/// Every check the constant-time checker runs, grouped by layer (one file
/// each: Checks+Symmetric, +DiffieHellman, +Keys, +Noise).
enum Checks {
    static let all: [Check] = symmetric + diffieHellman + keys + noise
}
