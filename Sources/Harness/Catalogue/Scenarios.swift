import Foundation
import QuantumChannel

// The channels cases put a stack on.
extension Catalogue {
    /// A clean channel over `distanceKm` of fibre with the GYS devices.
    static func honest(_ distanceKm: Double = 25) -> Scenario { .gys(distanceKm: distanceKm) }

    /// 5 km of fibre with an eavesdropper.
    static func attacked(_ eve: Eavesdropper) -> Scenario {
        var s = Scenario.gys(distanceKm: 5)
        s.eavesdropper = eve
        return s
    }

    /// 5 km of fibre with noise injected so that the signal QBER is exactly `qber`: noise p flips
    /// Bob's bit, so e' = e(1 − p) + (1 − e)p, i.e. p = (e' − e)/(1 − 2e) for the channel's own e.
    static func channel(withQBER qber: Double, distanceKm: Double = 5) throws -> Scenario {
        var s = Scenario.gys(distanceKm: distanceKm)
        let own = try trueQBER(s)
        guard qber >= own, qber < 0.5 else {
            throw HarnessError("a QBER of \(qber) cannot be reached on this channel (its own is \(own))")
        }
        s.injectedNoise = (qber - own) / (1 - 2 * own)
        return s
    }

    /// Sifted signal bits one session of `blocks` blocks gives on `scenario`, by the oracle.
    static func expectedSiftedBits(_ scenario: Scenario, blocks: Int, blockPulses: Int) throws -> Double {
        let e = try ChannelExpectation(scenario: scenario)
        return scenario.intensities[0].probability * e.perClass[0].siftedGain * Double(blocks * blockPulses)
    }

    /// The blocks a session on `scenario` needs to give at least `frames` whole frames of the
    /// declared size, with room for the statistical spread (at least the target's own number).
    static func blocks(forFrames frames: Int, on scenario: Scenario, target: any SessionTarget) throws -> Int {
        let perBlock = try expectedSiftedBits(scenario, blocks: 1, blockPulses: target.blockPulses)
        guard perBlock > 0 else { return target.blocksPerSession }
        // One frame more than asked, and 3 % for the spread of the sifted count.
        let needed = Double((frames + 1) * target.declared.frameBits) * 1.03 / perBlock
        return max(target.blocksPerSession, Int(needed.rounded(.up)))
    }
}
