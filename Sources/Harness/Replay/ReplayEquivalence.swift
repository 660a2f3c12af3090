import Capture
import Wire

/// Where a live stack's answer first differs from the recorded one.
package struct ReplayDivergence: Sendable, Codable, Equatable {
    /// The recorded packet of the message the live stack should have matched (nil when the
    /// recording has no message there, e.g. the live stack sent one more).
    package var packet: Int?
    /// The recorded message, e.g. "ESTIMATION_RESULT frame 1".
    package var message: String
    /// The field that differs, e.g. "ESTIMATION_RESULT.proceed", or "type" for a different
    /// message, "connection" when the live stack closed or fell silent.
    package var field: String
    package var recorded: String
    package var live: String

    package var description: String {
        "\(packet.map { "recorded packet \($0)" } ?? "after the last recorded packet") (\(message)): \(field) recorded \(recorded), live \(live)"
    }
}

/// The equivalence rules of replay (docs/captures.md, "Equivalence rules"): which fields of a
/// live stack's message must equal the recorded message's, and which are masked because they
/// legitimately depend on the live stack itself rather than on what it was sent.
package enum ReplayEquivalence {
    /// The masked fields, as reports list them.
    package static let maskedFields = [
        "HELLO.node_name (the stack's own name)",
        "PARAMETERS_ACK.reason, ABORT.text, ERROR.text, CLOSE.reason (free text; the codes are compared)",
        "KEEPALIVE (sent on the stack's own timer, nonce random): not compared",
        "sequence numbers and tags (rebuilt: checked against the target's key, not the recording's)",
        "the interleaving of different message types (depends on when records and segments arrive); each type's messages are compared in order",
        "SIFTING_BASES beyond the recorded ones (a recorded session that ended early ended before Bob announced every block): compared with the records fed instead",
    ]

    /// A message type's name as docs/protocol.md writes it (CASCADE_REQUEST), or its number.
    package static func typeName(_ type: UInt8) -> String {
        guard let t = MessageType(rawValue: type) else { return CaptureAnalyzer.typeName(type) }
        var name = ""
        for c in "\(t)" {
            if c.isUppercase { name += "_" }
            name += c.uppercased()
        }
        return name
    }

    /// How reports name a message: its type and the frame, block or code it concerns.
    package static func label(_ m: Message) -> String {
        let name = typeName(m.type)
        switch m {
        case .siftingBases(let s): return "\(name) block \(s.block)"
        case .siftingResult(let s): return "\(name) block \(s.block)"
        case .estimationSample(let e): return "\(name) frame \(e.frame)"
        case .estimationResult(let e): return "\(name) frame \(e.frame)"
        case .cascadeRequest(let b): return "\(name) frames \(b.entries.map { String($0.frame) }.joined(separator: ","))"
        case .cascadeReply(let b): return "\(name) frames \(b.entries.map { String($0.frame) }.joined(separator: ","))"
        case .verification(let v): return "\(name) frame \(v.frame)"
        case .verificationResult(let v): return "\(name) frame \(v.frame)"
        case .privacyAmplification(let p): return "\(name) frame \(p.frame)"
        case .keyConfirmation(let k): return "\(name) frame \(k.frame)"
        case .confirmationResult(let c): return "\(name) frame \(c.frame)"
        case .abort(let a): return "\(name) frame \(a.frame) reason \(a.reason.rawValue) (\(a.reason))"
        case .error(let e): return "\(name) code \(e.code.rawValue) (\(e.code)) at sequence \(e.sequence)"
        default: return name
        }
    }

    /// Whether a message is left out of the comparison altogether.
    package static func isMasked(_ m: Message) -> Bool {
        if case .keepalive = m { return true }
        return false
    }

    /// The first field where `live` differs from `recorded` under the rules, as (field, recorded,
    /// live); nil when they are equivalent. Both are messages of the same sender.
    package typealias Difference = (field: String, recorded: String, live: String)

    package static func difference(recorded: Message, live: Message) -> Difference? {
        let name = typeName(recorded.type)
        func f<T: Equatable & CustomStringConvertible>(_ field: String, _ a: T, _ b: T) -> Difference? {
            a == b ? nil : ("\(name).\(field)", a.description, b.description)
        }
        func bits(_ field: String, _ a: BitString, _ b: BitString) -> Difference? {
            if a.bitCount != b.bitCount { return ("\(name).\(field)", "\(a.bitCount) bits", "\(b.bitCount) bits") }
            for i in 0..<a.bitCount where a[i] != b[i] { return ("\(name).\(field)[\(i)]", "\(a[i])", "\(b[i])") }
            return nil
        }
        func list<T: Equatable & CustomStringConvertible>(_ field: String, _ a: [T], _ b: [T]) -> Difference? {
            if a.count != b.count { return ("\(name).\(field)", "\(a.count) entries", "\(b.count) entries") }
            for i in a.indices where a[i] != b[i] { return ("\(name).\(field)[\(i)]", a[i].description, b[i].description) }
            return nil
        }
        guard recorded.type == live.type else { return ("type", label(recorded), label(live)) }
        switch (recorded, live) {
        case let (.hello(a), .hello(b)):
            return f("role", a.role == .alice ? "alice" : "bob", b.role == .alice ? "alice" : "bob") ?? f("capabilities", a.capabilities, b.capabilities)
        case let (.parameters(a), .parameters(b)):
            return f("protocol", a.protocolID, b.protocolID) ?? f("frame_bits", a.frameBits, b.frameBits)
                ?? f("qber_threshold", a.qberThreshold, b.qberThreshold) ?? f("epsilon_sec", a.epsilonSecrecy, b.epsilonSecrecy)
                ?? f("epsilon_cor", a.epsilonCorrectness, b.epsilonCorrectness) ?? f("cascade_variant", a.cascadeVariant, b.cascadeVariant)
                ?? f("sample_fraction", a.sampleFraction, b.sampleFraction) ?? f("permutation_seed", a.permutationSeed, b.permutationSeed)
        case let (.parametersAck(a), .parametersAck(b)):
            return f("accepted", a.accepted, b.accepted)
        case let (.siftingBases(a), .siftingBases(b)):
            return f("block", a.block, b.block) ?? list("offsets", a.offsets, b.offsets) ?? bits("bases", a.bases, b.bases)
        case let (.siftingResult(a), .siftingResult(b)):
            return f("block", a.block, b.block) ?? bits("matches", a.matches, b.matches) ?? bits("classes", a.classes, b.classes)
        case let (.estimationSample(a), .estimationSample(b)):
            return f("frame", a.frame, b.frame) ?? f("sifted_bits", a.siftedBits, b.siftedBits) ?? f("sample_size", a.sampleSize, b.sampleSize)
                ?? f("sample_seed", a.sampleSeed, b.sampleSeed) ?? bits("sample_bits", a.sampleBits, b.sampleBits)
        case let (.estimationResult(a), .estimationResult(b)):
            return f("frame", a.frame, b.frame) ?? f("errors", a.sampleErrors, b.sampleErrors) ?? f("proceed", a.proceed, b.proceed)
        case let (.cascadeRequest(a), .cascadeRequest(b)):
            if a.entries.count != b.entries.count { return ("\(name).entries", "\(a.entries.count) entries", "\(b.entries.count) entries") }
            for (i, (x, y)) in zip(a.entries, b.entries).enumerated() {
                if let d = f("entries[\(i)].frame", x.frame, y.frame) ?? f("entries[\(i)].round", x.round, y.round) { return d }
                if x.queries.count != y.queries.count {
                    return ("\(name).entries[\(i)].queries", "\(x.queries.count) queries", "\(y.queries.count) queries")
                }
                for (j, (q, r)) in zip(x.queries, y.queries).enumerated() where q != r {
                    return ("\(name).entries[\(i)].queries[\(j)]", "pass \(q.pass) [\(q.start), \(q.end))", "pass \(r.pass) [\(r.start), \(r.end))")
                }
            }
            return nil
        case let (.cascadeReply(a), .cascadeReply(b)):
            if a.entries.count != b.entries.count { return ("\(name).entries", "\(a.entries.count) entries", "\(b.entries.count) entries") }
            for (i, (x, y)) in zip(a.entries, b.entries).enumerated() {
                if let d = f("entries[\(i)].frame", x.frame, y.frame) ?? f("entries[\(i)].round", x.round, y.round)
                    ?? bits("entries[\(i)].parities", x.parities, y.parities) { return d }
            }
            return nil
        case let (.verification(a), .verification(b)):
            return f("frame", a.frame, b.frame) ?? list("hash_keys", a.hashKeys, b.hashKeys) ?? list("tags", a.tags, b.tags)
        case let (.verificationResult(a), .verificationResult(b)):
            return f("frame", a.frame, b.frame) ?? f("match", a.match, b.match)
        case let (.privacyAmplification(a), .privacyAmplification(b)):
            return f("frame", a.frame, b.frame) ?? f("final_bits", a.finalBits, b.finalBits) ?? f("toeplitz_seed", a.toeplitzSeed, b.toeplitzSeed)
                ?? f("key_id", hex(a.keyID), hex(b.keyID))
        case let (.keyConfirmation(a), .keyConfirmation(b)):
            return f("frame", a.frame, b.frame) ?? f("key_id", hex(a.keyID), hex(b.keyID))
                ?? f("fingerprint", CaptureAnalyzer.hex(a.fingerprint), CaptureAnalyzer.hex(b.fingerprint))
        case let (.confirmationResult(a), .confirmationResult(b)):
            return f("frame", a.frame, b.frame) ?? f("key_id", hex(a.keyID), hex(b.keyID)) ?? f("match", a.match, b.match)
        case let (.abort(a), .abort(b)):
            return f("frame", a.frame, b.frame) ?? f("reason", "\(a.reason.rawValue) (\(a.reason))", "\(b.reason.rawValue) (\(b.reason))")
        case let (.error(a), .error(b)):
            return f("code", "\(a.code.rawValue) (\(a.code))", "\(b.code.rawValue) (\(b.code))") ?? f("sequence", a.sequence, b.sequence)
        case (.keepalive, .keepalive), (.close, .close):
            return nil
        case let (.ignored(_, a), .ignored(_, b)):
            return a == b ? nil : ("\(name).payload", "\(a.count) bytes", "\(b.count) bytes")
        default:
            return ("type", label(recorded), label(live))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
    }
}
