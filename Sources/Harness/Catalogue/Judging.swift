import Foundation
import QKDMath
import QuantumChannel
import Wire

// The one-line judgements cases share (h2spec's verifier.go plays this part there).
extension Catalogue {
    /// A node that crashed or hung during a session is a verdict of its own, whatever the case checks.
    static func survival(_ s: Session) -> CaseOutcome? {
        for (role, ending) in [("Alice", s.aliceEnding), ("Bob", s.bobEnding)] {
            switch ending {
            case .crashed(let signal)?:
                return CaseOutcome(holds: false, detail: "\(role)'s node died of signal \(signal)", verdict: .crash, session: s)
            case .timedOut?:
                return CaseOutcome(holds: false, detail: "\(role)'s node was still running when the session's time was up", verdict: .timeout,
                                   session: s)
            default: continue
            }
        }
        return nil
    }

    /// `unimplemented` for a target whose control protocol the harness cannot decode.
    static func needsWire(_ ctx: CaseContext, _ what: String) -> CaseOutcome? {
        ctx.target.channel == .opaque
            ? .unimplemented("the target's control protocol is opaque to the harness; \(what) needs the frames decoded") : nil
    }

    /// `unimplemented` for an opaque target that declares no message framing: `what` needs
    /// Alice's messages told apart (a target file's `framing`, docs/targets.md, tells them apart).
    static func needsMessages(_ ctx: CaseContext, _ what: String) -> CaseOutcome? {
        ctx.target.channel == .opaque && ctx.target.framing == nil
            ? .unimplemented("the target's control protocol is opaque and declares no framing (docs/targets.md, \"framing\"); \(what) needs its messages told apart")
            : nil
    }

    /// Whether `bytes` are a qkdspec-wire/1 frame (its magic first): message names and the CLOSE
    /// a late fault falls back to apply only to those, never to an opaque protocol's messages.
    static func isWireFrame(_ bytes: [UInt8]) -> Bool {
        bytes.count >= Frame.headerBytes && bytes[0] == 0x51 && bytes[1] == 0x4B && bytes[2] == 0x44 && bytes[3] == 0x57
    }

    /// The sample errors and sample bits of every frame Bob answered, pooled.
    static func wireSample(_ s: Session) -> (errors: Int, trials: Int) {
        let answered = s.wire.estimates.values.filter { $0.errors != nil }
        return (answered.reduce(0) { $0 + ($1.errors ?? 0) }, answered.reduce(0) { $0 + $1.sampleSize })
    }

    /// The stack's own QBER estimate as seen on the wire (all answered samples pooled).
    static func wireQBER(_ s: Session) -> [String: Double] {
        let sample = wireSample(s)
        return sample.trials > 0 ? ["qber_estimate": Double(sample.errors) / Double(sample.trials)] : [:]
    }

    /// The keys each end delivered and, when a node failed, why (its last error, or how it ended).
    static func describe(_ s: Session) -> String {
        var parts = ["\(s.aliceKeys.count) keys at Alice, \(s.bobKeys.count) at Bob"]
        for (role, failure, ending) in [("Bob", s.bobFailure, s.bobEnding), ("Alice", s.aliceFailure, s.aliceEnding)] {
            if let failure { parts.append("\(role): \(failure)") } else if let ending, ending != .exited(0) { parts.append("\(role) ended with \(ending)") }
        }
        return parts.joined(separator: "; ")
    }

    /// Whether `side` refused its peer's traffic. On the reference protocol: an ABORT or ERROR on
    /// the wire (with the given reason or code, if any is given; either, if both are). On an
    /// opaque protocol, where the harness cannot read what a node says: a node that ended with an
    /// error or a non-zero status. Never a log-line convention.
    static func refused(_ s: Session, by side: Role, on channel: ControlChannelKind, reason: AbortReason? = nil, code: ErrorCode? = nil) -> Bool {
        if channel == .opaque { return side == .bob ? s.bobFailed : s.aliceFailed }
        let any = reason == nil && code == nil
        if s.wire.aborts.contains(where: { $0.from == side && (any || $0.reason == reason) }) { return true }
        return s.wire.errors.contains(where: { $0.from == side && (any || $0.code == code) })
    }

