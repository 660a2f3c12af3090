import Foundation
import Wire

// Authentication and replay on the control channel: faults land where the case's seed puts them.
extension Catalogue {
    static let controlChannel: [ConformanceCase] = [
        ConformanceCase(
            id: "auth/tampered-payload-aborts", title: "A message with an altered payload ends the session",
            requirement: """
                A classical message whose payload was altered in transit must fail authentication, before its payload is \
                interpreted, and the session must abort with nothing delivered from it. The altered bit is placed by the \
                case's seed anywhere in Alice's traffic.
                """,
            level: .must, reference: "Wegman–Carter 1981; docs/protocol.md (authentication)", tags: ["authentication"]
        ) { ctx in
            let shape = try await calibrate(ctx)
            var random = CaseRandom(seed: ctx.seed, label: "tampered-payload")
            let log = FaultLog()
            let fault: ChannelFault
            if ctx.target.channel == .opaque {
                // A bit anywhere in Alice's byte stream after its first tenth.
                let target = random.int(in: max(1, shape.bytes / 10)...max(1, shape.bytes * 6 / 10))
                let bit = UInt8(1) << UInt8(random.int(in: 0...7))
                let seen = Counter()
                fault = { _, bytes in
                    let start = seen.add(bytes.count)
                    guard target >= start, target < start + bytes.count else { return [.send(bytes)] }
                    var b = bytes
                    b[target - start] ^= bit
                    log.note("bit \(bit.trailingZeroBitCount) of byte \(target) of Alice's stream (of about \(shape.bytes)) flipped")
                    return [.send(b)]
                }
            } else {
                let index = random.int(in: 1...max(1, shape.units * 6 / 10))
                let pick = random.next()
                fault = { i, bytes in
                    let payload = bytes.count - Frame.headerBytes - Frame.tagBytes
                    guard lands(at: index, i, bytes, log: log), payload > 0 else { return [.send(bytes)] }
                    var b = bytes
                    let offset = Frame.headerBytes + Int(pick % UInt64(payload))
                    b[offset] ^= UInt8(1) << UInt8((pick >> 32) % 8)
                    log.note("payload byte \(offset - Frame.headerBytes) of Alice's message \(i) (\(frameName(bytes))) altered")
                    return [.send(b)]
                }
            }
            let s = try await ctx.session(honest(), alice: fault)
            guard log.landed else { return CaseOutcome(holds: false, detail: "the fault never landed (\(describe(s)))", verdict: .error, session: s) }
            // On Alice's last message (CLOSE) there is no one left to tell: Bob ending with an error refuses it.
            let onClose = log.entries.contains { $0.contains("(close,") }
            let refused = refused(s, by: .bob, on: ctx.target.channel, reason: .authenticationFailure, code: .authenticationFailed)
                || (onClose && s.bobFailed)
            let stranded = loneKeyBreach(s, allowedAt: loneKeyEnd(ctx))
            return CaseOutcome(holds: refused && s.differingKeys == 0 && stranded == nil,
                               detail: "\(log.description); \(refusal(s)); \(keyConsistency(s))\(stranded.map { ": \($0)" } ?? "")", session: s)
        },
        ConformanceCase(
            id: "auth/tampered-tag-aborts", title: "A message with an altered tag ends the session",
            requirement: """
                A classical message whose authentication tag was altered in transit must fail authentication and abort the \
                session, whichever bit of the tag is altered (an opaque protocol's: the tag its framing declares): one session per tag byte, each with a bit and a message the \
                case's seed picks, so a stack that compares only part of the tag fails.
                """,
            level: .must, reference: "Wegman–Carter 1981; docs/protocol.md (authentication)", tags: ["authentication"]
        ) { ctx in
            // Where the tag is: wire/1's last eight bytes, or the tag an opaque protocol's framing declares.
            let tagBytes = ctx.target.channel == .reference ? Frame.tagBytes : (ctx.target.framing?.tagBytes ?? 0)
            guard tagBytes > 0 else {
                return .unimplemented("the target's control protocol is opaque and its framing declares no tag (docs/targets.md, \"framing\"): finding a message's tag needs it")
            }
            let shape = try await calibrate(ctx)
            var random = CaseRandom(seed: ctx.seed, label: "tampered-tag")
            var parts: [String] = [], holds = true
            var evidence: Session?
            for byte in 0..<tagBytes {
                let index = random.int(in: 1...max(1, shape.units * 6 / 10)), bit = 8 * byte + random.int(in: 0...7)
                let log = FaultLog()
                let s = try await ctx.session(honest(), alice: { i, bytes in
                    guard lands(at: index, i, bytes, log: log), bytes.count > tagBytes else { return [.send(bytes)] }
                    var b = bytes
                    // The tag is the message's last bytes (wire/1: a big-endian u64): bit 0 is the low bit of the last byte.
                    b[b.count - 1 - bit / 8] ^= UInt8(1) << UInt8(bit % 8)
                    log.note("tag bit \(bit) of Alice's message \(i) (\(frameName(bytes))) flipped")
                    return [.send(b)]
                })
                // On Alice's last message (CLOSE) there is no one left to tell: Bob ending with an error refuses it.
                let onClose = log.entries.contains { $0.contains("(close,") }
                let refusedIt = refused(s, by: .bob, on: ctx.target.channel, reason: .authenticationFailure, code: .authenticationFailed)
                    || (onClose && s.bobFailed)
                // Keys Alice confirmed after the altered message are hers alone: Bob refused the session
                // before reading her confirmation (docs/protocol.md, the confirmation window).
                let stranded = loneKeyBreach(s, allowedAt: loneKeyEnd(ctx))
                let ok = log.landed && refusedIt && s.differingKeys == 0 && stranded == nil
                if !ok {
                    holds = false
                    evidence = evidence ?? s
                    parts.append("\(log.description): \(refusal(s)), \(keyConsistency(s))\(stranded.map { ": \($0)" } ?? "")")
                }
                if evidence == nil && byte == tagBytes - 1 { evidence = s }
            }
            return CaseOutcome(holds: holds,
                               detail: holds ? "a flipped bit in each of the tag's \(tagBytes) bytes was refused every time"
                                             : "accepted: " + parts.joined(separator: "; "),
                               measurements: ["sessions": Double(tagBytes)], session: evidence)
        },
        sequenceCase(
            id: "auth/replayed-frame-rejected", title: "A replayed message is rejected",
            requirement: """
                A message replayed on the control channel (the case's seed picks which) must be rejected, even with a valid tag. \
                Judged on an opaque protocol that declares its framing too: there the receiving node must end the session with an error.
                """,
            tags: ["replay"], profiles: [.quick, .ci, .full], doing: "replaying a message", opaqueMessages: true
        ) { random, shape, log in
            let index = random.int(in: 0...max(0, shape.units * 6 / 10))
            return { i, bytes in
                guard i == index else { return [.send(bytes)] }
                log.note("Alice's message \(i) (\(frameName(bytes))) sent twice")
                return [.send(bytes), .send(bytes)]
            }
        },
        sequenceCase(
            id: "auth/replayed-earlier-frame-rejected", title: "An old message replayed mid-session is rejected",
            requirement: """
                A message recorded earlier in the session and replayed later (with its valid tag) must be rejected and the \
                session aborted, with no key from an incomplete frame.
                """,
            tags: ["replay"], profiles: [.ci, .full], doing: "replaying a message", opaqueMessages: true
        ) { random, shape, log in
            let later = random.int(in: 2...max(2, shape.units * 6 / 10))
            return replaying(random.int(in: 0...(later - 1)), after: later, log: log)
        },
        sequenceCase(
            id: "auth/reordered-frames-rejected", title: "Messages delivered out of order are rejected",
            requirement: "A message that arrives out of order (each with a valid tag) must be rejected, and the session aborted.",
            tags: ["replay", "order"], profiles: [.quick, .ci, .full], doing: "reordering messages"
        ) { random, shape, log in
            // One of Alice's SIFTING_RESULTs but the last, swapped with her next message: she
            // answers every block without waiting on Bob, so holding one cannot stall her.
            let target = random.int(in: 0...max(0, shape.blocks - 2))
            let seen = Counter(), held = HeldFrame(), done = Counter()
            return { i, bytes in
                if done.add(0) == 0, bytes.count > 5, bytes[5] == MessageType.siftingResult.rawValue, seen.add(1) == target {
                    held.set(bytes)
                    return []
                }
                if done.add(0) == 0, let earlier = held.take() {
                    _ = done.add(1)
                    log.note("Alice's message \(i - 1) (\(frameName(earlier))) delivered after her message \(i) (\(frameName(bytes)))")
                    return [.send(bytes), .send(earlier)]
                }
                return [.send(bytes)]
            }
        },
    ]

