import Foundation
import PostProcessing
import TargetFiles

/// What the key-output fuzz target runs on every input: ``KeyOutput/parse(_:path:)``, the
/// harness's reader of a node's key output (JSON lines `{"key_id": UUID, "hex": HEX, "bits": N}`).
///
/// Checked, besides "no crash": bad input is a ``HarnessError`` naming the line; keys that are
/// read, written back in the documented format, read back as the same IDs and the same bits.
package enum KeyOutputCheck {
    package static func check(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let keys: [DeliveredKey]
        do { keys = try KeyOutput.parse(text, path: "keys.jsonl") } catch {
            precondition(error is HarnessError, "key output refused with \(type(of: error)), not a HarnessError")
            return
        }
        let written = keys.map { "{\"key_id\": \"\($0.keyID.uuidString)\", \"hex\": \"\($0.key.hex)\", \"bits\": \($0.key.count)}\n" }.joined()
        guard let again = try? KeyOutput.parse(written, path: "keys.jsonl") else {
            preconditionFailure("keys that were read do not read back when written in the documented format")
        }
        precondition(again.map(\.keyID) == keys.map(\.keyID), "key IDs changed on the way back")
        precondition(again.map(\.key) == keys.map(\.key), "key bits changed on the way back")
    }
}
