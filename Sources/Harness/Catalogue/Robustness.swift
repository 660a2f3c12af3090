import Foundation
import Wire

// Robustness: malformed input, cut connections and slow links end a session cleanly, never
// with a crash, a hang or a key held by one end only.
extension Catalogue {
    static let robustness: [ConformanceCase] = [
        probe(
            id: "robustness/oversized-frame", title: "A frame over the size limit is refused without harm",
            requirement: """
                A frame whose header announces more than the protocol's limit must be refused with an error before anything is \
                allocated, by Alice's node and by Bob's (each probed on its own); neither may crash or hang, and the stack must still \
                work afterwards.
                """,
            bytes: { _ in oversizedHeader }, describe: "a frame header announcing 2 GiB", closeAfter: false, wireOnly: true),
        probe(
            id: "robustness/truncated-frame", title: "A connection cut inside a frame ends the session cleanly",
            requirement: """
                When the control connection closes in the middle of a frame, Alice's node and Bob's (each probed on its own) must \
                end the session with an error; neither may crash or hang, and the stack must still work afterwards.
                """,
            bytes: { _ in Array(oversizedHeader.prefix(12)) }, describe: "12 bytes of a frame header, then the connection closed",
            closeAfter: true, wireOnly: true),
        probe(
            id: "robustness/garbage/huge-lengths", title: "Lengths that would be huge in any framing are refused without harm",
            requirement: """
                Bytes that announce a huge length in a common framing must be refused without allocating what they announce, by \
                both nodes; neither may crash or hang, and the stack must still work afterwards. The case's seed picks the \
                framing: all-ones 16-, 32- or 64-bit fields of either byte order at the start or after a header of 1 to 8 bytes, \
                the largest positive signed lengths, a varint, an ASN.1 DER long-form length, or a TLS-style record header. \
                Judged on any control protocol.
                """,
            input: { random in
                let probe = HugeLengthProbe(random: &random)
                return (probe.bytes, probe.layoutDescription)
            },
            describe: "lengths huge in a common framing", closeAfter: false, wireOnly: false),
        probe(
            id: "robustness/garbage/random-bytes", title: "Random bytes are refused without harm",
            requirement: """
                Four kilobytes of random bytes (drawn from the case's seed) on the control channel must be refused by both \
                nodes; neither may crash or hang, and the stack must still work afterwards. Judged on any control protocol.
                """,
            bytes: { random in (0..<512).flatMap { _ in withUnsafeBytes(of: random.next().littleEndian, Array.init) } },
            describe: "random bytes from the case's seed", closeAfter: true, wireOnly: false),
        connectionCut(
            id: "robustness/connection-cut-keys-consistent", title: "A connection cut anywhere leaves no half-delivered key",
            where: "at three places its seed picks: early, in the middle and late in the session", fractions: [(0.05, 0.35), (0.35, 0.7), (0.7, 1)],
            profiles: [.ci, .full]),
        connectionCut(
            id: "robustness/connection-cut/after-last-confirmation", title: "A cut after the last key confirmation leaves no half-delivered key",
            where: "right before Alice's last message (after the last key confirmation)", fractions: [], profiles: [.quick, .ci, .full]),
        truncatedMidSession,
        delayedFrameTolerated,
    ]

    /// A frame header announcing a 2 GiB payload (the limit is 16 MiB).
    static let oversizedHeader: [UInt8] = [0x51, 0x4b, 0x44, 0x57, 1, 0x70, 0, 0] + [UInt8](repeating: 0, count: 16) + [0x7f, 0, 0, 0]

    /// A robustness case: a clean session proves the stack works, the probe sends each node the
    /// harness starts — Alice, then Bob — the malformed input on its own (a crash or a hang is a
    /// verdict, not the end of the run), and a second clean session proves the stack survived.
    /// Whether a node refused is judged from how its process ended, never from what it logged.
    /// `bytes` draws the input from the case's seed (most probes ignore it).
    static func probe(id: String, title: String, requirement: String, bytes: @escaping @Sendable (inout CaseRandom) -> [UInt8],
                      describe what: String, closeAfter: Bool, wireOnly: Bool) -> ConformanceCase {
        probe(id: id, title: title, requirement: requirement, input: { random in (bytes(&random), nil) }, describe: what,
              closeAfter: closeAfter, wireOnly: wireOnly)
    }

