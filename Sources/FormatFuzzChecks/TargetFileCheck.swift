import Foundation
import TargetFiles

/// What the target-file fuzz target runs on every input: ``TargetFile/parse(_:path:)`` (the
/// part of `qkdspec run --target FILE` after the read: JSON, the strict field checks, decoding
/// and ``TargetFile/check()``).
///
/// Checked, besides "no crash": bad input is a ``HarnessError`` naming the problem; a file that
/// is accepted re-encodes (JSONEncoder) to a file that is accepted as the same target.
package enum TargetFileCheck {
    package static func check(_ bytes: [UInt8]) {
        let file: TargetFile
        do { file = try TargetFile.parse(Data(bytes), path: "fuzz.json") } catch {
            precondition(error is HarnessError, "a target file was refused with \(type(of: error)), not a HarnessError")
            precondition(!"\(error)".isEmpty, "an empty error message")
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let encoded = try? encoder.encode(file) else { preconditionFailure("an accepted target file does not encode") }
        do {
            let again = try TargetFile.parse(encoded, path: "fuzz.json")
            precondition(again == file, "parse → encode → parse changed the target file")
        } catch {
            preconditionFailure("an accepted target file, re-encoded, is refused: \(error)")
        }
    }
}
