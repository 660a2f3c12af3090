import Foundation
import Vectors

/// Error data format (clause 6.5, Table 13): the body of a 400 or 503.
package struct ErrorBody: StrictModel, Equatable {
    package var message: String
    /// Name/value pairs of further detail; values of any type.
    package var details: [ExtensionObject]?

    package init(message: String, details: [ExtensionObject]? = nil) {
        self.message = message
        self.details = details
    }

    enum CodingKeys: String, CodingKey { case message, details }

    package static func read(_ json: JSONValue, path: String) throws(ModelValidationError) -> Parsed<ErrorBody> {
        var r = try FieldReader(json, path: path)
        let message = try r.string(CodingKeys.message.rawValue, required: true) ?? ""
        let details = try r.objects(CodingKeys.details.rawValue)
        return Parsed(value: ErrorBody(message: message, details: details), unknownFields: r.unknown)
    }

    package init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(message, forKey: .message)
        try c.encodeIfPresent(details, forKey: .details)
    }
}
