import Foundation
import Vectors

/// Key request data format (clause 6.2, Table 10): what a master SAE asks of "Get key". Every
/// field is optional; an empty body asks for one key of the default size.
package struct KeyRequest: StrictModel, Equatable {
    /// Number of keys; the KME's default is 1.
    package var number: Int?
    /// Size of each key in bits; the KME's default is its status's `key_size`.
    package var size: Int?
    package var additionalSlaveSAEIDs: [String]?
    /// Parameters the KME shall handle or refuse with a 400.
    package var extensionMandatory: [ExtensionObject]?
    /// Parameters the KME may ignore.
    package var extensionOptional: [ExtensionObject]?

    package init(number: Int? = nil, size: Int? = nil, additionalSlaveSAEIDs: [String]? = nil,
                extensionMandatory: [ExtensionObject]? = nil, extensionOptional: [ExtensionObject]? = nil) {
        self.number = number
        self.size = size
        self.additionalSlaveSAEIDs = additionalSlaveSAEIDs
        self.extensionMandatory = extensionMandatory
        self.extensionOptional = extensionOptional
    }

    enum CodingKeys: String, CodingKey {
        case number, size, additionalSlaveSAEIDs = "additional_slave_SAE_IDs"
        case extensionMandatory = "extension_mandatory", extensionOptional = "extension_optional"
    }

    /// Whether the request holds only `number` and/or `size`, so it may be sent as a GET with
    /// query parameters (clause 6.2).
    package var fitsInQuery: Bool { additionalSlaveSAEIDs == nil && extensionMandatory == nil && extensionOptional == nil }

    package static func read(_ json: JSONValue, path: String) throws(ModelValidationError) -> Parsed<KeyRequest> {
        var r = try FieldReader(json, path: path)
        var request = KeyRequest()
        request.number = try r.integer(CodingKeys.number.rawValue, required: false)
        request.size = try r.integer(CodingKeys.size.rawValue, required: false)
        if let ids = try r.array(CodingKeys.additionalSlaveSAEIDs.rawValue, required: false) {
            var out: [String] = []
            for (i, v) in ids.enumerated() {
                guard case .string(let s) = v else {
                    throw ModelValidationError(field: "\(r.name(CodingKeys.additionalSlaveSAEIDs.rawValue))[\(i)]",
                                               reason: "must be a string, found \(v.kindName)")
                }
                out.append(s)
            }
            request.additionalSlaveSAEIDs = out
        }
        request.extensionMandatory = try r.objects(CodingKeys.extensionMandatory.rawValue)
        request.extensionOptional = try r.objects(CodingKeys.extensionOptional.rawValue)
        return Parsed(value: request, unknownFields: r.unknown)
    }

    /// Reads a GET's query parameters (clause 6.2: `number` and/or `size` "as string data").
    /// Any other parameter is reported unknown.
    package static func fromQuery(_ items: [(name: String, value: String)]) throws(ModelValidationError) -> Parsed<KeyRequest> {
        var request = KeyRequest()
        var unknown: [String] = []
        var seen = Set<String>()
        for (name, value) in items {
            switch name {
            case "number", "size":
                guard seen.insert(name).inserted else { throw ModelValidationError(field: name, reason: "is given more than once") }
                guard let v = Int(value) else { throw ModelValidationError(field: name, reason: "must be a decimal integer, found \"\(value.prefix(40))\"") }
                if name == "number" { request.number = v } else { request.size = v }
            default:
                unknown.append(name)
            }
        }
        return Parsed(value: request, unknownFields: unknown)
    }

    package init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(number, forKey: .number)
        try c.encodeIfPresent(size, forKey: .size)
        try c.encodeIfPresent(additionalSlaveSAEIDs, forKey: .additionalSlaveSAEIDs)
        try c.encodeIfPresent(extensionMandatory, forKey: .extensionMandatory)
        try c.encodeIfPresent(extensionOptional, forKey: .extensionOptional)
    }
}