    /// A fault in the order of Alice's messages (each with a valid tag), placed by the case's seed,
    /// that Bob must notice from the sequence numbers: he refuses with ERROR replayed-or-out-of-order,
    /// and no key differs. `fault` makes a fresh fault per session (faults keep state) from the
    /// case's random source and the number of Alice's messages in a clean session.
    /// With `opaqueMessages`, the fault needs only Alice's messages told apart (not decoded), so
    /// an opaque target that declares its framing is judged too: refusing is then ending with an
    /// error, the only thing the harness can see of an opaque node.
    static func sequenceCase(id: String, title: String, requirement: String, tags: [String], profiles: Set<Profile>, doing what: String,
                             opaqueMessages: Bool = false,
                             fault: @escaping @Sendable (inout CaseRandom, Calibration, FaultLog) -> ChannelFault) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title, requirement: requirement, level: .must, reference: "docs/protocol.md (sequence numbers)", tags: tags,
            profiles: profiles
        ) { ctx in
            if let u = opaqueMessages ? needsMessages(ctx, what) : needsWire(ctx, what) { return u }
            let shape = try await calibrate(ctx)
            var random = CaseRandom(seed: ctx.seed, label: id)
            let log = FaultLog()
            let s = try await ctx.session(honest(), alice: fault(&random, shape, log))
            guard log.landed else { return CaseOutcome(holds: false, detail: "the fault never landed (\(describe(s)))", verdict: .error, session: s) }
            let stranded = loneKeyBreach(s, allowedAt: loneKeyEnd(ctx))
            return CaseOutcome(holds: refused(s, by: .bob, on: ctx.target.channel, code: .replayedOrOutOfOrder) && s.differingKeys == 0
                                   && stranded == nil,
                               detail: "\(log.description); \(refusal(s)); \(keyConsistency(s))\(stranded.map { ": \($0)" } ?? "")", session: s)
        }
    }
}

/// A running byte count shared by a fault's calls (they run one after another on the relay).
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    /// Adds `n`; returns the total before.
    func add(_ n: Int) -> Int { lock.withLock { defer { total += n }; return total } }
}
