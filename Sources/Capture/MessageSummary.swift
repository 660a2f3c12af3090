import Wire

/// A one-line description of a message, as a dissector shows it (no key material: sample bits,
/// parities and tags are counted, never printed).
package enum MessageSummary {
    package static func line(_ m: Message) -> String {
        switch m {
        case .hello(let h): return "\(h.role == .alice ? "alice" : "bob") \"\(h.nodeName)\""
        case .parameters(let p): return "frame \(p.frameBits) bits, threshold \(p.qberThreshold), eps_sec \(p.epsilonSecrecy)"
        case .parametersAck(let a): return a.accepted ? "accepted" : "rejected: \(a.reason)"
        case .siftingBases(let s): return "block \(s.block): \(s.offsets.count) detections"
        case .siftingResult(let r): return "block \(r.block): \(r.matches.bitCount) detections"
        case .estimationSample(let e): return "frame \(e.frame): \(e.sampleSize) of \(e.siftedBits) bits"
        case .estimationResult(let r): return "frame \(r.frame): \(r.sampleErrors) errors, \(r.proceed ? "proceed" : "abort")"
        case .cascadeRequest(let b): return "\(b.entries.count) frames, \(b.entries.reduce(0) { $0 + $1.queries.count }) queries"
        case .cascadeReply(let b): return "\(b.entries.count) frames, \(b.entries.reduce(0) { $0 + $1.parities.bitCount }) parities"
        case .verification(let v): return "frame \(v.frame): \(v.hashKeys.count) tags"
        case .verificationResult(let v): return "frame \(v.frame): \(v.match ? "match" : "mismatch")"
        case .privacyAmplification(let p): return "frame \(p.frame): \(p.finalBits) final bits"
        case .keyConfirmation(let k): return "frame \(k.frame)"
        case .confirmationResult(let c): return "frame \(c.frame): \(c.match ? "match" : "mismatch")"
        case .abort(let a): return "frame \(a.frame): \(a.reason) — \(a.message)"
        case .error(let e): return "\(e.code) at sequence \(e.sequence) — \(e.message)"
        case .keepalive: return "keepalive"
        case .close(let reason): return reason
        case .ignored(let t, let p): return "ignorable type 0x\(String(t, radix: 16)), \(p.count) bytes"
        }
    }
}
