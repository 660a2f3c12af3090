import Foundation

/// A validator for the subset of JSON Schema (draft 2020-12) the vector schemas use: `type`,
/// `enum`, `required`, `properties`, `additionalProperties`, `items`, `minItems`, `maxItems`,
/// `minimum` and `pattern`. Any other keyword in a schema is reported, so a schema never
/// silently checks less than it says.
public struct JSONSchemaValidator: Sendable {
    public let schema: JSONValue
    private static let known: Set<String> = [
        "$schema", "$id", "title", "description", "type", "enum", "required", "properties", "additionalProperties",
        "items", "minItems", "maxItems", "minimum", "pattern",
    ]

    public init(schema: JSONValue) { self.schema = schema }

    /// Every violation, as "path: problem".
    public func validate(_ value: JSONValue) -> [String] {
        var problems = [String]()
        check(value, against: schema, path: "$", &problems)
        return problems
    }

    private func check(_ value: JSONValue, against schema: JSONValue, path: String, _ problems: inout [String]) {
        guard let s = schema.object else {
            if schema == .bool(false) { problems.append("\(path): not allowed") }
            return
        }
        for key in s.keys where !Self.known.contains(key) {
            problems.append("\(path): schema keyword '\(key)' is not supported by this validator")
        }
        if let type = s["type"]?.string {
            let actual = value.typeName
            let ok = actual == type || (type == "number" && actual == "integer")
            if !ok { problems.append("\(path): expected \(type), found \(actual)"); return }
        }
        if let options = s["enum"]?.array, !options.contains(where: { Self.equal($0, value) }) {
            problems.append("\(path): \(Self.render(value)) is not one of \(options.map(Self.render).joined(separator: ", "))")
        }
        if let minimum = s["minimum"]?.number, let v = value.number, v < minimum {
            problems.append("\(path): \(v) is below the minimum \(minimum)")
        }
        if let pattern = s["pattern"]?.string, let text = value.string {
            if let regex = try? NSRegularExpression(pattern: pattern),
               regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                problems.append("\(path): '\(text.prefix(40))' does not match \(pattern)")
            }
        }
        if let items = value.array {
            if let min = s["minItems"]?.int, items.count < min { problems.append("\(path): fewer than \(min) items") }
            if let max = s["maxItems"]?.int, items.count > max { problems.append("\(path): more than \(max) items") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { check(item, against: itemSchema, path: "\(path)[\(i)]", &problems) }
            }
        }
        if let object = value.object {
            for key in s["required"]?.array?.compactMap(\.string) ?? [] where object[key] == nil {
                problems.append("\(path): missing required '\(key)'")
            }
            let properties = s["properties"]?.object ?? [:]
            for (key, v) in object.sorted(by: { $0.key < $1.key }) {
                if let p = properties[key] {
                    check(v, against: p, path: "\(path).\(key)", &problems)
                } else if let extra = s["additionalProperties"] {
                    if extra == .bool(false) {
                        problems.append("\(path): unexpected property '\(key)'")
                    } else {
                        check(v, against: extra, path: "\(path).\(key)", &problems)
                    }
                }
            }
        }
    }

    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.number, let y = b.number { return x == y }
        return a == b
    }

    private static func render(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return v.typeName
        }
    }
}
