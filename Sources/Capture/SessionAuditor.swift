import PostProcessing
import QKDMath
import Wire

/// The security rules `capture check` applies to every recorded session, with no stack attached.
package enum AuditCheck: String, CaseIterable, Sendable, Codable {
    /// Messages in the order the state machines of docs/protocol.md allow.
    case messageOrder = "message-order"
    /// Per direction: 0, 1, 2, … with no replay, reorder or drop.
    case sequenceNumbers = "sequence-numbers"
    /// Every tag verifies under the pre-shared key (only with --auth-key).
    case authentication
    /// Every announced final length within the finite-key bound for the leakage on the wire.
    case keyLength = "key-length"
    /// No key for a frame whose estimate is above the declared threshold.
    case qberThreshold = "qber-threshold"
    /// No key for a frame whose verification failed.
    case verification
    /// Every key ID confirmed once.
    case uniqueKeyIDs = "unique-key-ids"
}

/// What a session is judged against: the declared threshold and ε (from the target file), or
/// the ones the session itself announced in PARAMETERS when none are declared.
package struct AuditDeclaration: Sendable {
    package var qberThreshold: Double?
    package var epsilonSecrecy: Double?
    package var epsilonCorrectness: Double?
    package init(qberThreshold: Double? = nil, epsilonSecrecy: Double? = nil, epsilonCorrectness: Double? = nil) {
        self.qberThreshold = qberThreshold; self.epsilonSecrecy = epsilonSecrecy; self.epsilonCorrectness = epsilonCorrectness
    }
}

/// A check's verdict on one session.
package struct CheckVerdict: Sendable, Codable, Equatable {
    package enum Outcome: String, Sendable, Codable { case pass, fail, notRun = "not-run" }
    package var check: AuditCheck
    package var outcome: Outcome
    /// The packet that shows the first violation.
    package var packet: Int?
    package var detail: String
    /// How many violations in all.
    package var violations: Int
}

package struct SessionVerdict: Sendable, Codable {
    package var session: String
    package var frames: Int
    package var keysConfirmed: Int
    package var checks: [CheckVerdict]
    package var passed: Bool { !checks.contains { $0.outcome == .fail } }
}

/// The bits a message discloses about a post-processing frame's key: Cascade parities (one per
/// answered query) and 64 per verification tag. The same rule as the live harness's ledger.
package enum DisclosedBits {
    package static func of(_ m: Message) -> [(frame: UInt64, bits: Int)] {
        switch m {
        case .cascadeReply(let b): return b.entries.map { ($0.frame, $0.parities.bitCount) }
        case .verification(let v): return [(v.frame, 64 * v.hashKeys.count)]
        default: return []
        }
    }
}

/// Audits every session in a capture from its decoded frames, one frame at a time in capture order.
package final class SessionAuditor {
    private let declaration: AuditDeclaration
    private let authenticationKey: BitKey?
    private var sessions: [UInt64: SessionAudit] = [:]

    package init(declaration: AuditDeclaration = AuditDeclaration(), authenticationKey: BitKey? = nil) {
        self.declaration = declaration
        self.authenticationKey = authenticationKey
    }

    package func observe(_ f: ObservedFrame) {
        let id = f.decoded.frame.sessionID
        if sessions[id] == nil {
            var pool: WegmanCarter?
            if let authenticationKey, let p = try? AuthenticationKeyPool(material: authenticationKey) { pool = WegmanCarter(pool: p) }
            sessions[id] = SessionAudit(declaration: declaration, authenticator: pool, checkAuthentication: authenticationKey != nil)
        }
        sessions[id]!.observe(f)
    }

    /// Verdicts per session, in session ID order.
    package func verdicts() -> [SessionVerdict] {
        sessions.keys.sorted().map { id in
            let s = sessions[id]!
            return SessionVerdict(session: CaptureAnalyzer.hex(id), frames: s.frames, keysConfirmed: s.keysConfirmed, checks: s.verdicts())
        }
    }
}

/// One session's audit state.
struct SessionAudit {
    private enum Phase: Int { case estimating, aborted, reconciling, verifying, discarded, amplifying, delivered }
    private struct FrameState {
        var phase = Phase.estimating
        var siftedBits = 0
        var sampleSize = 0
        var errors = 0
        var aboveThreshold = false
        var verificationFailed = false
        var leaked = 0
        var finalBits = 0
    }

    let declaration: AuditDeclaration
    var authenticator: WegmanCarter?
    let checkAuthentication: Bool
    var frames = 0
    var keysConfirmed = 0
    private var parameters: SessionParameters?
    private var nextSequence: [Role: UInt64] = [:]
    private var hello: Set<Role> = []
    private var postFrames: [UInt64: FrameState] = [:]
    private var keyIDs: Set<[UInt8]> = []
    private var first: [AuditCheck: (packet: Int, detail: String)] = [:]
    private var counts: [AuditCheck: Int] = [:]
    private var notes: [AuditCheck: String] = [:]

