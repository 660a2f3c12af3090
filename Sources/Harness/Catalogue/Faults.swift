import Foundation
import PostProcessing
import QuantumChannel
import Wire

/// A case's own random choices (where a fault lands), drawn from its seed: a fault lands
/// anywhere in a session, and the same seed puts it in the same place (SplitMix64).
struct CaseRandom {
    private var state: UInt64

    init(seed: UInt64, label: String) {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ seed
        for b in label.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        state = h
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range` (the modulo bias is below 2⁻³² for the ranges cases use).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// Uniform in [low, high).
    mutating func fraction(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) / Double(1 << 53)
    }
}

/// Where a case's faults landed (a fault runs on the relay's threads; the case reads it after).
final class FaultLog: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []
    private var units = 0, bytes = 0

    func note(_ text: String) { lock.withLock { notes.append(text) } }
    /// Counts a frame or chunk that passed (for calibration).
    func count(_ unit: [UInt8]) { lock.withLock { units += 1; bytes += unit.count } }

    var entries: [String] { lock.withLock { notes } }
    var landed: Bool { lock.withLock { !notes.isEmpty } }
    var totals: (units: Int, bytes: Int) { lock.withLock { (units, bytes) } }
    var description: String { entries.isEmpty ? "the fault never landed" : entries.joined(separator: "; ") }
}

/// One frame a fault holds back (to reorder), shared by the fault's calls.
final class HeldFrame: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8]?
    func set(_ b: [UInt8]) { lock.withLock { bytes = b } }
    func take() -> [UInt8]? { lock.withLock { defer { bytes = nil }; return bytes } }
}

// The faults cases apply.
extension Catalogue {
    /// The shape of a clean session on this target, for placing faults.
    struct Calibration {
        /// Alice's frames (or chunks, for an opaque protocol) and bytes.
        var units: Int
        var bytes: Int
        var session: Session
        /// Quantum-layer blocks in the session (Alice sends one SIFTING_RESULT per block).
        var blocks: Int
    }

    static func calibrate(_ ctx: CaseContext, _ scenario: Scenario? = nil) async throws -> Calibration {
        let log = FaultLog()
        let s = try await ctx.session(scenario ?? honest(), alice: { _, bytes in
            log.count(bytes)
            return [.send(bytes)]
        })
        return Calibration(units: log.totals.units, bytes: log.totals.bytes, session: s, blocks: ctx.target.blocksPerSession)
    }

    /// Whether a fault aimed at Alice's message `index` lands on message `i`: at that index, or —
    /// when this session turned out shorter than the clean one it was placed in (batching and
    /// Cascade's rounds vary) — on her CLOSE, so a fault always lands.
    static func lands(at index: Int, _ i: Int, _ bytes: [UInt8], log: FaultLog) -> Bool {
        i == index || (!log.landed && i < index && isWireFrame(bytes) && bytes[5] == MessageType.close.rawValue)
    }

    /// A short description of one of Alice's frames (its type and, for per-frame messages, the frame).
    static func frameName(_ bytes: [UInt8]) -> String {
        guard isWireFrame(bytes) else { return "\(bytes.count) bytes" }
        let type = MessageType(rawValue: bytes[5]).map { "\($0)" } ?? "type 0x\(String(bytes[5], radix: 16))"
        return "\(type), sequence \(bytes[16..<24].reduce(0) { $0 << 8 | UInt64($1) })"
    }

    /// Keeps a copy of Alice's message `earlier` and sends it again after message `later`.
    static func replaying(_ earlier: Int, after later: Int, log: FaultLog) -> ChannelFault {
        let held = HeldFrame()
        return { index, bytes in
            if index == earlier { held.set(bytes) }
            if index == later, let old = held.take() {
                log.note("Alice's message \(earlier) (\(frameName(old))) replayed after her message \(later)")
                return [.send(bytes), .send(old)]
            }
            return [.send(bytes)]
        }
    }

    /// Rewrites one kind of message from `side` with `change` and re-tags it with `key`, so the
    /// change passes authentication and only the receiver's own rules can catch it.
    static func forging(from side: Role, key: BitKey, log: FaultLog, _ change: @escaping @Sendable (inout Message) -> String?) -> ChannelFault {
        { _, bytes in
            guard var frame = try? FrameDecoder.decode(bytes).frame else { return [.send(bytes)] }
            var message = frame.message
            guard let what = change(&message) else { return [.send(bytes)] }
            frame.message = message
            guard let forged = DefaultAuthenticationKey.retagged(frame, key: key, from: side) else { return [.send(bytes)] }
            log.note(what)
            return [.send(forged)]
        }
    }

    /// Flips a bit of every verification tag Alice sends and re-tags the frame with `key`, so the
    /// change passes authentication and only verification can catch it.
    static func corruptVerification(key: BitKey, log: FaultLog) -> ChannelFault {
        forging(from: .alice, key: key, log: log) { message in
            guard case .verification(var v) = message, !v.tags.isEmpty else { return nil }
            v.tags[0] ^= 1
            message = .verification(v)
            return "frame \(v.frame)'s verification tag altered"
        }
    }
}
