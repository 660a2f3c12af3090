import Foundation

/// The checks of a configuration file's JSON that decoding does not make: a key given twice in
/// one object (JSON parsers keep one silently), a field no one knows (a typo would vanish), and a
/// number that is not whole where a count is expected.
package enum StrictJSON {
    /// The fields an object may have, by path ("" is the top level; "alice" its object); a path
    /// absent here (an `environment` map) may hold any key.
    package typealias Fields = [String: Set<String>]

    /// Checks `data` (already known to be valid JSON): throws a ``HarnessError`` naming the first
    /// duplicate key, unknown field (with the closest known one), or integer field whose value is
    /// not a whole number in range.
    package static func check(_ data: Data, fields: Fields, integers: Set<String>, what: String) throws {
        var scanner = Scanner(bytes: Array(data))
        try scanner.value(path: "", what: what)
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return }
        try walk(object, path: "", fields: fields, integers: integers, what: what)
    }

    private static func walk(_ value: Any, path: String, fields: Fields, integers: Set<String>, what: String) throws {
        if let object = value as? [String: Any] {
            if let known = fields[path] {
                for key in object.keys.sorted() where !known.contains(key) {
                    let field = path.isEmpty ? key : "\(path).\(key)"
                    let hint = closest(to: key, in: known).map { "; did you mean '\($0)'?" } ?? "; known fields: \(known.sorted().joined(separator: ", "))"
                    throw HarnessError("\(what): unknown field '\(field)'\(hint)")
                }
            }
            for (key, child) in object {
                try walk(child, path: path.isEmpty ? key : "\(path).\(key)", fields: fields, integers: integers, what: what)
            }
        } else if let array = value as? [Any] {
            for child in array { try walk(child, path: path, fields: fields, integers: integers, what: what) }
        } else if integers.contains(path), let number = value as? NSNumber {
            let v = number.doubleValue
            guard v.isFinite, v.rounded() == v else { throw HarnessError("\(what): '\(path)' must be a whole number, not \(number)") }
            guard abs(v) <= 1e15 else { throw HarnessError("\(what): '\(path)' is \(number), far out of range") }
        }
    }

    /// The known field nearest to `key` (edit distance at most 3, or a prefix of one another).
    package static func closest(to key: String, in known: Set<String>) -> String? {
        var best: (name: String, distance: Int)?
        for name in known.sorted() {
            let d = distance(key, name)
            if best == nil || d < best!.distance { best = (name, d) }
        }
        if let best, best.distance <= 3 { return best.name }
        return known.sorted().first { $0.hasPrefix(key) || key.hasPrefix($0) }
    }

    /// Levenshtein distance.
    package static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    /// Walks valid JSON text for duplicate keys (the parsed dictionary has lost them).
    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        mutating func space() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func value(path: String, what: String) throws {
            space()
            guard i < bytes.count else { return }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var keys = Set<String>()
                space()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
                while i < bytes.count {
                    space()
                    let key = string()
                    let field = path.isEmpty ? key : "\(path).\(key)"
                    guard keys.insert(key).inserted else { throw HarnessError("\(what): '\(field)' is given twice") }
                    space()
                    i += 1  // ':'
                    try value(path: field, what: what)
                    space()
                    guard i < bytes.count else { return }
                    let separator = bytes[i]
                    i += 1
                    if separator == UInt8(ascii: "}") { return }
                }
            case UInt8(ascii: "["):
                i += 1
                space()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
                var index = 0
                while i < bytes.count {
                    try value(path: "\(path)[\(index)]", what: what)
                    index += 1
                    space()
                    guard i < bytes.count else { return }
                    let separator = bytes[i]
                    i += 1
                    if separator == UInt8(ascii: "]") { return }
                }
            case UInt8(ascii: "\""):
                _ = string()
            default:
                while i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
            }
        }

        /// A string's raw text between its quotes (escapes left as written).
        mutating func string() -> String {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return "" }
            i += 1
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            let text = String(decoding: bytes[start..<min(i, bytes.count)], as: UTF8.self)
            i += 1
            return text
        }
    }
}
