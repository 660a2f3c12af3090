import Foundation

/// A validator for the subset of JSON Schema (draft 2020-12) the vector schemas use: `type`,
/// `enum`, `const`, `required`, `properties`, `additionalProperties`, `items`, `minItems`,
/// `maxItems`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`, `format` (`HexBytes`:
/// an even number of lowercase hex digits, as Wycheproof names it) and `$ref` to `#/$defs/…` or
/// `OTHER.json#/$defs/…` among the documents it is given. Any other keyword in a schema is
/// reported, so a schema never silently checks less than it says.
package struct JSONSchemaValidator: Sendable {
    package let schema: JSONValue
    /// Other schema documents `$ref` may name, by file name (e.g. "common.json").
    package let documents: [String: JSONValue]
    private static let known: Set<String> = [
        "$schema", "$id", "$defs", "$ref", "$comment", "title", "description", "type", "enum", "const", "required",
        "properties", "additionalProperties", "items", "minItems", "maxItems", "minimum", "maximum", "minLength",
        "maxLength", "pattern", "format",
    ]
    /// `$ref` chains longer than this are reported (a reference cycle).
    static let maximumReferenceDepth = 32

    package init(schema: JSONValue, documents: [String: JSONValue] = [:]) {
        self.schema = schema
        self.documents = documents
    }

    /// Every violation, as "path: problem".
    package func validate(_ value: JSONValue) -> [String] {
        var problems = [String]()
        check(value, against: schema, document: schema, path: "$", references: 0, &problems)
        return problems
    }

    /// Resolves `ref` seen in `document`: the target schema and the document it lives in.
    private func resolve(_ ref: String, in document: JSONValue) -> (JSONValue, JSONValue)? {
        let parts = ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = parts.first.map(String.init) ?? ""
        let base: JSONValue
        if file.isEmpty { base = document } else if let d = documents[file] { base = d } else { return nil }
        var target = base
        let pointer = parts.count > 1 ? String(parts[1]) : ""
        for token in pointer.split(separator: "/") {
            guard let next = target[String(token)] else { return nil }
            target = next
        }
        return (target, base)
    }

    private func check(
        _ value: JSONValue, against schema: JSONValue, document: JSONValue, path: String, references: Int, _ problems: inout [String]
    ) {
        guard let s = schema.object else {
            if schema == .bool(false) { problems.append("\(path): not allowed") }
            return
        }
        for key in s.keys where !Self.known.contains(key) {
            problems.append("\(path): schema keyword '\(key)' is not supported by this validator")
        }
        if let ref = s["$ref"]?.string {
            guard references < Self.maximumReferenceDepth else {
                problems.append("\(path): $ref chain longer than \(Self.maximumReferenceDepth) (a cycle?)")
                return
            }
            guard let (target, base) = resolve(ref, in: document) else {
                problems.append("\(path): cannot resolve $ref \(ref)")
                return
            }
            check(value, against: target, document: base, path: path, references: references + 1, &problems)
        }
        if let type = s["type"]?.string {
            let actual = value.typeName
            let ok = actual == type || (type == "number" && actual == "integer")
            if !ok { problems.append("\(path): expected \(type), found \(actual)"); return }
        }
        if let options = s["enum"]?.array, !options.contains(where: { Self.equal($0, value) }) {
            problems.append("\(path): \(Self.render(value)) is not one of \(options.map(Self.render).joined(separator: ", "))")
        }
        if let constant = s["const"], !Self.equal(constant, value) {
            problems.append("\(path): \(Self.render(value)) is not \(Self.render(constant))")
        }
        if let minimum = s["minimum"]?.number, let v = value.number, v < minimum {
            problems.append("\(path): \(v) is below the minimum \(minimum)")
        }
        if let maximum = s["maximum"]?.number, let v = value.number, v > maximum {
            problems.append("\(path): \(v) is above the maximum \(maximum)")
        }
        if let text = value.string {
            stringChecks(text, s, path: path, &problems)
        }
        if let items = value.array {
            if let min = s["minItems"]?.int, items.count < min { problems.append("\(path): fewer than \(min) items") }
            if let max = s["maxItems"]?.int, items.count > max { problems.append("\(path): more than \(max) items") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() {
                    check(item, against: itemSchema, document: document, path: "\(path)[\(i)]", references: references, &problems)
                }
            }
        }
        if let object = value.object {
            for key in s["required"]?.array?.compactMap(\.string) ?? [] where object[key] == nil {
                problems.append("\(path): missing required '\(key)'")
            }
            let properties = s["properties"]?.object ?? [:]
            for (key, v) in object.sorted(by: { $0.key < $1.key }) {
                if let p = properties[key] {
                    check(v, against: p, document: document, path: "\(path).\(key)", references: references, &problems)
                } else if let extra = s["additionalProperties"] {
                    if extra == .bool(false) {
                        problems.append("\(path): unexpected property '\(key)'")
                    } else {
                        check(v, against: extra, document: document, path: "\(path).\(key)", references: references, &problems)
                    }
                }
            }
        }
    }

    private func stringChecks(_ text: String, _ s: [String: JSONValue], path: String, _ problems: inout [String]) {
        if s["minLength"] != nil || s["maxLength"] != nil {
            let length = text.unicodeScalars.count
            if let min = s["minLength"]?.int, length < min { problems.append("\(path): shorter than \(min) characters") }
            if let max = s["maxLength"]?.int, length > max { problems.append("\(path): longer than \(max) characters") }
        }
        if let format = s["format"]?.string {
            switch format {
            case "HexBytes":
                // A linear scan: a regular expression over a megabyte of hex exhausts ICU's backtracking limits.
                let utf8 = text.utf8
                let hex = utf8.count % 2 == 0 && utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
                if !hex { problems.append("\(path): '\(text.prefix(40))' is not HexBytes (an even number of lowercase hex digits)") }
            default:
                problems.append("\(path): format '\(format)' is not supported by this validator")
            }
        }
        if let pattern = s["pattern"]?.string {
            guard let regex = try? NSRegularExpression(pattern: pattern) else {
                problems.append("\(path): the schema's pattern \(pattern) is not a valid regular expression")
                return
            }
            if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                problems.append("\(path): '\(text.prefix(40))' does not match \(pattern)")
            }
        }
    }

    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.number, let y = b.number { return x == y }
        return a == b
    }

    private static func render(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "\"\(s.prefix(60))\""
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return v.typeName
        }
    }
}
