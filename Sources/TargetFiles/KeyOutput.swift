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
    /// a key is a ``HarnessError`` naming the line. The fuzz target runs this on untrusted text.
    package static func parse(_ text: String, path: String) throws -> [DeliveredKey] {
        var keys: [DeliveredKey] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let idText = object["key_id"] as? String, let id = UUID(uuidString: idText), let hex = object["hex"] as? String
            else {
                throw HarnessError("key output \(path), line \(n + 1): expected {\"key_id\": UUID, \"hex\": HEX, \"bits\": N}")
            }
            let bits = (object["bits"] as? Int) ?? hex.utf8.count * 4
            guard bits >= 0, let key = BitKey(hex: hex, count: bits) else {
                throw HarnessError("key output \(path), line \(n + 1): \"hex\" is not hex of \"bits\" bits")
            }
            keys.append(DeliveredKey(keyID: id, key: key))
        }
        return keys
    }
}
