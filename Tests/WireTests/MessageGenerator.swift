import QKDMath
@testable import Wire

/// Random messages of every type, for round-trip properties.
struct MessageGenerator {
    var s: PhiloxStream

    init(seed: UInt64) { s = PhiloxStream(seed: seed, index: 0, stream: 0x5749_5245) }

    mutating func u64() -> UInt64 { UInt64(s.nextWord()) << 32 | UInt64(s.nextWord()) }
    mutating func u32(below b: UInt32) -> UInt32 { s.nextInt(below: b) }
    mutating func bits(_ n: Int) -> BitString { BitString(bits: (0..<n).map { _ in UInt8(s.nextWord() & 1) }) }
    mutating func text() -> String { ["", "alice", "bob-ü", "QKD ✓", String(repeating: "x", count: 300)][Int(u32(below: 5))] }
    mutating func double() -> Double { Double(u32(below: 1_000_000)) / 1e7 }

    mutating func message() -> Message {
        switch u32(below: 18) {
        case 0: return .hello(Hello(role: u32(below: 2) == 0 ? .alice : .bob, nodeName: text(), capabilities: UInt32(truncatingIfNeeded: u64())))
        case 1: return .parameters(SessionParameters(frameBits: u32(below: 1 << 24), qberThreshold: double(), epsilonSecrecy: 1e-10,
                                                     epsilonCorrectness: 1e-12, cascadeVariant: UInt8(u32(below: 3)),
                                                     sampleFraction: double(), permutationSeed: u64()))
        case 2: return .parametersAck(ParametersAck(accepted: u32(below: 2) == 1, reason: text()))
        case 3:
            let n = Int(u32(below: 300))
            return .siftingBases(SiftingBases(block: u64(), offsets: (0..<n).map { _ in u32(below: 1 << 20) }, bases: bits(n)))
        case 4:
            let m = bits(Int(u32(below: 300)))
            let matched = (0..<m.bitCount).reduce(0) { $0 + Int(m[$1]) }
            return .siftingResult(SiftingResult(block: u64(), matches: m, classes: bits(2 * matched)))
        case 5:
            let size = u32(below: 500)
            return .estimationSample(EstimationSample(frame: u64(), siftedBits: size + 1 + u32(below: 1000), sampleSize: size,
                                                      sampleSeed: u64(), sampleBits: bits(Int(size))))
        case 6: return .estimationResult(EstimationResult(frame: u64(), sampleErrors: u32(below: 1000), proceed: u32(below: 2) == 1))
        case 7:
            return .cascadeRequest(CascadeRequestBatch(entries: (0..<Int(u32(below: 5))).map { _ in
                .init(frame: u64(), round: u32(below: 100), queries: (0..<Int(u32(below: 50))).map { _ in
                    let a = u32(below: 10_000)
                    return WireParityQuery(pass: UInt16(u32(below: 16)), start: a, end: a + 1 + u32(below: 5_000))
                })
            }))
        case 8:
            return .cascadeReply(CascadeReplyBatch(entries: (0..<Int(u32(below: 5))).map { _ in
                .init(frame: u64(), round: u32(below: 100), parities: bits(Int(u32(below: 200))))
            }))
        case 9:
            let n = 1 + Int(u32(below: 3))
            return .verification(VerificationTags(frame: u64(), hashKeys: (0..<n).map { _ in u64() }, tags: (0..<n).map { _ in u64() }))
        case 10: return .verificationResult(VerificationResult(frame: u64(), match: u32(below: 2) == 1))
        case 11: return .privacyAmplification(PrivacyAmplificationParameters(
            frame: u64(), finalBits: u32(below: 1 << 24), toeplitzSeed: u64(), keyID: (0..<16).map { _ in UInt8(u32(below: 256)) }))
        case 12: return .keyConfirmation(KeyConfirmation(frame: u64(), keyID: (0..<16).map { _ in UInt8(u32(below: 256)) }, fingerprint: u64()))
        case 13: return .abort(Abort(frame: u64(), reason: AbortReason.allCases[Int(u32(below: UInt32(AbortReason.allCases.count)))], message: text()))
        case 14: return .error(ErrorReport(code: ErrorCode.allCases[Int(u32(below: UInt32(ErrorCode.allCases.count)))], sequence: u64(), message: text()))
        case 15: return .keepalive(nonce: u64())
        case 16: return .confirmationResult(ConfirmationResult(frame: u64(), keyID: (0..<16).map { _ in UInt8(u32(below: 256)) },
                                                               match: u32(below: 2) == 1))
        default: return .close(reason: text())
        }
    }
}