    init(declaration: AuditDeclaration, authenticator: WegmanCarter?, checkAuthentication: Bool) {
        self.declaration = declaration
        self.authenticator = authenticator
        self.checkAuthentication = checkAuthentication
    }

    private mutating func fail(_ c: AuditCheck, _ packet: Int, _ detail: String) {
        counts[c, default: 0] += 1
        if first[c] == nil { first[c] = (packet, detail) }
    }

    private var threshold: Double? { declaration.qberThreshold ?? parameters?.qberThreshold }

    mutating func observe(_ o: ObservedFrame) {
        frames += 1
        let frame = o.decoded.frame
        let p = o.packet
        guard let role = o.role else {
            fail(.messageOrder, p, "a \(CaptureAnalyzer.typeName(frame.message.type)) whose sender's role is not known")
            return
        }
        // Sequence numbers: exactly the next expected, per direction.
        let expected = nextSequence[role] ?? 0
        if frame.sequence != expected {
            fail(.sequenceNumbers, p, "\(role) sent sequence \(frame.sequence) where \(expected) was next (\(frame.sequence < expected ? "a replay or reorder" : "frames missing"))")
        }
        nextSequence[role] = max(expected, frame.sequence &+ 1)
        if checkAuthentication, authenticator != nil {
            do {
                try authenticator!.verify(o.decoded.authenticatedBytes, tag: frame.tag, direction: role == .alice ? .aliceToBob : .bobToAlice, sequence: frame.sequence)
            } catch {
                fail(.authentication, p, "\(role)'s \(CaptureAnalyzer.typeName(frame.message.type)) (sequence \(frame.sequence)): \(error)")
            }
        }
        for d in DisclosedBits.of(frame.message) { postFrames[d.frame, default: FrameState()].leaked += d.bits }
        order(frame.message, role: role, packet: p)
    }

