import Foundation
import QKDMath

/// The asymptotic secret key rate that a decoy-state protocol would extract from a set of
/// observations (per-class gains and sifted QBERs), in bits per signal pulse.
///
/// With a weak decoy (0 < ν < μ) it uses the vacuum + weak decoy bounds of Ma, Qi, Zhao, Lo
/// (2005), with Y₀ from the vacuum class when there is one; without a decoy, GLLP. This is the
/// estimate an honest stack can reach: an eavesdropper who changes the statistics (PNS) is
/// caught by it, where the ideal Lo–Ma–Chen formula would not see her.
public enum KeyRateEstimate {
    public static func rate(scenario: Scenario, gains: [Double], qbers: [Double]) throws(QKDMathError) -> Double {
        let signal = scenario.signal
        let mu = signal.meanPhotonNumber
        let q = scenario.probabilityZ * scenario.probabilityZ + (1 - scenario.probabilityZ) * (1 - scenario.probabilityZ)
        let f = scenario.errorCorrectionInefficiency
        let qMu = gains[0], eMu = min(0.5, qbers[0])
        guard qMu > 0 else { return 0 }
        let vacuum = scenario.intensities.indices.first { scenario.intensities[$0].meanPhotonNumber == 0 }
        let y0 = vacuum.map { min(1, gains[$0]) } ?? scenario.detector.backgroundYield
        let decoy = scenario.intensities.indices.dropFirst().filter {
            let nu = scenario.intensities[$0].meanPhotonNumber
            return nu > 0 && nu < mu
        }.min { scenario.intensities[$0].meanPhotonNumber < scenario.intensities[$1].meanPhotonNumber }
        if let decoy {
            let est = try VacuumWeakDecoyEstimate(
                signalIntensity: mu, decoyIntensity: scenario.intensities[decoy].meanPhotonNumber, signalGain: min(1, qMu),
                decoyGain: min(1, gains[decoy]), decoyQBER: min(1, max(0, qbers[decoy])), vacuumYield: y0)
            return try DecoyStateRate.rate(
                siftingFactor: q, gain: min(1, qMu), qber: eMu, f: f, singlePhotonGain: est.singlePhotonGainLower,
                singlePhotonError: est.singlePhotonErrorUpper)
        }
        // GLLP: every multi-photon pulse is Eve's.
        let delta = (1 - exp(-mu) * (1 + mu)) / qMu
        guard delta < 1 else { return 0 }
        return try DecoyStateRate.rate(
            siftingFactor: q, gain: min(1, qMu), qber: eMu, f: f, singlePhotonGain: qMu * (1 - delta),
            singlePhotonError: min(0.5, eMu / (1 - delta)))
    }
}
