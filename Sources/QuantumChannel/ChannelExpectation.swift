import Foundation
import QKDMath

/// The analytic expectation of one intensity class: what the Monte-Carlo counts converge to.
public struct ClassExpectation: Sendable, Equatable {
    /// Probability that a pulse of this class gives a click (its gain Q_k).
    public var gain: Double
    /// Probability of a double click.
    public var doubleClickProbability: Double
    /// Probability of a sifted click (bases match and a detector fires).
    public var siftedGain: Double
    /// Probability of a sifted click whose bit is wrong.
    public var siftedErrorProbability: Double
    /// The sifted QBER E_k.
    public var qber: Double { siftedGain > 0 ? siftedErrorProbability / siftedGain : 0 }
}

/// The exact expectation of the simulator's model (not an approximation of it): the same
/// per-slot rules, averaged analytically over every random choice. Afterpulsing is the one part
/// that is approximate: it uses the stationary click probability and treats the afterpulse
/// detector's bit as independent of the next pulse (exact to first order in p_ap).
public struct ChannelExpectation: Sendable, Equatable {
    public var perClass: [ClassExpectation]
    public let scenario: Scenario

    public init(scenario: Scenario) throws(ScenarioError) {
        let simulator = try QuantumChannelSimulator(scenario: scenario, seed: 0)
        self.scenario = scenario
        let pZ = scenario.probabilityZ
        let noise = scenario.injectedNoise
        var interceptFraction = 0.0
        if case .interceptResend(let p) = scenario.eavesdropper { interceptFraction = p }

        // Each situation: (weight, sifted, aligned, arriving bit equals Alice's with this probability).
        struct Situation { var weight: Double; var sifted: Bool; var aligned: Bool; var sameBit: Double }
        var situations = [Situation]()
        for aliceZ in [true, false] {
            for bobZ in [true, false] {
                let w = (aliceZ ? pZ : 1 - pZ) * (bobZ ? pZ : 1 - pZ)
                let sifted = aliceZ == bobZ
                // No interception: the arriving state is Alice's.
                situations.append(Situation(weight: w * (1 - interceptFraction), sifted: sifted, aligned: sifted, sameBit: 1))
                guard interceptFraction > 0 else { continue }
                for eveZ in [true, false] {
                    // Eve's bit equals Alice's when her basis matches, else it is a fair coin.
                    situations.append(Situation(
                        weight: w * interceptFraction * 0.5, sifted: sifted, aligned: eveZ == bobZ,
                        sameBit: eveZ == aliceZ ? 1 : 0.5))
                }
            }
        }

        var normal = [ClassExpectation]()
        var singleSiftedErrors = [Double](), siftedSingles = [Double](), siftedWeights = [Double](), siftedBoth = [Double]()
        for k in scenario.intensities.indices {
            var e = ClassExpectation(gain: 0, doubleClickProbability: 0, siftedGain: 0, siftedErrorProbability: 0)
            var siftedWeight = 0.0, singleErrors = 0.0, singles = 0.0, both = 0.0
            for s in situations {
                let p = simulator.clickTable[2 * k + (s.aligned ? 1 : 0)]
                e.gain += s.weight * p.click
                e.doubleClickProbability += s.weight * p.both
                guard s.sifted else { continue }
                siftedWeight += s.weight
                e.siftedGain += s.weight * p.click
                // Bob's bit is the arriving bit on a reference-only click, its complement on an
                // other-only click and a fair coin on a double click.
                let wrongSingle = s.sameBit * p.otherOnly + (1 - s.sameBit) * p.referenceOnly
                singleErrors += s.weight * wrongSingle
                singles += s.weight * (p.referenceOnly + p.otherOnly)
                both += s.weight * p.both
                e.siftedErrorProbability += s.weight * (wrongSingle + 0.5 * p.both)
            }
            normal.append(e)
            singleSiftedErrors.append(singleErrors)
            siftedSingles.append(singles)
            siftedWeights.append(siftedWeight)
            siftedBoth.append(both)
        }

        // Afterpulsing: a slot carries an afterpulse with probability a = g·p_ap, where the
        // stationary click probability g solves g = q̄ + (1 − q̄)·g·p_ap.
        let pAp = scenario.detector.afterpulseProbability
        let meanClick = zip(scenario.intensities, normal).reduce(0) { $0 + $1.0.probability * $1.1.gain }
        let a = pAp > 0 ? pAp * meanClick / (1 - (1 - meanClick) * pAp) : 0

        perClass = []
        for k in normal.indices {
            let n = normal[k]
            var e = n
            if a > 0 {
                e.gain = 1 - (1 - n.gain) * (1 - a)
                e.doubleClickProbability = n.doubleClickProbability + a * 0.5 * (n.gain - n.doubleClickProbability)
                e.siftedGain = n.siftedGain + (siftedWeights[k] - n.siftedGain) * a
                // With an afterpulse in a random detector: alone, a coin; with a single click, the
                // same detector half the time (no change) and a double click otherwise.
                let withAfterpulse = (siftedWeights[k] - n.siftedGain) * 0.5 + 0.5 * singleSiftedErrors[k]
                    + 0.25 * siftedSingles[k] + 0.5 * siftedBoth[k]
                e.siftedErrorProbability = (1 - a) * n.siftedErrorProbability + a * withAfterpulse
            }
            // Injected noise flips Bob's recorded bit independently.
            e.siftedErrorProbability = e.siftedErrorProbability * (1 - noise) + (e.siftedGain - e.siftedErrorProbability) * noise
            perClass.append(e)
        }
    }

    /// The expected gain over all pulses: Σ_k p_k·Q_k.
    public var gain: Double { zip(scenario.intensities, perClass).reduce(0) { $0 + $1.0.probability * $1.1.gain } }

    /// The expected QBER of the sifted signal bits (the key bits).
    public var signalQBER: Double { perClass[0].qber }

    /// Expected sifted bits per pulse, over all classes.
    public var siftedPerPulse: Double { zip(scenario.intensities, perClass).reduce(0) { $0 + $1.0.probability * $1.1.siftedGain } }
}
