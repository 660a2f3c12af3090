import Foundation
import QKDMath
import Testing
@testable import QuantumChannel

@Suite("Monte-Carlo simulator")
struct SimulatorTests {
    /// Runs `pulses` and checks every class's detections, double clicks and sifted errors
    /// against the analytic expectation at 99.9 %.
    func checkAgainstOracle(_ s: Scenario, pulses: UInt64, seed: UInt64) throws {
        let sim = try QuantumChannelSimulator(scenario: s, seed: seed)
        let tally = sim.run(pulses: pulses, threads: 2)
        let x = try ChannelExpectation(scenario: s)
        for (k, c) in s.intensities.enumerated() {
            let t = tally.perClass[k], e = x.perClass[k]
            try expectConsistent(t.detections, of: pulses, with: c.probability * e.gain, "\(c.name) detections")
            try expectConsistent(t.sifted, of: pulses, with: c.probability * e.siftedGain, "\(c.name) sifted")
            try expectConsistent(t.doubleClicks, of: pulses, with: c.probability * e.doubleClickProbability, "\(c.name) double clicks")
            if t.sifted > 100 {
                try expectConsistent(t.siftedErrors, of: t.sifted, with: e.qber, "\(c.name) QBER")
            }
        }
    }

    @Test("no eavesdropper, 0 km")
    func honestShort() throws { try checkAgainstOracle(.gys(distanceKm: 0), pulses: 4_000_000, seed: 1) }

    @Test("no eavesdropper, 50 km")
    func honestLong() throws { try checkAgainstOracle(.gys(distanceKm: 50), pulses: 30_000_000, seed: 2) }

    @Test("intercept-resend on half the pulses")
    func interceptResendHalf() throws {
        var s = Scenario.gys(distanceKm: 5)
        s.eavesdropper = .interceptResend(fraction: 0.5)
        try checkAgainstOracle(s, pulses: 4_000_000, seed: 3)
    }

    @Test("photon-number splitting")
    func pns() throws {
        var s = Scenario.gys(distanceKm: 5)
        s.eavesdropper = .photonNumberSplitting
        try checkAgainstOracle(s, pulses: 4_000_000, seed: 4)
    }

    @Test("biased bases, injected noise, high dark counts and afterpulsing")
    func everything() throws {
        var s = Scenario.gys(distanceKm: 20)
        s.probabilityZ = 0.8
        s.injectedNoise = 0.02
        s.detector.backgroundYield = 2e-3
        s.detector.afterpulseProbability = 0.05
        try checkAgainstOracle(s, pulses: 4_000_000, seed: 5)
    }

    @Test("intercept-resend at p = 1 measures 25 % within its confidence interval")
    func interceptResendFull() throws {
        var s = Scenario.gys(distanceKm: 0)
        s.detector.backgroundYield = 0
        s.detector.misalignmentError = 0
        s.eavesdropper = .interceptResend(fraction: 1)
        let t = try QuantumChannelSimulator(scenario: s, seed: 6).run(pulses: 2_000_000, threads: 2).perClass[0]
        #expect(t.sifted > 5_000)
        try expectConsistent(t.siftedErrors, of: t.sifted, with: 0.25, "intercept-resend QBER")
    }

    @Test("the same seed gives the same records on 1, 2 and 3 threads; another seed does not")
    func determinism() throws {
        let sim = try QuantumChannelSimulator(scenario: .gys(distanceKm: 10), seed: 42)
        let pulses: UInt64 = 5 * UInt64(QuantumChannelSimulator.pulsesPerBlock) + 12_345
        let one = sim.run(pulses: pulses, threads: 1)
        #expect(sim.run(pulses: pulses, threads: 2) == one)
        #expect(sim.run(pulses: pulses, threads: 3) == one)
        let other = try QuantumChannelSimulator(scenario: .gys(distanceKm: 10), seed: 43).run(pulses: pulses, threads: 2)
        #expect(other != one)
        // Streaming the blocks one by one gives the same records as generating any block alone.
        let streamed = Array(sim.blocks(pulses: pulses))
        #expect(streamed.count == 6)
        #expect(streamed.last?.pulseCount == 12_345)
        var alone = DetectionBlock()
        var scratch = SimulationTally(pulses: 0, classes: 3)
        sim.fill(&alone, index: 3, totalPulses: pulses, tally: &scratch)
        #expect(alone == streamed[3])
        #expect(streamed.reduce(0) { $0 + $1.detections } == Int(one.detections))
    }

    @Test("records agree with Alice's on-demand records and with the ground-truth error column")
    func recordsAreConsistent() throws {
        var s = Scenario.gys(distanceKm: 0)
        s.eavesdropper = .interceptResend(fraction: 0.3)
        let sim = try QuantumChannelSimulator(scenario: s, seed: 9)
        var block = DetectionBlock()
        var tally = SimulationTally(pulses: 0, classes: 3)
        sim.fill(&block, index: 0, totalPulses: 1 << 20, tally: &tally)
        #expect(block.detections > 10_000)
        var errors = 0
        var lastPulse: UInt64? = nil
        for i in 0..<block.detections {
            let d = block.detection(i)
            #expect(d.alice == sim.aliceRecord(pulse: d.pulse))
            if let lastPulse { #expect(d.pulse > lastPulse) }
            lastPulse = d.pulse
            let isError = d.alice.basis == d.bob.basis && d.alice.bit != d.bob.bit
            #expect((block.siftedErrors[i] == 1) == isError)
            if isError { errors += 1 }
        }
        #expect(UInt64(errors) == tally.perClass.reduce(0) { $0 + $1.siftedErrors })
    }

    @Test("Alice's dense records follow the intensity and basis probabilities")
    func aliceFrequencies() throws {
        var s = Scenario.gys(distanceKm: 0)
        s.probabilityZ = 0.9
        let sim = try QuantumChannelSimulator(scenario: s, seed: 11)
        let n = 200_000
        let r = sim.aliceRecords(0..<UInt64(n))
        var classCounts = [UInt64](repeating: 0, count: 3), zCount: UInt64 = 0
        for i in 0..<n {
            classCounts[Int(r.classes[i])] += 1
            if r.bases[i] == 0 { zCount += 1 }
        }
        for k in 0..<3 { try expectConsistent(classCounts[k], of: UInt64(n), with: s.intensities[k].probability, "class \(k)") }
        try expectConsistent(zCount, of: UInt64(n), with: 0.9, "Z basis")
        try expectConsistent(UInt64(r.bits.nonzeroBitCount), of: UInt64(n), with: 0.5, "bit = 1")
    }
}
