import Foundation
import Vectors

/// A data format of clause 6: encoded with the standard's field names, read strictly (errors
/// name the field, unknown fields are reported).
package protocol StrictModel: Encodable, Decodable, Sendable {
    /// Reads the value from a parsed JSON document at `path` (empty for the whole body).
    static func read(_ json: JSONValue, path: String) throws(ModelValidationError) -> Parsed<Self>
}

extension StrictModel {
    /// Parses a body: the value and the unknown fields, or the first field that is wrong.
    package static func parse(_ data: Data) throws(ModelValidationError) -> Parsed<Self> {
        try read(try ModelJSON.parse(data), path: "")
    }

    /// The body as the standard spells it (keys sorted, so equal values encode equally).
    package func jsonData() throws -> Data { try ModelJSON.encoder().encode(self) }

    /// Decodable through the strict reader, so every way in is equally strict (each model's
    /// `init(from:)` calls this) — except for one check on the raw bytes: a body that is not
    /// UTF-8 is refused by ``parse(_:)``, while a `Decoder` never sees the bytes and Foundation's
    /// JSONDecoder reads through invalid UTF-8 (found by the fuzz target). Bodies from the
    /// network go through ``parse(_:)``.
    static func decodeStrictly(from decoder: any Decoder) throws -> Self {
        let json = try JSONValue(from: decoder)
        do { return try Self.read(json, path: "").value } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}

/// An extension object or one extension parameter list entry: any JSON object.
package typealias ExtensionObject = [String: JSONValue]
