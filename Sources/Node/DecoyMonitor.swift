import Foundation
import QKDMath

/// Bob's decoy-state check against photon-number splitting. From the sifted detections of every
/// intensity class so far and the pulses sent, it bounds the single-photon yield from below
/// (vacuum + weak decoy, Ma–Qi–Zhao–Lo 2005) and asks whether the single photons among the signal
/// detections can still carry a key: f₁·(1 − h(E/f₁)) − f·h(E) > 0, where f₁ = Q₁ᴸ/Q_μ is the
/// single-photon share of the signal detections, E the sampled QBER (all errors charged to single
/// photons) and f = 1.1 the reconciliation inefficiency (GLLP 2004). A photon-number-splitting
/// eavesdropper who blocks single photons drives Q₁ᴸ to zero and the check fails.
///
/// The reference stack uses the check to abort; its key length stays the TLGR bound over the
/// whole frame (docs/postprocessing.md says what that leaves out).
struct DecoyMonitor {
    /// Mean photon numbers per intensity class: signal, weak decoy, vacuum.
    var intensities: [Double]
    /// How often each class is sent.
    var probabilities: [Double]
    /// Probability of the Z basis (both parties): a detection is sifted with p_Z² + p_X².
    var probabilityZ: Double
    private(set) var pulses = 0
    private(set) var sifted = [0, 0, 0]

    init(intensities: [Double] = [0.48, 0.1, 0], probabilities: [Double] = [0.7, 0.2, 0.1], probabilityZ: Double = 0.5) {
        self.intensities = intensities
        self.probabilities = probabilities
        self.probabilityZ = probabilityZ
    }

    mutating func record(pulses n: Int, siftedPerClass counts: [Int]) {
        pulses += n
        for (k, c) in counts.enumerated() where k < sifted.count { sifted[k] += c }
    }

    /// Per-class gains Q_k (detections per pulse of class k), from the sifted counts.
    var gains: [Double] {
        let match = probabilityZ * probabilityZ + (1 - probabilityZ) * (1 - probabilityZ)
        return (0..<3).map { k in
            let sent = Double(pulses) * probabilities[k] * match
            return sent > 0 ? Double(sifted[k]) / sent : 0
        }
    }

    /// The single-photon share of the signal detections, from below; nil while there is no data.
    var singlePhotonShare: Double? {
        let q = gains
        guard q[0] > 0, q[1] > 0, intensities[0] > intensities[1] else { return nil }
        guard let estimate = try? VacuumWeakDecoyEstimate(
            signalIntensity: intensities[0], decoyIntensity: intensities[1], signalGain: min(1, q[0]), decoyGain: min(1, q[1]),
            decoyQBER: 0.5, vacuumYield: min(1, q[2])) else { return nil }
        return min(1, estimate.singlePhotonGainLower / q[0])
    }

    /// Whether the single photons can still give a key at sampled QBER `qber`.
    func singlePhotonsCarryKey(qber: Double) -> Bool {
        guard let f1 = singlePhotonShare, f1 > 0 else { return false }
        let e1 = min(0.5, qber / f1)
        let h1 = (try? binaryEntropy(e1)) ?? 1, hE = (try? binaryEntropy(min(0.5, qber))) ?? 1
        return f1 * (1 - h1) - 1.1 * hE > 0
    }
}
