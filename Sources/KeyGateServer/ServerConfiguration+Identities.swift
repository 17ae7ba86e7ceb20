import KeyGateKeys

extension ServerConfiguration {
    /// The key algorithms of the accepted suites: the server needs a key of
    /// each.
    public var keyAlgorithms: [KeyAlgorithm] {
        KeyAlgorithm.allCases.filter { diffieHellmanNames.contains($0.diffieHellman.name) }
    }

    /// The server's key `name` for each of `keyAlgorithms`, read from
    /// `store` or created there on first start, with whether it was created.
    /// Blocking (key files are fsync'd): call it through `KeyFileIO`.
    /// - Throws: `KeyFileError`.
    public func loadOrCreateIdentities(in store: KeyStore, name: String) throws(KeyFileError) -> [(identity: Identity, created: Bool)] {
        var identities: [(identity: Identity, created: Bool)] = []
        for algorithm in keyAlgorithms {
            identities.append(try store.loadOrCreateIdentity(name: name, algorithm: algorithm))
        }
        return identities
    }
}
