import Foundation

/// Final keys waiting for delivery, each under a UUID key ID, each delivered exactly once and
/// zeroed when it leaves the store. The ETSI GS QKD 014 KME serves from a store like this.
public struct KeyStore: Sendable {
    public struct Entry: Sendable {
        public let keyID: UUID
        public let bits: Int
        public let fingerprint: String
    }

    private var keys: [UUID: BitKey] = [:]
    private var order: [UUID] = []
    /// IDs that were delivered: a second request for one is refused, never served again.
    private var delivered = Set<UUID>()

    /// False only for the reference node's `reuse-key-id` bug knob: a deposit under an ID already
    /// used then replaces the old key instead of being refused.
    private let enforcesUniqueIDs: Bool

    public init(enforcingUniqueIDs: Bool = true) { enforcesUniqueIDs = enforcingUniqueIDs }

    public var count: Int { keys.count }
    public var storedBits: Int { keys.values.reduce(0) { $0 + $1.count } }

    /// The entries in deposit order (metadata only: no key material).
    public var entries: [Entry] {
        order.compactMap { id in keys[id].map { Entry(keyID: id, bits: $0.count, fingerprint: $0.fingerprint) } }
    }

    /// Stores a final key and returns its new key ID.
    @discardableResult
    public mutating func deposit(_ key: BitKey, keyID: UUID = UUID()) throws(PostProcessingError) -> UUID {
        guard key.count > 0 else { throw .invalidParameter(name: "key", reason: "an empty key cannot be stored") }
        if enforcesUniqueIDs {
            guard keys[keyID] == nil, !delivered.contains(keyID) else {
                throw .protocolViolation("key ID \(keyID) is already in use")
            }
        }
        if keys.updateValue(key, forKey: keyID) == nil { order.append(keyID) }
        return keyID
    }

    /// Removes and returns a key. The store's copy is zeroed; the ID can never be served again.
    public mutating func take(_ keyID: UUID) throws(PostProcessingError) -> BitKey {
        guard var key = keys.removeValue(forKey: keyID) else {
            throw .protocolViolation(delivered.contains(keyID) ? "key \(keyID) was already delivered" : "no key with ID \(keyID)")
        }
        let copy = BitKey(words: key.words, count: key.count)
        key.zeroize()
        order.removeAll { $0 == keyID }
        delivered.insert(keyID)
        return copy
    }

    /// Takes the oldest key, if any.
    public mutating func takeOldest() -> (UUID, BitKey)? {
        guard let id = order.first, let key = try? take(id) else { return nil }
        return (id, key)
    }
}
