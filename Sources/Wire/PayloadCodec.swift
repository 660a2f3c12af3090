/// Encoding and strict decoding of message payloads (docs/protocol.md gives each layout).
enum PayloadCodec {
    /// Limits that keep a lying count from driving an allocation.
    static let maximumOffsets = 1 << 22
    static let maximumBatchEntries = 1 << 16
    static let maximumQueries = 1 << 20
    static let maximumHashKeys = 16

    /// About the payload's size (exact for the bulk messages): the writer's first allocation, so
    /// a large payload is written without regrowing its buffer.
    static func sizeHint(_ m: Message) -> Int {
        switch m {
        case .siftingBases(let s): return 16 + 4 * s.offsets.count + s.bases.bytes.count
        case .siftingResult(let s): return 16 + s.matches.bytes.count + s.classes.bytes.count
        case .estimationSample(let e): return 32 + e.sampleBits.bytes.count
        case .cascadeRequest(let b): return 4 + b.entries.reduce(0) { $0 + 16 + 10 * $1.queries.count }
        case .cascadeReply(let b): return 4 + b.entries.reduce(0) { $0 + 16 + $1.parities.bytes.count }
        case .ignored(_, let payload): return payload.count
        default: return 256
        }
    }

    static func encode(_ m: Message, into w: inout ByteWriter) {
        switch m {
        case .hello(let h):
            w.u8(h.role.rawValue); w.text(h.nodeName); w.u32(h.capabilities)
        case .parameters(let p):
            w.u16(p.protocolID); w.u32(p.frameBits); w.f64(p.qberThreshold); w.f64(p.epsilonSecrecy)
            w.f64(p.epsilonCorrectness); w.u8(p.cascadeVariant); w.f64(p.sampleFraction); w.u64(p.permutationSeed)
        case .parametersAck(let a):
            w.u8(a.accepted ? 1 : 0); w.text(a.reason)
        case .siftingBases(let s):
            w.u64(s.block); w.u32(UInt32(s.offsets.count))
            w.u32s(s.offsets)
            s.bases.encode(into: &w)
        case .siftingResult(let s):
            w.u64(s.block); s.matches.encode(into: &w); s.classes.encode(into: &w)
        case .estimationSample(let e):
            w.u64(e.frame); w.u32(e.siftedBits); w.u32(e.sampleSize); w.u64(e.sampleSeed); e.sampleBits.encode(into: &w)
        case .estimationResult(let e):
            w.u64(e.frame); w.u32(e.sampleErrors); w.u8(e.proceed ? 1 : 0)
        case .cascadeRequest(let b):
            w.u32(UInt32(b.entries.count))
            for e in b.entries {
                w.u64(e.frame); w.u32(e.round); w.u32(UInt32(e.queries.count))
                w.parityQueries(e.queries)
            }
        case .cascadeReply(let b):
            w.u32(UInt32(b.entries.count))
            for e in b.entries { w.u64(e.frame); w.u32(e.round); e.parities.encode(into: &w) }
        case .verification(let v):
            w.u64(v.frame); w.u32(UInt32(v.hashKeys.count))
            for (k, t) in zip(v.hashKeys, v.tags) { w.u64(k); w.u64(t) }
        case .verificationResult(let v):
            w.u64(v.frame); w.u8(v.match ? 1 : 0)
        case .privacyAmplification(let p):
            w.u64(p.frame); w.u32(p.finalBits); w.u64(p.toeplitzSeed); w.raw(p.keyID)
        case .keyConfirmation(let k):
            w.u64(k.frame); w.raw(k.keyID); w.u64(k.fingerprint)
        case .confirmationResult(let c):
            w.u64(c.frame); w.raw(c.keyID); w.u8(c.match ? 1 : 0)
        case .abort(let a):
            w.u64(a.frame); w.u16(a.reason.rawValue); w.text(a.message)
        case .error(let e):
            w.u16(e.code.rawValue); w.u64(e.sequence); w.text(e.message)
        case .keepalive(let nonce):
            w.u64(nonce)
        case .close(let reason):
            w.text(reason)
        case .ignored(_, let payload):
            w.raw(payload)
        }
    }

