import Foundation
import Vectors

/// A body that breaks the data format of clause 6: the field (as a JSON path such as
/// `keys[2].key_ID`) and what is wrong with it.
package struct ModelValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    package var field: String
    package var reason: String

    package init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    package var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}

/// A value parsed strictly, with the fields the standard does not define. Unknown fields are
/// reported, never fatal: the standard lets later versions add fields.
package struct Parsed<Value: Sendable>: Sendable {
    package var value: Value
    /// JSON paths of fields clause 6 does not define, in document order where known.
    package var unknownFields: [String]

    package init(value: Value, unknownFields: [String]) {
        self.value = value
        self.unknownFields = unknownFields
    }
}

/// The strict reader the models share: every accessor names the field it failed on.
struct FieldReader {
    let fields: [String: JSONValue]
    let path: String
    private(set) var known: Set<String> = []

    init(_ value: JSONValue, path: String) throws(ModelValidationError) {
        guard case .object(let o) = value else {
            throw ModelValidationError(field: path, reason: "must be a JSON object, found \(value.kindName)")
        }
        fields = o
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func string(_ key: String, required: Bool) throws(ModelValidationError) -> String? {
        known.insert(key)
        guard let v = fields[key] else {
            if required { throw ModelValidationError(field: name(key), reason: "is required") }
            return nil
        }
        guard case .string(let s) = v else { throw ModelValidationError(field: name(key), reason: "must be a string, found \(v.kindName)") }
        return s
    }

    mutating func integer(_ key: String, required: Bool) throws(ModelValidationError) -> Int? {
        known.insert(key)
        guard let v = fields[key] else {
            if required { throw ModelValidationError(field: name(key), reason: "is required") }
            return nil
        }
        switch v {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15:
            // 3.0 is an integer in JSON's number grammar; 1e30 is not representable.
            return Int(d)
        case .double: throw ModelValidationError(field: name(key), reason: "must be an integer, found a number out of range or with a fraction")
        default: throw ModelValidationError(field: name(key), reason: "must be an integer, found \(v.kindName)")
        }
    }

    mutating func object(_ key: String) throws(ModelValidationError) -> [String: JSONValue]? {
        known.insert(key)
        guard let v = fields[key] else { return nil }
        guard case .object(let o) = v else { throw ModelValidationError(field: name(key), reason: "must be an object, found \(v.kindName)") }
        return o
    }

    mutating func array(_ key: String, required: Bool) throws(ModelValidationError) -> [JSONValue]? {
        known.insert(key)
        guard let v = fields[key] else {
            if required { throw ModelValidationError(field: name(key), reason: "is required") }
            return nil
        }
        guard case .array(let a) = v else { throw ModelValidationError(field: name(key), reason: "must be an array, found \(v.kindName)") }
        return a
    }

    /// An array of objects (extension parameter lists, `details`).
    mutating func objects(_ key: String) throws(ModelValidationError) -> [[String: JSONValue]]? {
        guard let a = try array(key, required: false) else { return nil }
        var out: [[String: JSONValue]] = []
        for (i, e) in a.enumerated() {
            guard case .object(let o) = e else {
                throw ModelValidationError(field: "\(name(key))[\(i)]", reason: "must be an object, found \(e.kindName)")
            }
            out.append(o)
        }
        return out
    }

    /// The fields of this object that were never asked for, sorted.
    var unknown: [String] { fields.keys.filter { !known.contains($0) }.sorted().map(name) }
}

package enum ModelJSON {
    /// Parses `data` as one JSON value; the error says it is not JSON (or not UTF-8).
    package static func parse(_ data: Data) throws(ModelValidationError) -> JSONValue {
        guard String(data: data, encoding: .utf8) != nil else {
            throw ModelValidationError(field: "", reason: "the body is not UTF-8 text")
        }
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ModelValidationError(field: "", reason: "the body is not valid JSON")
        }
    }

    package static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// A UUID in the textual form of RFC 4122 (8-4-4-4-12 hex digits, either case).
    package static func isUUID(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}

extension JSONValue {
    /// The JSON type, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .uint: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
