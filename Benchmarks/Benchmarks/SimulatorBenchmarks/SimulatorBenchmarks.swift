import Benchmark
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

    Benchmark("binary entropy", configuration: .init(scalingFactor: .mega)) { benchmark in
        var acc = 0.0
        for i in benchmark.scaledIterations {
            acc += (try? binaryEntropy(Double(i % 1000) / 2000)) ?? 0
        }
        blackHole(acc)
    }
}