    /// The per-frame state machines of docs/protocol.md, seen from the wire.
    private mutating func order(_ m: Message, role: Role, packet p: Int) {
        func expect(_ sender: Role) -> Bool {
            if role != sender {
                let detail = "\(role) sent \(CaptureAnalyzer.typeName(m.type)), which only \(sender) sends"
                fail(.messageOrder, p, detail)
                return false
            }
            return true
        }
        func state(_ frame: UInt64, _ allowed: [Phase], _ what: String) -> Bool {
            let phase = postFrames[frame]?.phase ?? .estimating
            if !allowed.contains(phase) || (postFrames[frame] == nil && what != "ESTIMATION_SAMPLE") {
                let detail = "\(what) for frame \(frame) in state \(postFrames[frame] == nil ? "unknown" : "\(phase)")"
                fail(.messageOrder, p, detail)
                return false
            }
            return true
        }
        switch m {
        case .hello(let h):
            if hello.contains(role) { fail(.messageOrder, p, "a second HELLO from \(role)") }
            hello.insert(role)
            if h.role != role { fail(.messageOrder, p, "HELLO claims \(h.role) on \(role)'s direction") }
        case .parameters(let x):
            _ = expect(.alice)
            if parameters != nil { fail(.messageOrder, p, "a second PARAMETERS") }
            parameters = x
        case .parametersAck:
            _ = expect(.bob)
            if parameters == nil { fail(.messageOrder, p, "PARAMETERS_ACK before PARAMETERS") }
        case .siftingBases, .siftingResult:
            if parameters == nil { fail(.messageOrder, p, "sifting before PARAMETERS") }
        case .estimationSample(let e):
            guard expect(.alice) else { return }
            if postFrames[e.frame]?.siftedBits ?? 0 > 0 { fail(.messageOrder, p, "a second ESTIMATION_SAMPLE for frame \(e.frame)"); return }
            postFrames[e.frame, default: FrameState()].siftedBits = Int(e.siftedBits)
            postFrames[e.frame]!.sampleSize = Int(e.sampleSize)
        case .estimationResult(let r):
            guard expect(.bob), state(r.frame, [.estimating], "ESTIMATION_RESULT") else { return }
            var f = postFrames[r.frame]!
            f.errors = Int(r.sampleErrors)
            if let t = threshold, f.sampleSize > 0, Double(r.sampleErrors) / Double(f.sampleSize) > t {
                f.aboveThreshold = true
                if r.proceed {
                    fail(.qberThreshold, p, "frame \(r.frame): \(r.sampleErrors) errors in \(f.sampleSize) sampled bits is above the threshold \(t), and Bob proceeds")
                }
            }
            f.phase = r.proceed ? .reconciling : .aborted
            postFrames[r.frame] = f
        case .cascadeRequest(let b):
            guard expect(.bob) else { return }
            for e in b.entries where !state(e.frame, [.reconciling], "CASCADE_REQUEST") { break }
        case .cascadeReply:
            _ = expect(.alice)
        case .verification(let v):
            guard expect(.alice), state(v.frame, [.reconciling], "VERIFICATION") else { return }
            postFrames[v.frame]!.phase = .verifying
        case .verificationResult(let v):
            guard expect(.bob), state(v.frame, [.verifying], "VERIFICATION_RESULT") else { return }
            postFrames[v.frame]!.phase = v.match ? .amplifying : .discarded
            postFrames[v.frame]!.verificationFailed = !v.match
        case .privacyAmplification(let a):
            guard expect(.alice) else { return }
            let f = postFrames[a.frame]
            if f?.verificationFailed == true, a.finalBits > 0 {
                fail(.verification, p, "frame \(a.frame): privacy amplification to \(a.finalBits) bits after a failed verification")
            }
            if f?.aboveThreshold == true, a.finalBits > 0 {
                fail(.qberThreshold, p, "frame \(a.frame): privacy amplification to \(a.finalBits) bits for a frame above the threshold")
            }
            guard state(a.frame, [.amplifying], "PRIVACY_AMPLIFICATION") else { return }
            postFrames[a.frame]!.finalBits = Int(a.finalBits)
            postFrames[a.frame]!.phase = a.finalBits > 0 ? .amplifying : .discarded
            if a.finalBits > 0 { checkLength(a.frame, packet: p) }
            if a.finalBits > 0 {
                if keyIDs.contains(a.keyID) { fail(.uniqueKeyIDs, p, "frame \(a.frame) reuses a key ID announced before") }
                keyIDs.insert(a.keyID)
            }
        case .keyConfirmation(let k):
            guard expect(.bob) else { return }
            let f = postFrames[k.frame]
            if f?.aboveThreshold == true { fail(.qberThreshold, p, "frame \(k.frame): a key confirmed for a frame above the threshold") }
            if f?.verificationFailed == true { fail(.verification, p, "frame \(k.frame): a key confirmed after a failed verification") }
            guard state(k.frame, [.amplifying], "KEY_CONFIRMATION") else { return }
            if (f?.finalBits ?? 0) == 0 { fail(.messageOrder, p, "KEY_CONFIRMATION for frame \(k.frame) with no final length announced") }
            postFrames[k.frame]!.phase = .delivered
            keysConfirmed += 1
        case .confirmationResult(let c):
            // Alice's word on Bob's confirmation (docs/protocol.md): a mismatch discards the frame at both ends.
            guard expect(.alice) else { return }
            if !c.match, postFrames[c.frame]?.phase == .delivered {
                postFrames[c.frame]!.phase = .discarded
                keysConfirmed -= 1
            }
        case .abort, .error, .keepalive, .close, .ignored:
            break
        }
    }

    /// ℓ against the finite-key bound with the leakage counted on the wire.
    private mutating func checkLength(_ frame: UInt64, packet: Int) {
        guard let f = postFrames[frame] else { return }
        guard let t = threshold, let es = declaration.epsilonSecrecy ?? parameters?.epsilonSecrecy,
              let ec = declaration.epsilonCorrectness ?? parameters?.epsilonCorrectness else {
            notes[.keyLength] = "no threshold or ε (no PARAMETERS in the capture and none declared)"
            return
        }
        guard f.siftedBits > f.sampleSize, f.sampleSize > 0 else { return }
        let bound = (try? FiniteKeyLength(keyBits: f.siftedBits - f.sampleSize, sampleBits: f.sampleSize, toleratedQBER: min(0.5, t),
                                          leakedBits: Double(f.leaked), epsilonSecrecy: es, epsilonCorrectness: ec).exactLength()) ?? 0
        if Double(f.finalBits) > bound {
            fail(.keyLength, packet, "frame \(frame): \(f.finalBits) final bits exceed the finite-key bound \(Int(bound.rounded(.down))) (n = \(f.siftedBits - f.sampleSize), k = \(f.sampleSize), leakage \(f.leaked) bits, threshold \(t))")
        }
    }

    func verdicts() -> [CheckVerdict] {
        AuditCheck.allCases.map { c in
            if c == .authentication && !checkAuthentication {
                return CheckVerdict(check: c, outcome: .notRun, packet: nil, detail: "no --auth-key given", violations: 0)
            }
            if let v = first[c] {
                return CheckVerdict(check: c, outcome: .fail, packet: v.packet, detail: v.detail, violations: counts[c] ?? 1)
            }
            if let n = notes[c] { return CheckVerdict(check: c, outcome: .notRun, packet: nil, detail: n, violations: 0) }
            return CheckVerdict(check: c, outcome: .pass, packet: nil, detail: "", violations: 0)
        }
    }
}
