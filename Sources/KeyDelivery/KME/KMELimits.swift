/// What a KME declares in its status (clause 6.1) and enforces.
package struct KMELimits: Sendable, Codable, Equatable {
    /// Default key size, bits.
    package var keySize = 256
    package var minKeySize = 64
    package var maxKeySize = 4096
    package var maxKeyCount = 100_000
    package var maxKeyPerRequest = 128
    /// The reference KME does not multicast: `max_SAE_ID_count` 0.
    package var maxSAEIDCount = 0
    /// Whether only multiples of 8 are served (clause 6.2 then fixes the 400 message).
    package var multiplesOf8Only = true

    package init() {}

    enum CodingKeys: String, CodingKey {
        case keySize = "key_size", minKeySize = "min_key_size", maxKeySize = "max_key_size", maxKeyCount = "max_key_count"
        case maxKeyPerRequest = "max_key_per_request", maxSAEIDCount = "max_SAE_ID_count", multiplesOf8Only = "multiples_of_8_only"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = KMELimits()
        keySize = try c.decodeIfPresent(Int.self, forKey: .keySize) ?? d.keySize
        minKeySize = try c.decodeIfPresent(Int.self, forKey: .minKeySize) ?? d.minKeySize
        maxKeySize = try c.decodeIfPresent(Int.self, forKey: .maxKeySize) ?? d.maxKeySize
        maxKeyCount = try c.decodeIfPresent(Int.self, forKey: .maxKeyCount) ?? d.maxKeyCount
        maxKeyPerRequest = try c.decodeIfPresent(Int.self, forKey: .maxKeyPerRequest) ?? d.maxKeyPerRequest
        maxSAEIDCount = try c.decodeIfPresent(Int.self, forKey: .maxSAEIDCount) ?? d.maxSAEIDCount
        multiplesOf8Only = try c.decodeIfPresent(Bool.self, forKey: .multiplesOf8Only) ?? d.multiplesOf8Only
    }

    /// The limits must make sense together; the error names the field.
    package func validate() throws(KeyDeliveryError) {
        guard minKeySize >= 1 else { throw .configuration("min_key_size must be at least 1") }
        guard maxKeySize >= minKeySize, maxKeySize <= 1 << 20 else { throw .configuration("max_key_size must lie in min_key_size ... 1048576") }
        guard (minKeySize...maxKeySize).contains(keySize) else { throw .configuration("key_size must lie in min_key_size ... max_key_size") }
        guard !multiplesOf8Only || keySize % 8 == 0 else { throw .configuration("key_size must be a multiple of 8 when multiples_of_8_only") }
        guard maxKeyCount >= 1 else { throw .configuration("max_key_count must be at least 1") }
        guard (1...100_000).contains(maxKeyPerRequest) else { throw .configuration("max_key_per_request must lie in 1 ... 100000") }
        guard maxSAEIDCount == 0 else { throw .configuration("max_SAE_ID_count: the reference KME does not multicast; it must be 0") }
    }
}
