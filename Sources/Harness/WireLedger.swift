import Foundation
import Wire

/// What the harness saw on a control channel that speaks the reference protocol. It decodes every
/// frame itself and never trusts a stack's own accounting.
package struct WireObservation: Sendable {
    /// One frame's parameter estimation as the two sides exchanged it.
    package struct Estimate: Sendable {
        /// Sifted bits in the frame and bits sampled (from Alice's ESTIMATION_SAMPLE).
        package var siftedBits = 0
        package var sampleSize = 0
        /// Sample errors and Bob's decision (from his ESTIMATION_RESULT); nil until he answered.
        package var errors: Int?
        package var proceed: Bool?
        /// The seed Alice drew the sample positions from (ESTIMATION_SAMPLE).
        package var sampleSeed: UInt64?
    }

    /// One frame's privacy amplification as Alice announced it, and Bob's confirmation.
    package struct Amplification: Sendable {
        package var finalBits = 0
        package var toeplitzSeed: UInt64 = 0
        package var keyID: UUID?
        /// The fingerprint Bob's KEY_CONFIRMATION carried, when he sent one.
        package var confirmedFingerprint: UInt64?
    }

    /// One line of the decoded transcript (evidence).
    package struct Entry: Sendable, Codable {
        package var from: String
        package var sequence: UInt64
        package var type: String
        package var bytes: Int
        package var summary: String
    }

    package var framesFromAlice = 0
    package var framesFromBob = 0
    /// Per post-processing frame: parity and verification-tag bits Alice disclosed.
    package var leaked: [UInt64: Int] = [:]
    /// Per frame: the final key length Alice announced in PRIVACY_AMPLIFICATION.
    package var announced: [UInt64: Int] = [:]
    /// Per frame: what privacy amplification used (reference protocol), for recomputing the key.
    package var amplifications: [UInt64: Amplification] = [:]
    /// Per frame: whether Bob said the verification tags matched.
    package var verificationMatches: [UInt64: Bool] = [:]
    package var estimates: [UInt64: Estimate] = [:]
    package var aborts: [(from: Role, frame: UInt64, reason: AbortReason)] = []
    package var errors: [(from: Role, code: ErrorCode)] = []
    package var parameters: SessionParameters?
    /// Bytes a side sent that did not decode as frames (the ledger stops decoding that side).
    package var undecodable: [Role: String] = [:]
    /// The first ``transcriptLimit`` frames, decoded.
    package var transcript: [Entry] = []
    package static let transcriptLimit = 20_000

    /// Whether `side` told its peer it refused something: an ABORT or an ERROR.
    package func refused(by side: Role) -> Bool {
        aborts.contains { $0.from == side } || errors.contains { $0.from == side }
    }

    /// Frames Bob let through parameter estimation, and frames he stopped.
    package var framesEstimated: Int { estimates.values.filter { $0.proceed != nil }.count }
    package var framesAborted: Int { estimates.values.filter { $0.proceed == false }.count }
}