    /// What `side` said when it refused, for a case's detail.
    static func refusal(_ s: Session, by side: Role = .bob) -> String {
        let name = side == .bob ? "Bob" : "Alice"
        let a = s.wire.aborts.filter { $0.from == side }.map { "ABORT \($0.reason)" }
        let e = s.wire.errors.filter { $0.from == side }.map { "ERROR \($0.code)" }
        let said = (a + e).joined(separator: ", ")
        if !said.isEmpty { return "\(name) sent \(said)" }
        let failed = side == .bob ? s.bobFailed : s.aliceFailed
        return failed ? "\(name) sent no ABORT or ERROR but ended the session with an error" : "\(name) sent no ABORT or ERROR"
    }

    /// The end a target's keys may be stranded at when its channel fails mid-confirmation: what
    /// it declares (`declared.lone_key_end`); undeclared, Alice for the reference protocol
    /// (docs/protocol.md, key confirmation) and unknown (nil) for an opaque one.
    static func loneKeyEnd(_ ctx: CaseContext) -> LoneKeyEnd? {
        ctx.target.declared.loneKeyEnd ?? (ctx.target.channel == .reference ? .alice : nil)
    }

    /// Keys at one end only that the stack's confirmation design cannot explain, described; nil
    /// when there are none. With a declared end, a key alone at the other end is a breach (and
    /// any, for `neither`). Undeclared, one lost last message strands keys at one end at most,
    /// whichever the design: keys alone at both ends in one session are a breach.
    static func loneKeyBreach(_ s: Session, allowedAt end: LoneKeyEnd?) -> String? {
        let a = s.keysOnlyAtAlice, b = s.keysOnlyAtBob
        switch end {
        case .alice?: return b > 0 ? "\(b) keys only at Bob (the stack's keys may be stranded only at Alice)" : nil
        case .bob?: return a > 0 ? "\(a) keys only at Alice (the stack's keys may be stranded only at Bob)" : nil
        case .neither?: return a + b > 0 ? "\(a) keys only at Alice and \(b) only at Bob (the stack declares none may be)" : nil
        case nil: return a > 0 && b > 0 ? "\(a) keys only at Alice and \(b) only at Bob: one lost message strands keys at one end at most" : nil
        }
    }

    /// "n keys differ, n only at Alice, n only at Bob", for a case's detail.
    static func keyConsistency(_ s: Session) -> String {
        "\(s.differingKeys) keys differ, \(s.keysOnlyAtAlice) only at Alice, \(s.keysOnlyAtBob) only at Bob"
    }

    /// The signal-class QBER of a scenario, from the oracle.
    static func trueQBER(_ scenario: Scenario) throws -> Double { try ChannelExpectation(scenario: scenario).signalQBER }
}

extension Session {
    /// Whether Alice's node reported a failure or ended with a non-zero status.
    package var aliceFailed: Bool { aliceFailure != nil || (aliceEnding.map { $0 != .exited(0) } ?? false) }

    /// Keys both ends hold under one ID with different bits: never acceptable.
    package var differingKeys: Int {
        let bobByID = Dictionary(bobKeys.map { ($0.keyID, $0.key) }, uniquingKeysWith: { a, _ in a })
        return aliceKeys.filter { key in bobByID[key.keyID].map { $0 != key.key } ?? false }.count
    }

    /// Keys one end holds that the other does not hold under the same ID, by end.
    package var keysOnlyAtAlice: Int { Set(aliceKeys.map(\.keyID)).subtracting(Set(bobKeys.map(\.keyID))).count }
}