    static func decode(type: MessageType, _ r: inout ByteReader) throws(WireError) -> Message {
        let m: Message
        switch type {
        case .hello:
            let at = r.offset
            guard let role = Role(rawValue: try r.u8()) else { throw .invalidField(offset: at, field: "role", reason: "must be 0 or 1") }
            m = .hello(Hello(role: role, nodeName: try r.text(field: "node name"), capabilities: try r.u32()))
        case .parameters:
            let p = SessionParameters(
                protocolID: try r.u16(), frameBits: try r.u32(), qberThreshold: try r.f64(), epsilonSecrecy: try r.f64(),
                epsilonCorrectness: try r.f64(), cascadeVariant: try r.u8(), sampleFraction: try r.f64(), permutationSeed: try r.u64())
            m = .parameters(p)
        case .parametersAck:
            m = .parametersAck(ParametersAck(accepted: try bool(&r, "accepted"), reason: try r.text(field: "reason")))
        case .siftingBases:
            let block = try r.u64()
            let n = try r.count(limit: maximumOffsets, elementBytes: 4, field: "offset count")
            let offsets = try r.u32s(n)
            let at = r.offset
            let bases = try BitString.decode(&r, field: "bases")
            guard bases.bitCount == n else {
                throw .invalidField(offset: at, field: "bases", reason: .basesForOffsets(bases: bases.bitCount, offsets: n))
            }
            m = .siftingBases(SiftingBases(block: block, offsets: offsets, bases: bases))
        case .siftingResult:
            let block = try r.u64()
            let matches = try BitString.decode(&r, field: "matches")
            let at = r.offset
            let classes = try BitString.decode(&r, field: "classes")
            // Bits past the count are zero (the bit-string decoder refuses others): count by bytes.
            let matched = matches.bytes.reduce(0) { $0 + $1.nonzeroBitCount }
            guard classes.bitCount == 2 * matched else {
                throw .invalidField(offset: at, field: "classes", reason: .classesForMatches(bits: classes.bitCount, matches: matched))
            }
            m = .siftingResult(SiftingResult(block: block, matches: matches, classes: classes))
        case .estimationSample:
            let frame = try r.u64(), sifted = try r.u32(), size = try r.u32(), seed = try r.u64()
            let at = r.offset
            let bits = try BitString.decode(&r, field: "sample bits")
            guard bits.bitCount == Int(size), size < sifted else {
                throw .invalidField(offset: at, field: "sample bits", reason: .sampleBits(bits.bitCount, sample: size, sifted: sifted))
            }
            m = .estimationSample(EstimationSample(frame: frame, siftedBits: sifted, sampleSize: size, sampleSeed: seed, sampleBits: bits))
        case .estimationResult:
            m = .estimationResult(EstimationResult(frame: try r.u64(), sampleErrors: try r.u32(), proceed: try bool(&r, "proceed")))
        case .cascadeRequest:
            let n = try r.count(limit: maximumBatchEntries, elementBytes: 16, field: "entry count")
            var entries = [CascadeRequestBatch.Entry]()
            entries.reserveCapacity(n)
            for _ in 0..<n {
                let frame = try r.u64(), round = try r.u32()
                let q = try r.count(limit: maximumQueries, elementBytes: 10, field: "query count")
                entries.append(.init(frame: frame, round: round, queries: try r.parityQueries(q)))
            }
            m = .cascadeRequest(CascadeRequestBatch(entries: entries))
        case .cascadeReply:
            let n = try r.count(limit: maximumBatchEntries, elementBytes: 16, field: "entry count")
            var entries = [CascadeReplyBatch.Entry]()
            entries.reserveCapacity(n)
            for _ in 0..<n {
                entries.append(.init(frame: try r.u64(), round: try r.u32(), parities: try BitString.decode(&r, field: "parities")))
            }
            m = .cascadeReply(CascadeReplyBatch(entries: entries))
        case .verification:
            let frame = try r.u64()
            let n = try r.count(limit: maximumHashKeys, elementBytes: 16, field: "hash count")
            guard n >= 1 else { throw .invalidField(offset: r.offset - 4, field: "hash count", reason: "at least one hash") }
            var keys = [UInt64](), tags = [UInt64]()
            keys.reserveCapacity(n)
            tags.reserveCapacity(n)
            for _ in 0..<n { keys.append(try r.u64()); tags.append(try r.u64()) }
            m = .verification(VerificationTags(frame: frame, hashKeys: keys, tags: tags))
        case .verificationResult:
            m = .verificationResult(VerificationResult(frame: try r.u64(), match: try bool(&r, "match")))
        case .privacyAmplification:
            m = .privacyAmplification(PrivacyAmplificationParameters(
                frame: try r.u64(), finalBits: try r.u32(), toeplitzSeed: try r.u64(), keyID: try r.raw(16)))
        case .keyConfirmation:
            m = .keyConfirmation(KeyConfirmation(frame: try r.u64(), keyID: try r.raw(16), fingerprint: try r.u64()))
        case .confirmationResult:
            m = .confirmationResult(ConfirmationResult(frame: try r.u64(), keyID: try r.raw(16), match: try bool(&r, "match")))
        case .abort:
            let frame = try r.u64()
            let at = r.offset
            guard let reason = AbortReason(rawValue: try r.u16()) else {
                throw .invalidField(offset: at, field: "abort reason", reason: "unknown code")
            }
            m = .abort(Abort(frame: frame, reason: reason, message: try r.text(field: "message")))
        case .error:
            let at = r.offset
            guard let code = ErrorCode(rawValue: try r.u16()) else {
                throw .invalidField(offset: at, field: "error code", reason: "unknown code")
            }
            m = .error(ErrorReport(code: code, sequence: try r.u64(), message: try r.text(field: "message")))
        case .keepalive:
            m = .keepalive(nonce: try r.u64())
        case .close:
            m = .close(reason: try r.text(field: "reason"))
        }
        try r.finish()
        return m
    }

    private static func bool(_ r: inout ByteReader, _ field: String) throws(WireError) -> Bool {
        let at = r.offset
        switch try r.u8() {
        case 0: return false
        case 1: return true
        case let v: throw .invalidField(offset: at, field: field, reason: .notBoolean(v))
        }
    }
}
