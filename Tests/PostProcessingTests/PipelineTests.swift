import Foundation
import QKDMath
import Testing
@testable import PostProcessing

@Suite("Sifting, estimation, key store and the frame pipeline")
struct PipelineTests {
    @Test("sifting keeps matching bases, per class and basis, in detection order")
    func sifting() throws {
        let records = DetectionRecords(
            aliceBits: BitKey(bits: [1, 0, 1, 1, 0, 1]), aliceBases: BitKey(bits: [0, 1, 0, 1, 0, 0]),
            bobBits: BitKey(bits: [1, 1, 0, 1, 0, 1]), bobBases: BitKey(bits: [0, 1, 1, 1, 0, 0]),
            intensityClasses: [0, 0, 0, 1, 0, 2])
        let frame = try SiftedFrame(records, classes: 3)
        // Detection 2 has different bases. Signal Z: detections 0, 4; signal X: 1; decoy X: 3; vacuum Z: 5.
        #expect(frame.bits[0][0].detections == [0, 4])
        #expect(frame.bits[0][1].detections == [1])
        #expect(frame.bits[0][1].errors == 1)   // Alice 0, Bob 1
        #expect(frame.bits[1][1].detections == [3])
        #expect(frame.bits[2][0].detections == [5])
        #expect(frame.signalKey.alice == BitKey(bits: [1, 0, 0]))
        var bad = records
        bad.bobBases = BitKey(bits: [0, 1])
        #expect(throws: PostProcessingError.self) { try SiftedFrame(bad, classes: 3) }
        #expect(throws: PostProcessingError.self) { try SiftedFrame(records, classes: 2) }  // class 2 undeclared
    }