/// Decodes both directions of a control channel into a ``WireObservation``; thread-safe, as the
/// two directions arrive on different threads.
final class WireLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var decoders = [FrameDecoder(), FrameDecoder()]
    private var observation = WireObservation()

    /// Records bytes one side sent; returns how many of that side's frames were complete before them.
    @discardableResult
    func observe(from side: Role, _ bytes: some Collection<UInt8>) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let index = side == .alice ? 0 : 1
        let before = side == .alice ? observation.framesFromAlice : observation.framesFromBob
        guard observation.undecodable[side] == nil else { return before }
        decoders[index].append(bytes)
        while true {
            let decoded: FrameDecoder.Decoded
            do {
                guard let d = try decoders[index].next() else { break }
                decoded = d
            } catch {
                observation.undecodable[side] = "\(error)"
                break
            }
            record(decoded.frame, from: side, bytes: decoded.authenticatedBytes.count + Frame.tagBytes)
        }
        return before
    }

    private func record(_ frame: Frame, from side: Role, bytes: Int) {
        if side == .alice { observation.framesFromAlice += 1 } else { observation.framesFromBob += 1 }
        var summary = ""
        switch frame.message {
        case .parameters(let p):
            observation.parameters = p
            summary = "frame \(p.frameBits) bits, threshold \(p.qberThreshold)"
        case .estimationSample(let e):
            observation.estimates[e.frame, default: .init()].siftedBits = Int(e.siftedBits)
            observation.estimates[e.frame, default: .init()].sampleSize = Int(e.sampleSize)
            observation.estimates[e.frame, default: .init()].sampleSeed = e.sampleSeed
            summary = "frame \(e.frame): \(e.sampleSize) of \(e.siftedBits) bits"
        case .estimationResult(let r):
            observation.estimates[r.frame, default: .init()].errors = Int(r.sampleErrors)
            observation.estimates[r.frame, default: .init()].proceed = r.proceed
            summary = "frame \(r.frame): \(r.sampleErrors) errors, \(r.proceed ? "proceed" : "abort")"
        case .cascadeReply(let batch):
            for e in batch.entries { observation.leaked[e.frame, default: 0] += e.parities.bitCount }
            summary = "\(batch.entries.count) frames, \(batch.entries.reduce(0) { $0 + $1.parities.bitCount }) parities"
        case .cascadeRequest(let batch):
            // The frames asked, so a transcript shows how the stack groups them into batches.
            let ids = batch.entries.prefix(16).map { String($0.frame) }.joined(separator: ",") + (batch.entries.count > 16 ? ",…" : "")
            summary = "\(batch.entries.count) frames [\(ids)], \(batch.entries.reduce(0) { $0 + $1.queries.count }) queries"
        case .verification(let v):
            observation.leaked[v.frame, default: 0] += 64 * v.hashKeys.count
            summary = "frame \(v.frame): \(v.hashKeys.count) tags"
        case .privacyAmplification(let p):
            observation.announced[p.frame] = Int(p.finalBits)
            observation.amplifications[p.frame, default: .init()].finalBits = Int(p.finalBits)
            observation.amplifications[p.frame, default: .init()].toeplitzSeed = p.toeplitzSeed
            observation.amplifications[p.frame, default: .init()].keyID = Self.uuid(p.keyID)
            summary = "frame \(p.frame): \(p.finalBits) final bits"
        case .abort(let a):
            observation.aborts.append((side, a.frame, a.reason))
            summary = "frame \(a.frame): \(a.reason) — \(a.message)"
        case .error(let e):
            observation.errors.append((side, e.code))
            summary = "\(e.code) — \(e.message)"
        case .siftingBases(let s):
            summary = "block \(s.block): \(s.offsets.count) detections"
        case .siftingResult(let r):
            summary = "block \(r.block): \(r.matches.bitCount) detections"
        case .keyConfirmation(let k):
            observation.amplifications[k.frame, default: .init()].confirmedFingerprint = k.fingerprint
            summary = "frame \(k.frame)"
        case .verificationResult(let v):
            observation.verificationMatches[v.frame] = v.match
            summary = "frame \(v.frame): \(v.match ? "match" : "mismatch")"
        case .close(let reason):
            summary = reason
        default:
            break
        }
        if observation.transcript.count < WireObservation.transcriptLimit {
            observation.transcript.append(.init(from: side == .alice ? "alice" : "bob", sequence: frame.sequence,
                                                type: MessageType(rawValue: frame.message.type).map { "\($0)" } ?? "0x\(String(frame.message.type, radix: 16))",
                                                bytes: bytes, summary: summary))
        }
    }

    static func uuid(_ b: [UInt8]) -> UUID? {
        guard b.count == 16 else { return nil }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    func snapshot() -> WireObservation {
        lock.lock()
        defer { lock.unlock() }
        return observation
    }
}
