import Benchmark
import PostProcessing
import QKDMath
import QuantumChannel

/// Micro-benchmarks of the simulator's inner pieces. The end-to-end figure users quote is
/// `qkdspec bench simulate`; these explain where its time goes.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3))

    Benchmark("Philox4x32-10 block", configuration: .init(scalingFactor: .mega)) { benchmark in
        let g = Philox4x32(seed: 7)
        var acc: UInt32 = 0
        for i in benchmark.scaledIterations {
            let w = g.block(index: UInt64(i), draw: 0, stream: 1)
            acc ^= w.0 ^ w.3
        }
        blackHole(acc)
    }

    for distance in [0.0, 50.0] {
        Benchmark("simulate one block of 2^20 pulses at \(Int(distance)) km") { benchmark in
            let sim = try QuantumChannelSimulator(scenario: .gys(distanceKm: distance), seed: 1)
            var block = DetectionBlock()
            var tally = SimulationTally(pulses: 0, classes: 3)
            let total = UInt64(QuantumChannelSimulator.pulsesPerBlock) * 1_000_000
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                sim.fill(&block, index: UInt64(i), totalPulses: total, tally: &tally)
            }
            blackHole(tally)
        }
    }

    let frameBits = 10_000
    let permutations = CascadePermutations(frameBits: frameBits, passes: 10, seed: 1)
    var words = [UInt64]()
    var stream = PhiloxStream(seed: 9, index: 0, stream: 0)
    for _ in 0..<(frameBits + 63) / 64 { words.append(UInt64(stream.nextWord()) << 32 | UInt64(stream.nextWord())) }
    let alice = BitKey(words: words, count: frameBits)
    var bob = alice
    for i in 0..<200 { bob.flip((i * 7919) % frameBits) }

    Benchmark("BitKey.permuted, 10 000 bits") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(alice.permuted(by: permutations.order[3])) }
    }

    Benchmark("BitKey.parity of 2 500 bits") { benchmark in
        for i in benchmark.scaledIterations { blackHole(alice.parity((i % 7)..<(2500 + i % 7))) }
    }

    for variant in CascadeVariant.allCases {
        Benchmark("Cascade \(variant.rawValue), 10 000 bits, 2 % QBER") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try Cascade.reconcile(alice: alice, bob: bob, variant: variant, estimatedQBER: 0.02, permutations: permutations))
            }
        }
    }

    // Sifting one quantum-layer block as the demo's are (2^24 pulses at 10 km: about 165 000
    // detections), on each side; throughput is detections per second.
    let detections = 165_000
    func column(_ bits: Int, _ s: UInt32) -> [UInt8] {
        var g = PhiloxStream(seed: 5, index: 0, stream: s)
        var b = (0..<(bits + 7) / 8).map { _ in UInt8(truncatingIfNeeded: g.nextWord()) }
        if bits % 8 != 0 { b[b.count - 1] &= UInt8((1 << (bits % 8)) - 1) }
        return b
    }
    let aliceBases = column(detections, 1), bobBases = column(detections, 2)
    let classColumn = column(2 * detections, 3), bitColumn = column(detections, 4)
    var probe = BitKey(count: 0)
    let answer = SiftingKernel.aliceSift(detections: detections, aliceBases: aliceBases, bobBases: bobBases, classes: classColumn,
                                         bits: bitColumn, into: &probe)

    Benchmark("sifting, Alice, one block of 165 000 detections", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            var key = BitKey(count: 0)
            blackHole(SiftingKernel.aliceSift(detections: detections, aliceBases: aliceBases, bobBases: bobBases, classes: classColumn,
                                              bits: bitColumn, into: &key))
            blackHole(key)
        }
    }

    Benchmark("sifting, Bob, one block of 165 000 detections", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            var key = BitKey(count: 0)
            var perClass = [0, 0, 0, 0]
            SiftingKernel.bobSift(matches: answer.matches, classes: answer.classes, bits: bitColumn, into: &key, perClass: &perClass)
            blackHole(key)
        }
    }

    Benchmark("binary entropy", configuration: .init(scalingFactor: .mega)) { benchmark in
        var acc = 0.0
        for i in benchmark.scaledIterations {
            acc += (try? binaryEntropy(Double(i % 1000) / 2000)) ?? 0
        }
        blackHole(acc)
    }
}
