import Foundation
import Vectors

/// Key IDs data format (clause 6.4, Table 12): what a slave SAE asks of "Get key with key IDs".
package struct KeyIDs: StrictModel, Equatable {
    package struct Entry: Sendable, Equatable {
        package var keyID: String
        package var keyIDExtension: ExtensionObject?

        package init(keyID: String, keyIDExtension: ExtensionObject? = nil) {
            self.keyID = keyID
            self.keyIDExtension = keyIDExtension
        }
    }

    package var keyIDs: [Entry]
    package var keyIDsExtension: ExtensionObject?

    package init(keyIDs: [Entry], keyIDsExtension: ExtensionObject? = nil) {
        self.keyIDs = keyIDs
        self.keyIDsExtension = keyIDsExtension
    }

    package init(_ ids: [String]) { self.init(keyIDs: ids.map { Entry(keyID: $0) }) }

    enum CodingKeys: String, CodingKey { case keyIDs = "key_IDs", keyIDsExtension = "key_IDs_extension" }
    enum EntryCodingKeys: String, CodingKey { case keyID = "key_ID", keyIDExtension = "key_ID_extension" }

    /// Key IDs are read as strings: whether one is a UUID the KME knows is the KME's judgement
    /// (an unknown one is a 400 "not found", clause 6.4), not a format error.
    package static func read(_ json: JSONValue, path: String) throws(ModelValidationError) -> Parsed<KeyIDs> {
        var r = try FieldReader(json, path: path)
        let items = try r.array(CodingKeys.keyIDs.rawValue, required: true) ?? []
        var unknown: [String] = []
        var entries: [Entry] = []
        for (i, item) in items.enumerated() {
            var e = try FieldReader(item, path: "\(r.name(CodingKeys.keyIDs.rawValue))[\(i)]")
            let id = try e.string(EntryCodingKeys.keyID.rawValue, required: true) ?? ""
            entries.append(Entry(keyID: id, keyIDExtension: try e.object(EntryCodingKeys.keyIDExtension.rawValue)))
            unknown += e.unknown
        }
        let ext = try r.object(CodingKeys.keyIDsExtension.rawValue)
        return Parsed(value: KeyIDs(keyIDs: entries, keyIDsExtension: ext), unknownFields: r.unknown + unknown)
    }

    package init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var list = c.nestedUnkeyedContainer(forKey: .keyIDs)
        for entry in keyIDs {
            var e = list.nestedContainer(keyedBy: EntryCodingKeys.self)
            try e.encode(entry.keyID, forKey: .keyID)
            try e.encodeIfPresent(entry.keyIDExtension, forKey: .keyIDExtension)
        }
        try c.encodeIfPresent(keyIDsExtension, forKey: .keyIDsExtension)
    }
}
