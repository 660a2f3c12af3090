/// The one canonical text of a vector file (and schema): what `vectors lint` requires and what
/// both generators write, so a file's bytes depend only on its content.
///
/// The form: UTF-8, object members sorted by the code points of their names, one member or item
/// per line indented by one space per level, `": "` after a name, empty containers as `{}` and
/// `[]`, integers in decimal, floating-point numbers in their shortest round-trip form with an
/// exponent below 10⁻⁴ and from 10¹⁶ up (`1e-10`, `0.03125`, `1e+16`), strings escaped only where
/// JSON requires it (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other controls as `\u00xx`), and a
/// final newline. It is exactly what Python's `json.dump(doc, indent=1, sort_keys=True,
/// ensure_ascii=False)` writes, which vectors/tools/qkdvectors.py uses.
package enum CanonicalJSON {
    package static func text(_ value: JSONValue) -> String {
        var out = ""
        write(value, level: 0, into: &out)
        out += "\n"
        return out
    }

    static func write(_ value: JSONValue, level: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let v): out += String(v)
        case .uint(let v): out += String(v)
        case .double(let d): out += number(d)
        case .string(let s): string(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (k, item) in items.enumerated() {
                out += k == 0 ? "\n" : ",\n"
                out += String(repeating: " ", count: level + 1)
                write(item, level: level + 1, into: &out)
            }
            out += "\n" + String(repeating: " ", count: level) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            let names = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            for (k, name) in names.enumerated() {
                out += k == 0 ? "\n" : ",\n"
                out += String(repeating: " ", count: level + 1)
                string(name, into: &out)
                out += ": "
                write(members[name] ?? .null, level: level + 1, into: &out)
            }
            out += "\n" + String(repeating: " ", count: level) + "}"
        }
    }

    /// Swift's shortest round-trip form agrees with Python's repr for finite doubles.
    static func number(_ d: Double) -> String { d.description }

    static func string(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
