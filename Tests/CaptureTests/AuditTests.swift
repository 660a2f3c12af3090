import Capture
import Foundation
import PostProcessing
import Testing
import Wire

/// `capture check` on sessions written to real pcap files (Wire's encoder, Wegman–Carter tags,
/// TCP segments through libpcap's writer), clean and with one defect each.
@Suite struct AuditTests {
    static let session: UInt64 = 0x5EC0_0000_0000_0001

    /// A pre-shared key: 64-bit hash key then pads, from a fixed pattern.
    static let key = BitKey(words: (0..<64).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 ^ 0x0123_4567_89AB_CDEF }, count: 64 * 64)

    /// A complete, well-ordered session with one delivered key (frame 0): n = 29 491, k = 3 277,
    /// 3 % sample errors, 40 parities and two verification tags disclosed, ℓ = 8000 (the bound
    /// at Q = 0.08 is about 9 600 bits: worked out in `cleanSessionPasses`).
    static func cleanSession(finalBits: UInt32 = 8000, errors: UInt32 = 98, proceed: Bool = true) -> [(Role, Message)] {
        let params = SessionParameters(frameBits: 32768, qberThreshold: 0.08, epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12,
                                       cascadeVariant: 0, sampleFraction: 0.1, permutationSeed: 7)
        let keyID = [UInt8](repeating: 0xAB, count: 16)
        return [
            (.alice, .hello(Hello(role: .alice, nodeName: "alice"))),
            (.alice, .parameters(params)),
            (.bob, .hello(Hello(role: .bob, nodeName: "bob"))),
            (.bob, .parametersAck(ParametersAck(accepted: true))),
            (.alice, .estimationSample(EstimationSample(frame: 0, siftedBits: 32768, sampleSize: 3277, sampleSeed: 1,
                                                        sampleBits: BitString(bits: [UInt8](repeating: 1, count: 3277))))),
            (.bob, .estimationResult(EstimationResult(frame: 0, sampleErrors: errors, proceed: proceed))),
            (.bob, .cascadeRequest(CascadeRequestBatch(entries: [.init(frame: 0, round: 0, queries: (0..<40).map { WireParityQuery(pass: 0, start: UInt32($0) * 8, end: UInt32($0) * 8 + 8) })]))),
            (.alice, .cascadeReply(CascadeReplyBatch(entries: [.init(frame: 0, round: 0, parities: BitString(bits: [UInt8](repeating: 0, count: 40)))]))),
            (.bob, .cascadeRequest(CascadeRequestBatch(entries: [.init(frame: 0, round: 1, queries: [])]))),
            (.alice, .cascadeReply(CascadeReplyBatch(entries: [.init(frame: 0, round: 1, parities: BitString(bits: []))]))),
            (.alice, .verification(VerificationTags(frame: 0, hashKeys: [1, 2], tags: [3, 4]))),
            (.bob, .verificationResult(VerificationResult(frame: 0, match: true))),
            (.alice, .privacyAmplification(PrivacyAmplificationParameters(frame: 0, finalBits: finalBits, toeplitzSeed: 9, keyID: keyID))),
            (.bob, .keyConfirmation(KeyConfirmation(frame: 0, keyID: keyID, fingerprint: 42))),
            (.bob, .close(reason: "end of records")),
            (.alice, .close(reason: "session complete")),
        ]
    }

    /// Writes the messages as one TCP connection (Alice the client); frame i is packet 4 + i.
    /// `sequenceOf` may renumber a frame; `tamper` may change a frame's bytes after tagging.
    static func write(_ messages: [(Role, Message)], sequenceOf: (Int, UInt64) -> UInt64 = { $1 },
                      tamper: (Int, inout [UInt8]) -> Void = { _, _ in }) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).pcap").path
        let writer = try PcapWriter(path: path)
        let tcp = TCPStreamRecorder(writer: writer, client: .init(address: (10, 0, 0, 1), port: 40000), server: .init(address: (10, 0, 0, 2), port: 9000))
        var next: [Role: UInt64] = [:]
        var auth = WegmanCarter(pool: try AuthenticationKeyPool(material: key))
        for (i, (role, message)) in messages.enumerated() {
            let natural = next[role, default: 0]
            next[role] = natural + 1
            let sequence = sequenceOf(i, natural)
            var bytes = try Frame(sessionID: session, sequence: sequence, message: message).encoded { bytes in
                try auth.tag(bytes, direction: role == .alice ? .aliceToBob : .bobToAlice, sequence: sequence)
            }
            tamper(i, &bytes)
            tcp.record(fromClient: role == .alice, bytes)
        }
        tcp.finish()
        writer.close()
        return path
    }

    static func audit(_ path: String, key: BitKey? = nil) throws -> [String: CheckVerdict] {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let auditor = SessionAuditor(authenticationKey: key)
        let analyzer = CaptureAnalyzer()
        analyzer.onFrame = { auditor.observe($0) }
        try analyzer.read(try PcapReader(path: path))
        let verdicts = auditor.verdicts()
        #expect(verdicts.count == 1)
        return Dictionary(uniqueKeysWithValues: (verdicts.first?.checks ?? []).map { ($0.check.rawValue, $0) })
    }

    @Test func cleanSessionPasses() throws {
        // The bound by hand: μ = sqrt((n+k)/(nk) · (k+1)/k · ln(2/ε_sec)) with n = 29 491, k = 3 277,
        // ε = 1e-10 → about 0.09; h(0.08 + 0.09) ≈ 0.66; ℓ ≤ 29 491 · 0.34 − (40 + 128) − log2(2/(1e-20 · 1e-12)) ≈ 9 600,
        // so 8000 passes and 12 000 (lengthAboveTheBoundFails) does not.
        let v = try Self.audit(try Self.write(Self.cleanSession()), key: Self.key)
        for c in AuditCheck.allCases { #expect(v[c.rawValue]?.outcome == .pass, "\(c): \(v[c.rawValue]?.detail ?? "")") }
    }

    @Test func lengthAboveTheBoundFails() throws {
        let v = try Self.audit(try Self.write(Self.cleanSession(finalBits: 12_000)))
        #expect(v["key-length"]?.outcome == .fail)
        #expect(v["key-length"]?.packet == 4 + 12)
    }

    @Test func proceedingAboveTheThresholdFails() throws {
        // 400 errors in 3277 sampled bits: 12.2 % > 8 %.
        let v = try Self.audit(try Self.write(Self.cleanSession(errors: 400)))
        #expect(v["qber-threshold"]?.outcome == .fail)
        #expect(v["qber-threshold"]?.packet == 4 + 5)
    }

    @Test func tamperedPayloadFailsAuthentication() throws {
        // One byte of the nonce-free CLOSE text of Bob changed after tagging (frame 14).
        let path = try Self.write(Self.cleanSession(), tamper: { i, bytes in if i == 14 { bytes[30] ^= 0x20 } })
        let v = try Self.audit(path, key: Self.key)
        #expect(v["authentication"]?.outcome == .fail)
        #expect(v["authentication"]?.packet == 4 + 14)
        #expect(v["authentication"]?.violations == 1)
    }

    @Test func wrongKeyFailsEveryTag() throws {
        var other = Self.key
        other.flip(0)
        let v = try Self.audit(try Self.write(Self.cleanSession()), key: other)
        #expect(v["authentication"]?.violations == 16)
    }

    @Test func replayedSequenceNumberFails() throws {
        // Bob's CLOSE (frame 14) carries sequence 5, which he used before.
        let v = try Self.audit(try Self.write(Self.cleanSession(), sequenceOf: { i, s in i == 14 ? 5 : s }), key: Self.key)
        #expect(v["sequence-numbers"]?.outcome == .fail)
        #expect(v["sequence-numbers"]?.packet == 4 + 14)
        #expect(v["authentication"]?.outcome == .pass)  // tagged for the sequence it carries
    }

    @Test func duplicateKeyIDFails() throws {
        var s = Self.cleanSession()
        let keyID = [UInt8](repeating: 0xAB, count: 16)
        let second: [(Role, Message)] = [
            (.alice, .estimationSample(EstimationSample(frame: 1, siftedBits: 32768, sampleSize: 3277, sampleSeed: 2,
                                                        sampleBits: BitString(bits: [UInt8](repeating: 0, count: 3277))))),
            (.bob, .estimationResult(EstimationResult(frame: 1, sampleErrors: 90, proceed: true))),
            (.alice, .verification(VerificationTags(frame: 1, hashKeys: [1], tags: [2]))),
            (.bob, .verificationResult(VerificationResult(frame: 1, match: true))),
            (.alice, .privacyAmplification(PrivacyAmplificationParameters(frame: 1, finalBits: 5000, toeplitzSeed: 3, keyID: keyID))),
        ]
        s.insert(contentsOf: second, at: 14)
        let v = try Self.audit(try Self.write(s))
        #expect(v["unique-key-ids"]?.outcome == .fail)
        #expect(v["unique-key-ids"]?.packet == 4 + 18)
        #expect(v["message-order"]?.outcome == .pass)
    }

    @Test func messageOutOfOrderFails() throws {
        var s = Self.cleanSession()
        s.swapAt(10, 11)  // VERIFICATION_RESULT before VERIFICATION
        let v = try Self.audit(try Self.write(s))
        #expect(v["message-order"]?.outcome == .fail)
        #expect(v["message-order"]?.packet == 4 + 10)
    }
}
