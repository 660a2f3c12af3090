import Capture
import Foundation
import Wire

/// What a session came to, as replay compares it: the keys delivered (ID and fingerprint), the
/// ABORTs (who, which frame, why) and the refusals (ERROR: who, which code, at which sequence
/// number), each with the recorded packet that shows it.
package struct ReplayOutcome: Sendable, Codable, Equatable {
    package struct Key: Sendable, Codable, Equatable {
        package var keyID: String
        /// The first 8 bytes of the key's fingerprint (docs/postprocessing.md), as 16 hex digits.
        package var fingerprint: String
        package var packet: Int?

        enum CodingKeys: String, CodingKey {
            case keyID = "key_id", fingerprint, packet
        }
    }

    package struct Ending: Sendable, Codable, Equatable {
        package var from: String
        /// "abort" or "error".
        package var kind: String
        package var frame: UInt64?
        /// ABORT reason or ERROR code, with its name.
        package var code: String
        package var sequence: UInt64?
        package var packet: Int

        package var description: String {
            kind == "abort" ? "\(from) ABORT frame \(frame ?? 0), reason \(code) (packet \(packet))"
                : "\(from) ERROR \(code) at sequence \(sequence ?? 0) (packet \(packet))"
        }
    }

    package var keys: [Key] = []
    /// Frames Bob answered proceed = 0 for (aborted at parameter estimation), with the packet.
    package var framesAbortedAtEstimation: [UInt64] = []
    package var endings: [Ending] = []

    enum CodingKeys: String, CodingKey {
        case keys, endings
        case framesAbortedAtEstimation = "frames_aborted_at_estimation"
    }

    /// Whether the session ended cleanly (no ABORT or ERROR from either side).
    package var completed: Bool { endings.isEmpty }

    /// One line for reports.
    package var summary: String {
        var parts = ["\(keys.count) key\(keys.count == 1 ? "" : "s") delivered"]
        if !framesAbortedAtEstimation.isEmpty {
            parts.append("frame\(framesAbortedAtEstimation.count == 1 ? "" : "s") \(framesAbortedAtEstimation.map(String.init).joined(separator: ", ")) aborted at estimation")
        }
        parts += endings.map(\.description)
        return parts.joined(separator: "; ")
    }

    /// The outcome the recording shows: a key is delivered when Alice confirmed Bob's
    /// fingerprint (CONFIRMATION_RESULT match = 1 after his KEY_CONFIRMATION).
    package init(recorded: RecordedSession) {
        var confirmations: [[UInt8]: UInt64] = [:]
        for f in recorded.frames {
            switch f.frame.message {
            case .keyConfirmation(let k) where f.role == .bob:
                confirmations[k.keyID] = k.fingerprint
            case .confirmationResult(let c) where f.role == .alice && c.match:
                if let print = confirmations[c.keyID] {
                    keys.append(Key(keyID: ReplayEquivalence.hex(c.keyID), fingerprint: CaptureAnalyzer.hex(print), packet: f.packet))
                }
            case .estimationResult(let e) where f.role == .bob && !e.proceed:
                framesAbortedAtEstimation.append(e.frame)
            case .abort(let a):
                endings.append(Ending(from: f.role == .alice ? "alice" : "bob", kind: "abort", frame: a.frame,
                                      code: "\(a.reason.rawValue) (\(a.reason))", sequence: nil, packet: f.packet))
            case .error(let e):
                endings.append(Ending(from: f.role == .alice ? "alice" : "bob", kind: "error", frame: nil,
                                      code: "\(e.code.rawValue) (\(e.code))", sequence: e.sequence, packet: f.packet))
            default: break
            }
        }
    }

    package init() {}

    /// The key ID as replay names it: the 16 bytes in hex, as PRIVACY_AMPLIFICATION carries them.
    static func keyID(_ id: UUID) -> String {
        let u = id.uuid
        return ReplayEquivalence.hex([u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15])
    }
}
