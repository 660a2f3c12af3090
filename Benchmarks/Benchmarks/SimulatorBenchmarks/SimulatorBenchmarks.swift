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

    Benchmark("binary entropy", configuration: .init(scalingFactor: .mega)) { benchmark in
        var acc = 0.0
        for i in benchmark.scaledIterations {
            acc += (try? binaryEntropy(Double(i % 1000) / 2000)) ?? 0
        }
        blackHole(acc)
    }
}
