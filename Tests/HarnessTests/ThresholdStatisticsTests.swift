import Foundation
import PostProcessing
import QuantumChannel
import Testing
import Wire
@testable import Harness

@Suite("Threshold statistics, ground truth and the run's key IDs")
struct ThresholdStatisticsTests {
    @Test("frames for β = 10⁻³: a coin-flip defect passes N frames with probability 2⁻ᴺ ≤ β from N = 10, one more for margin")
    func framesForBeta() {
        #expect(ThresholdResolution.framesNeeded(beta: 1e-3) == 11)
        #expect(ThresholdResolution.framesNeeded(beta: 0.25) == 3)
    }

    @Test("δ above the reference's 8 % with k = 3277 over 11 frames is about 2.0 %, as the normal approximation gives by hand")
    func deltaAbove() throws {
        // By hand: each frame must abort with probability ≥ 0.999^(1/11) = 0.999909, a one-sided
        // z of 3.74; ⌊3277 · 0.08⌋ = 262 errors still proceed. At q = 0.099: kq − 3.74·√(kq(1−q)) =
        // 324.4 − 63.9 = 260.5 < 262.5; at q = 0.100: 327.7 − 64.2 = 263.5 ≥ 262.5. So δ ≈ 1.9–2.0 %.
        let r = try ThresholdResolution(threshold: 0.08, sampleBits: 3277, frames: 11, alpha: 1e-3, beta: 1e-3, side: .above)
        #expect(r.delta > 0.0185 && r.delta < 0.0205, "δ = \(r.delta)")
        #expect(r.correctPasses >= 0.999 - 1e-12)
        #expect(r.defectPasses <= 1e-3, "a stack whose threshold is δ too high passes with \(r.defectPasses)")
        #expect(r.statement.contains("δ = 1.9") || r.statement.contains("δ = 2.0"))
    }

    @Test("δ below the threshold is smaller (the binomial spread shrinks with q): about 1.6 % by hand")
    func deltaBelow() throws {
        // By hand: kq + 3.74·√(kq(1−q)) ≤ 262.5 holds at q = 0.064 (209.7 + 52.4 = 262.1) and not at
        // q = 0.065 (213.0 + 52.8 = 265.8): δ ≈ 0.08 − 0.064 = 1.6 %.
        let r = try ThresholdResolution(threshold: 0.08, sampleBits: 3277, frames: 11, alpha: 1e-3, beta: 1e-3, side: .below)
        #expect(r.delta > 0.015 && r.delta < 0.0175, "δ = \(r.delta)")
        #expect(r.correctPasses >= 0.999 - 1e-12 && r.defectPasses <= 1e-3)
        #expect(abs(r.qber - (0.08 - r.delta)) < 1e-15)
    }

    @Test("a channel built for a QBER has that signal QBER by the oracle")
    func channelForQBER() throws {
        for q in [0.05, 0.0999, 0.2] {
            let s = try Catalogue.channel(withQBER: q)
            #expect(abs(try ChannelExpectation(scenario: s).signalQBER - q) < 1e-12)
        }
        #expect(throws: HarnessError.self) { try Catalogue.channel(withQBER: 0.001) }
    }

    @Test("ground truth sifts like the reference protocol: equal bases and signal class only, block by block")
    func truth() {
        // Four detections; bases (A, B): equal at 0, 1, 3; Alice's classes 0, 1, 0, 0 (signal, decoy,
        // signal, signal). Sifted: detections 0 and 3. Alice's bits 1, 0, 1, 1; Bob's 1, 1, 0, 0:
        // detection 0 agrees, detection 3 is an error.
        func block(_ kind: QuantumLayerBlock.Kind, bits: [UInt8], bases: [UInt8], extra: [UInt8]) -> QuantumLayerBlock {
            QuantumLayerBlock(kind: kind, block: 0, firstPulse: 0, pulseCount: 16, offsets: [1, 4, 9, 12], bits: BitString(bits: bits),
                              bases: BitString(bits: bases), extra: BitString(bits: extra))
        }
        let alice = block(.alice, bits: [1, 0, 1, 1], bases: [0, 1, 1, 0], extra: [0, 0, 1, 0, 0, 0, 0, 0])
        let bob = block(.bob, bits: [1, 1, 0, 0], bases: [0, 1, 0, 0], extra: [0, 0, 0, 0])
        var truth = SessionTruth()
        truth.record(alice: alice, bob: bob)
        truth.record(alice: alice, bob: bob)
        #expect(truth.siftedBits == 4 && truth.siftedBeforeBlock == [0, 2, 4])
        #expect(truth.errors(in: 0..<4) == 2 && truth.errors(in: 0..<1) == 0)
        #expect(truth.frameRange(1, frameBits: 2) == 2..<4 && truth.frameRange(2, frameBits: 2) == nil)
        #expect(truth.blocks(of: 2..<4) == 1...1 && truth.blocks(of: 1..<3) == 0...1)
    }

    @Test("the run's ledger finds a key ID delivered by two sessions, and only that")
    func ledger() {
        let ledger = RunKeyLedger()
        let shared = UUID(), key = BitKey(count: 8)
        var a = Session(scenario: .gys(distanceKm: 1)), b = a
        a.aliceKeys = [DeliveredKey(keyID: shared, key: key), DeliveredKey(keyID: UUID(), key: key)]
        a.bobKeys = a.aliceKeys
        b.bobKeys = [DeliveredKey(keyID: shared, key: key)]
        ledger.record(a)
        #expect(ledger.reusedAcrossSessions.isEmpty, "both ends holding one ID is one delivery")
        ledger.record(b)
        #expect(ledger.reusedAcrossSessions.map(\.id) == [shared])
        #expect(ledger.counts.sessions == 2 && ledger.counts.distinctIDs == 2)
    }

    @Test("a case's random placement is a pure function of its seed and label")
    func placement() {
        var a = CaseRandom(seed: 7, label: "x"), b = CaseRandom(seed: 7, label: "x"), c = CaseRandom(seed: 7, label: "y")
        let xs = (0..<8).map { _ in a.int(in: 0...1000) }
        #expect(xs == (0..<8).map { _ in b.int(in: 0...1000) })
        #expect(xs != (0..<8).map { _ in c.int(in: 0...1000) })
        #expect(xs.allSatisfy { (0...1000).contains($0) })
    }
}
