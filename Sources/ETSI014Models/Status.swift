import Foundation
import Vectors

/// Status data format (clause 6.1, Table 9): what a KME can deliver to a master SAE for one
/// slave SAE. Every field is required but `status_extension`.
package struct KeyStatus: StrictModel, Equatable {
    package var sourceKMEID: String
    package var targetKMEID: String
    package var masterSAEID: String
    package var slaveSAEID: String
    /// Default key size, in bits.
    package var keySize: Int
    package var storedKeyCount: Int
    package var maxKeyCount: Int
    package var maxKeyPerRequest: Int
    /// In bits.
    package var maxKeySize: Int
    /// In bits.
    package var minKeySize: Int
    /// 0 when the KME does not support key multicast.
    package var maxSAEIDCount: Int
    package var statusExtension: ExtensionObject?

    package init(sourceKMEID: String, targetKMEID: String, masterSAEID: String, slaveSAEID: String, keySize: Int, storedKeyCount: Int,
                maxKeyCount: Int, maxKeyPerRequest: Int, maxKeySize: Int, minKeySize: Int, maxSAEIDCount: Int,
                statusExtension: ExtensionObject? = nil) {
        self.sourceKMEID = sourceKMEID
        self.targetKMEID = targetKMEID
        self.masterSAEID = masterSAEID
        self.slaveSAEID = slaveSAEID
        self.keySize = keySize
        self.storedKeyCount = storedKeyCount
        self.maxKeyCount = maxKeyCount
        self.maxKeyPerRequest = maxKeyPerRequest
        self.maxKeySize = maxKeySize
        self.minKeySize = minKeySize
        self.maxSAEIDCount = maxSAEIDCount
        self.statusExtension = statusExtension
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sourceKMEID = "source_KME_ID", targetKMEID = "target_KME_ID", masterSAEID = "master_SAE_ID", slaveSAEID = "slave_SAE_ID"
        case keySize = "key_size", storedKeyCount = "stored_key_count", maxKeyCount = "max_key_count"
        case maxKeyPerRequest = "max_key_per_request", maxKeySize = "max_key_size", minKeySize = "min_key_size"
        case maxSAEIDCount = "max_SAE_ID_count", statusExtension = "status_extension"
    }

    package static func read(_ json: JSONValue, path: String) throws(ModelValidationError) -> Parsed<KeyStatus> {
        var r = try FieldReader(json, path: path)
        func s(_ k: CodingKeys) throws(ModelValidationError) -> String { try r.string(k.rawValue, required: true) ?? "" }
        func n(_ k: CodingKeys) throws(ModelValidationError) -> Int {
            let v = try r.integer(k.rawValue, required: true) ?? 0
            guard v >= 0 else { throw ModelValidationError(field: r.name(k.rawValue), reason: "must not be negative, found \(v)") }
            return v
        }
        let status = KeyStatus(
            sourceKMEID: try s(.sourceKMEID), targetKMEID: try s(.targetKMEID), masterSAEID: try s(.masterSAEID),
            slaveSAEID: try s(.slaveSAEID), keySize: try n(.keySize), storedKeyCount: try n(.storedKeyCount),
            maxKeyCount: try n(.maxKeyCount), maxKeyPerRequest: try n(.maxKeyPerRequest), maxKeySize: try n(.maxKeySize),
            minKeySize: try n(.minKeySize), maxSAEIDCount: try n(.maxSAEIDCount),
            statusExtension: try r.object(CodingKeys.statusExtension.rawValue))
        return Parsed(value: status, unknownFields: r.unknown)
    }

    package init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sourceKMEID, forKey: .sourceKMEID)
        try c.encode(targetKMEID, forKey: .targetKMEID)
        try c.encode(masterSAEID, forKey: .masterSAEID)
        try c.encode(slaveSAEID, forKey: .slaveSAEID)
        try c.encode(keySize, forKey: .keySize)
        try c.encode(storedKeyCount, forKey: .storedKeyCount)
        try c.encode(maxKeyCount, forKey: .maxKeyCount)
        try c.encode(maxKeyPerRequest, forKey: .maxKeyPerRequest)
        try c.encode(maxKeySize, forKey: .maxKeySize)
        try c.encode(minKeySize, forKey: .minKeySize)
        try c.encode(maxSAEIDCount, forKey: .maxSAEIDCount)
        try c.encodeIfPresent(statusExtension, forKey: .statusExtension)
    }
}