    /// A robustness probe whose input also says what the seed drew (the case's detail records it).
    static func probe(id: String, title: String, requirement: String,
                      input draw: @escaping @Sendable (inout CaseRandom) -> (bytes: [UInt8], drawn: String?),
                      describe what: String, closeAfter: Bool, wireOnly: Bool) -> ConformanceCase {
        ConformanceCase(id: id, title: title, requirement: requirement, level: .must, reference: "docs/protocol.md (limits, strict decoding)",
                        tags: ["robustness"]) { ctx in
            if wireOnly, let u = needsWire(ctx, "a probe made of reference-protocol frames") { return u }
            var probes: [NodeProcessProbe] = []
            for node in [Role.alice, .bob] { if let p = try ctx.target.probe(node) { probes.append(p) } }
            guard !probes.isEmpty else {
                return .unimplemented("neither node is started by the harness, so neither can be probed on its own")
            }
            let before = try await ctx.session(honest())
            guard !before.bobKeys.isEmpty else {
                return CaseOutcome(holds: false, detail: "the sanity session before the probe delivered no agreed key (\(describe(before))): robustness cannot be judged",
                                   verdict: .error, session: before)
            }
            var random = CaseRandom(seed: ctx.seed, label: id)
            let (input, drawn) = draw(&random)
            let what = drawn.map { "\(what): \($0)" } ?? what
            var refused: [String] = []
            for probe in probes {
                let (ending, log) = try probe.probe(sending: input, closeAfter: closeAfter, seconds: 10)
                let sent = "\(what) (\(input.count) bytes) sent to \(probe.node)'s node"
                switch ending {
                case .crashed(let signal):
                    return CaseOutcome(holds: false, detail: "\(sent): it died of signal \(signal)", verdict: .crash)
                case .stillRunning:
                    return CaseOutcome(holds: false, detail: "\(sent): it neither refused them nor ended the session within 10 s", verdict: .timeout)
                case .exited(let status) where status == 0:
                    return CaseOutcome(holds: false, detail: "\(sent): it ended the session with exit 0, as if nothing were wrong")
                case .exited:
                    let said = log.split(separator: "\n").last.map { ": \($0.prefix(160))" } ?? ""
                    refused.append("\(probe.node) refused them (\(ending))\(said)")
                }
            }
            let unprobed = probes.count == 2 ? "" : "; \(probes[0].node == "Alice" ? "Bob" : "Alice")'s node is not started by the harness, so it was not probed"
            let after = try await ctx.session(honest(), seed: ctx.seed &+ 1)
            return CaseOutcome(
                holds: !after.bobKeys.isEmpty,
                detail: "clean session before: \(before.bobKeys.count) keys; \(what) (\(input.count) bytes): \(refused.joined(separator: "; "))\(unprobed); clean session after: \(after.bobKeys.count) keys",
                session: after)
        }
    }

