import Foundation
import PostProcessing

/// Reads a node's key output: one JSON object per line, {"key_id": UUID, "hex": key, "bits": n}
/// (docs/targets.md). The harness judges the keys; it never prints them.
package enum KeyOutput {
    /// The keys in `path`; a missing file is no keys (a node that failed may write none).
    package static func read(path: String) throws -> [DeliveredKey] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw HarnessError("cannot read the key output \(path): \(FileProblem.reason(error))")
        }
        return try parse(text, path: path)
    }

    /// The keys in a key output's text (`path` names it in errors); the first line that is not
    /// a key is a ``HarnessError`` naming the line and what is wrong with it. With
    /// `partialLastLine`, a last line without its newline that is not a key yet is taken for one
    /// still being written and skipped (a KME reading a live node's output). The fuzz target runs
    /// this on untrusted text.
    package static func parse(_ text: String, path: String, partialLastLine: Bool = false) throws -> [DeliveredKey] {
        var keys: [DeliveredKey] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        for (n, line) in lines.enumerated() {
            switch key(in: line) {
            case .success(let key): keys.append(key)
            case .failure(let problem):
                if partialLastLine && n == lines.count - 1 && !text.hasSuffix("\n") { return keys }
                throw HarnessError("key output \(path), line \(n + 1): \(problem.reason); expected {\"key_id\": UUID, \"hex\": HEX, \"bits\": N}")
            }
        }
        return keys
    }

    /// Why a line is not a key.
    private struct LineProblem: Error { var reason: String }

    /// One line's key, or what is wrong with the line.
    private static func key(in line: Substring) -> Result<DeliveredKey, LineProblem> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            return .failure(LineProblem(reason: "not a JSON object"))
        }
        guard let idText = object["key_id"] as? String else { return .failure(LineProblem(reason: "\"key_id\" is missing or not a string")) }
        guard let id = UUID(uuidString: idText) else {
            return .failure(LineProblem(reason: "\"key_id\" is not a UUID (8-4-4-4-12 hex digits; docs/targets.md says how to derive one)"))
        }
        guard let hex = object["hex"] as? String else { return .failure(LineProblem(reason: "\"hex\" is missing or not a string")) }
        let bits: Int
        if let given = object["bits"] {
            // A JSON number that is a whole number; true/false and "20480" are not. A JSON boolean
            // decodes to an NSNumber too, told apart by its type code "c" (`is Bool` will not do:
            // the numbers 0 and 1 bridge to Bool as well).
            guard let number = given as? NSNumber, String(cString: number.objCType) != "c", let whole = Int(exactly: number.doubleValue),
                  whole >= 0
            else { return .failure(LineProblem(reason: "\"bits\" is not a non-negative whole number")) }
            bits = whole
        } else {
            bits = hex.utf8.count * 4
        }
        guard let key = BitKey(hex: hex, count: bits) else { return .failure(LineProblem(reason: "\"hex\" is not hex of \"bits\" (\(bits)) bits")) }
        return .success(DeliveredKey(keyID: id, key: key))
    }
}