    @Test("the sample is k distinct sorted positions; errors are counted; the bound is above the estimate")
    func estimation() throws {
        let (alice, bob) = noisyPair(bits: 20_000, errors: 600, seed: 21)
        let e = try ParameterEstimation.estimate(alice: alice, bob: bob, sampleSize: 2_000, seed: 5, alpha: 1e-10, declaredThreshold: 0.1)
        #expect(e.samplePositions.count == 2_000 && Set(e.samplePositions).count == 2_000)
        #expect(e.samplePositions == e.samplePositions.sorted())
        #expect(e.sampleErrors == e.samplePositions.filter { alice[Int($0)] != bob[Int($0)] }.count)
        #expect(e.remainingAlice.count == 18_000)
        #expect(e.remainingAlice.hammingDistance(to: e.remainingBob) + e.sampleErrors == 600)
        #expect(e.qberUpperBound > e.qber && !e.abort)
        // A 3 % frame against a 2 % threshold aborts.
        let strict = try ParameterEstimation.estimate(alice: alice, bob: bob, sampleSize: 2_000, seed: 5, alpha: 1e-10, declaredThreshold: 0.02)
        #expect(strict.abort)
        #expect(throws: PostProcessingError.self) {
            try ParameterEstimation.estimate(alice: alice, bob: bob, sampleSize: 20_000, seed: 5, alpha: 0.01, declaredThreshold: 0.1)
        }
    }

    @Test("a key is delivered once, zeroed, and its ID never reused")
    func keyStore() throws {
        var store = KeyStore()
        let key = randomKey(256, seed: 3)
        let id = try store.deposit(key)
        #expect(store.entries.first?.fingerprint == key.fingerprint)
        #expect(throws: PostProcessingError.self) { try store.deposit(key, keyID: id) }
        #expect(try store.take(id) == key)
        #expect(store.count == 0)
        #expect(throws: PostProcessingError.self) { _ = try store.take(id) }
        #expect(throws: PostProcessingError.self) { try store.deposit(key, keyID: id) }
    }

    /// Runs `frames` frames through the pipeline and checks the security invariants on each.
    func runFrames(qber: Double, frames: Int, bits: Int, parameters: PostProcessingParameters) throws -> [FrameReport] {
        var aliceStore = KeyStore(), bobStore = KeyStore()
        var cache = [Int: CascadePermutations]()
        var reports = [FrameReport]()
        for f in 0..<frames {
            let (alice, bob) = noisyPair(bits: bits, errors: Int(Double(bits) * qber), seed: 1_000 + UInt64(f))
            let r = try FramePipeline.run(
                alice: alice, bob: bob, frameSeed: UInt64(f), parameters: parameters,
                permutations: { n in
                    if let p = cache[n] { return p }
                    let p = CascadePermutations(frameBits: n, passes: parameters.cascade.passes, seed: 42)
                    cache[n] = p
                    return p
                }, aliceStore: &aliceStore, bobStore: &bobStore)
            switch r.outcome {
            case let .delivered(id, bitsOut):
                // No residual error survives verification, and the two stores hold the same key.
                #expect(r.residualErrors == 0)
                #expect(try aliceStore.take(id) == (try bobStore.take(id)))
                // The length never exceeds the finite-key bound, recomputed here from the counts.
                let bound = try FiniteKeyLength(
                    keyBits: r.keyBits, sampleBits: r.sampleBits, toleratedQBER: parameters.qberThreshold,
                    leakedBits: Double(r.disclosedParityBits + r.verificationBits), epsilonSecrecy: parameters.epsilonSecrecy,
                    epsilonCorrectness: parameters.epsilonCorrectness).exactLength()
                #expect(Double(bitsOut) <= bound)
            default:
                #expect(aliceStore.count == 0 && bobStore.count == 0, "nothing from a \(r.outcome.name) frame is stored")
            }
            reports.append(r)
        }
        return reports
    }

    @Test("a large seeded run: every delivered frame is error-free and within the finite-key bound")
    func largeRun() throws {
        let reports = try runFrames(qber: 0.03, frames: 120, bits: 20_000, parameters: PostProcessingParameters())
        let delivered = reports.filter { if case .delivered = $0.outcome { return true } else { return false } }
        #expect(delivered.count >= 115)
        #expect(delivered.allSatisfy { $0.finalKeyBits > 0 && $0.leakedBits > 0 })
    }

    @Test("above the threshold every frame aborts and nothing is stored")
    func abortAboveThreshold() throws {
        let reports = try runFrames(qber: 0.13, frames: 10, bits: 20_000, parameters: PostProcessingParameters(qberThreshold: 0.10))
        #expect(reports.allSatisfy { $0.outcome.name == "aborted-qber" })
    }

    @Test("a reconciliation that leaves an error is caught by verification: discarded, nothing stored")
    func verificationMismatchDiscards() throws {
        let (alice, bob) = noisyPair(bits: 20_000, errors: 400, seed: 77)
        var aliceStore = KeyStore(), bobStore = KeyStore()
        let params = PostProcessingParameters()
        let report = try FramePipeline.run(
            alice: alice, bob: bob, frameSeed: 1, parameters: params,
            permutations: { CascadePermutations(frameBits: $0, passes: params.cascade.passes, seed: 1) },
            aliceStore: &aliceStore, bobStore: &bobStore,
            reconciler: { a, b, v, q, perms throws(PostProcessingError) in
                // A faulty stack: reconciles, then flips one bit back.
                var out = try Cascade.reconcile(alice: a, bob: b, variant: v, estimatedQBER: q, permutations: perms)
                var key = out.reconciledKey
                key.flip(123)
                out.reconciledKey = key
                return out
            })
        #expect(report.outcome == .discardedVerificationMismatch)
        #expect(report.residualErrors == 1)
        #expect(aliceStore.count == 0 && bobStore.count == 0)
    }

    @Test("a frame too short for a finite key is discarded")
    func shortFrameDiscarded() throws {
        let reports = try runFrames(qber: 0.02, frames: 3, bits: 2_000, parameters: PostProcessingParameters())
        #expect(reports.allSatisfy { $0.outcome == .discardedNoSecretKey })
    }
}