    /// Cuts the control connection before one of Alice's messages (or chunks), at places the
    /// case's seed picks in each of `fractions` of the session, or — no fractions — right before
    /// her last message. Every key must then be at both ends, identical, or at neither; the one
    /// exception docs/protocol.md documents for the reference protocol (the connection lost after
    /// Alice confirmed a key and before Bob read it) is told apart on the wire.
    static func connectionCut(id: String, title: String, where place: String, fractions: [(Double, Double)],
                              profiles: Set<Profile>) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title,
            requirement: """
                When the control connection is cut \(place), both nodes must end the session without crashing, and every key \
                must be delivered by both ends, identical, or by neither — save the window docs/protocol.md documents: a key \
                Alice confirmed whose confirmation never reached Bob. A stack with its own protocol may strand keys only at the \
                end it declares (`lone_key_end`), or, undeclared, at one end at most.
                """,
            level: .must, reference: "docs/protocol.md (connection loss, key confirmation)", tags: ["robustness", "keys"], profiles: profiles
        ) { ctx in
            let shape = try await calibrate(ctx)
            var random = CaseRandom(seed: ctx.seed, label: id)
            // Before her last message: on the reference protocol, her CLOSE, found by its type.
            let beforeClose = -1
            let cuts = fractions.isEmpty ? [ctx.target.channel == .reference ? beforeClose : shape.units - 1]
                : fractions.map { min(shape.units - 2, max(1, Int(random.fraction($0.0, $0.1) * Double(shape.units)))) }
            // A cut past the end of a shorter session lands on her CLOSE (see `lands`).
            var parts: [String] = [], failed = false
            var worst: Session?
            for cut in cuts {
                let log = FaultLog()
                // The frames whose CONFIRMATION_RESULT (0x52) reached Bob before the cut.
                let confirmedToBob = FrameSet()
                let s = try await ctx.session(honest(), alice: { i, bytes in
                    let isClose = bytes.count > 5 && bytes[5] == MessageType.close.rawValue
                    guard cut == beforeClose ? isClose : lands(at: cut, i, bytes, log: log) else {
                        if bytes.count >= Frame.headerBytes + 8, bytes[5] == 0x52, !log.landed {
                            confirmedToBob.insert(bytes[Frame.headerBytes..<(Frame.headerBytes + 8)].reduce(0) { $0 << 8 | UInt64($1) })
                        }
                        return [.send(bytes)]
                    }
                    log.note("cut before Alice's \(ctx.target.channel == .opaque ? "chunk" : "message") \(i) of \(shape.units) (\(ctx.target.channel == .opaque ? "\(bytes.count) bytes" : frameName(bytes)))")
                    return [.close]
                })
                let onlyAlice = s.keysOnlyAtAlice, onlyBob = s.keysOnlyAtBob
                // The documented window (docs/protocol.md): a key Alice confirmed whose confirmation
                // Bob never read is hers alone. On the reference protocol the harness tells it apart:
                // a key at Alice only whose confirmation did reach Bob is a violation.
                let bobIDs = Set(s.bobKeys.map(\.keyID))
                let frameOf = Dictionary(s.wire.amplifications.compactMap { f, a in a.keyID.map { ($0, f) } }, uniquingKeysWith: { a, _ in a })
                let aliceOnlyBreaches = ctx.target.channel == .reference
                    ? s.aliceKeys.filter { !bobIDs.contains($0.keyID) && (frameOf[$0.keyID].map(confirmedToBob.contains) ?? true) }.count : 0
                // Opaque: the end the stack declares (or, undeclared, one end at most) may hold keys alone.
                let stranded = loneKeyBreach(s, allowedAt: loneKeyEnd(ctx))
                let ok = s.differingKeys == 0 && stranded == nil && aliceOnlyBreaches == 0
                if !ok { failed = true; worst = s }
                parts.append("\(log.landed ? log.description : "the session ended before the cut"): \(describe(s)); \(onlyAlice) keys only at Alice"
                             + "\(ctx.target.channel == .reference ? " (\(aliceOnlyBreaches) of them confirmed to Bob)" : ""), \(onlyBob) only at Bob, \(s.differingKeys) differ"
                             + (stranded.map { ": \($0)" } ?? ""))
                if worst == nil { worst = s }
            }
            return CaseOutcome(holds: !failed, detail: parts.joined(separator: " | "), measurements: ["cuts": Double(cuts.count)], session: worst)
        }
    }

    static let truncatedMidSession = ConformanceCase(
        id: "robustness/truncated-frame-mid-session", title: "A frame cut short mid-session ends the session cleanly",
        requirement: """
            When the connection closes in the middle of one of Alice's frames during post-processing (the case's seed picks \
            which), Bob must end the session with an error, neither crash nor hang, and no key may differ between the ends or be \
            stranded at an end the stack's key confirmation does not allow (Alice for the reference protocol; `lone_key_end`).
            """,
        level: .must, reference: "docs/protocol.md (limits, connection loss)", tags: ["robustness"], profiles: [.ci, .full]
    ) { ctx in
        let shape = try await calibrate(ctx)
        var random = CaseRandom(seed: ctx.seed, label: "truncated-mid-session")
        let index = random.int(in: 2...max(2, shape.units * 9 / 10))
        let log = FaultLog()
        let s = try await ctx.session(honest(), alice: { i, bytes in
            guard lands(at: index, i, bytes, log: log) else { return [.send(bytes)] }
            log.note("Alice's message \(i) (\(frameName(bytes))) cut after \(max(1, bytes.count / 2)) of \(bytes.count) bytes, then the connection closed")
            return [.send(Array(bytes.prefix(max(1, bytes.count / 2)))), .close]
        })
        let bobFailed = s.bobFailed
        let stranded = loneKeyBreach(s, allowedAt: loneKeyEnd(ctx))
        return CaseOutcome(holds: bobFailed && s.differingKeys == 0 && stranded == nil,
                           detail: "\(log.description); Bob \(bobFailed ? "failed: \(s.bobFailure ?? "non-zero exit")" : "carried on as if nothing happened"); \(describe(s)); \(keyConsistency(s))\(stranded.map { ": \($0)" } ?? "")",
                           session: s)
    }

    static let delayedFrameTolerated = ConformanceCase(
        id: "robustness/delayed-frame-tolerated", title: "A slow message does not break the session",
        requirement: """
            A message held back for a quarter of a second (well inside any sensible timeout; the case's seed picks which) must \
            not make the session fail: keys are still delivered and agree.
            """,
        level: .should, reference: "docs/protocol.md (timeouts)", tags: ["robustness", "liveness"], profiles: [.ci, .full]
    ) { ctx in
        let shape = try await calibrate(ctx)
        var random = CaseRandom(seed: ctx.seed, label: "delayed-frame")
        let index = random.int(in: 1...max(1, shape.units * 9 / 10))
        let log = FaultLog()
        let s = try await ctx.session(honest(), alice: { i, bytes in
            guard lands(at: index, i, bytes, log: log) else { return [.send(bytes)] }
            log.note("Alice's message \(i) (\(frameName(bytes))) held for 250 ms")
            return [.delay(.milliseconds(250)), .send(bytes)]
        })
        return CaseOutcome(holds: !s.bobKeys.isEmpty && s.mismatchedKeys == 0 && s.aliceKeys.count == s.bobKeys.count,
                           detail: "\(log.description); " + describe(s), session: s)
    }
}

/// Frame numbers a fault saw, shared by its calls.
final class FrameSet: @unchecked Sendable {
    private let lock = NSLock()
    private var frames = Set<UInt64>()
    func insert(_ frame: UInt64) { lock.withLock { _ = frames.insert(frame) } }
    func contains(_ frame: UInt64) -> Bool { lock.withLock { frames.contains(frame) } }
}
