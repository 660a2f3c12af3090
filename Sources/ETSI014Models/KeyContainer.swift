import Foundation
import Vectors

/// Key container data format (clause 6.3, Table 11): the keys a KME returns.
package struct KeyContainer: StrictModel, Equatable {
    /// One key: its UUID key ID and its bytes, base64 in JSON (RFC 4648).
    package struct Key: Sendable, Equatable {
        package var keyID: String
        package var keyIDExtension: ExtensionObject?
        /// The key as sent: base64 text.
        package var key: String
        package var keyExtension: ExtensionObject?

        package init(keyID: String, key: String, keyIDExtension: ExtensionObject? = nil, keyExtension: ExtensionObject? = nil) {
            self.keyID = keyID
            self.key = key
            self.keyIDExtension = keyIDExtension
            self.keyExtension = keyExtension
        }

        /// The key's bytes, or nil when `key` is not base64.
        package var bytes: [UInt8]? { Data(base64Encoded: key).map { [UInt8]($0) } }
    }

    package var keys: [Key]
    package var keyContainerExtension: ExtensionObject?

    package init(keys: [Key], keyContainerExtension: ExtensionObject? = nil) {
        self.keys = keys
        self.keyContainerExtension = keyContainerExtension
    }

    enum CodingKeys: String, CodingKey { case keys, keyContainerExtension = "key_container_extension" }
    enum KeyCodingKeys: String, CodingKey {
        case keyID = "key_ID", keyIDExtension = "key_ID_extension", key, keyExtension = "key_extension"
    }

    package static func read(_ json: JSONValue, path: String) throws(ModelValidationError) -> Parsed<KeyContainer> {
        var r = try FieldReader(json, path: path)
        let items = try r.array(CodingKeys.keys.rawValue, required: true) ?? []
        var unknown: [String] = []
        var keys: [Key] = []
        for (i, item) in items.enumerated() {
            var k = try FieldReader(item, path: "\(r.name(CodingKeys.keys.rawValue))[\(i)]")
            let id = try k.string(KeyCodingKeys.keyID.rawValue, required: true) ?? ""
            guard ModelJSON.isUUID(id) else { throw ModelValidationError(field: k.name(KeyCodingKeys.keyID.rawValue), reason: "must be a UUID, found \"\(id.prefix(60))\"") }
            let text = try k.string(KeyCodingKeys.key.rawValue, required: true) ?? ""
            guard Data(base64Encoded: text) != nil else {
                throw ModelValidationError(field: k.name(KeyCodingKeys.key.rawValue), reason: "must be base64 (RFC 4648)")
            }
            keys.append(Key(keyID: id, key: text, keyIDExtension: try k.object(KeyCodingKeys.keyIDExtension.rawValue),
                            keyExtension: try k.object(KeyCodingKeys.keyExtension.rawValue)))
            unknown += k.unknown
        }
        let ext = try r.object(CodingKeys.keyContainerExtension.rawValue)
        return Parsed(value: KeyContainer(keys: keys, keyContainerExtension: ext), unknownFields: r.unknown + unknown)
    }

    package init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var list = c.nestedUnkeyedContainer(forKey: .keys)
        for key in keys {
            var k = list.nestedContainer(keyedBy: KeyCodingKeys.self)
            try k.encode(key.keyID, forKey: .keyID)
            try k.encodeIfPresent(key.keyIDExtension, forKey: .keyIDExtension)
            try k.encode(key.key, forKey: .key)
            try k.encodeIfPresent(key.keyExtension, forKey: .keyExtension)
        }
        try c.encodeIfPresent(keyContainerExtension, forKey: .keyContainerExtension)
    }
}
