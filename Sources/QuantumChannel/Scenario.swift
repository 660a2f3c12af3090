import Foundation
import QKDMath

/// Everything that defines one simulated link: Alice's source, the fibre, Bob's detectors,
/// extra noise and an optional eavesdropper.
public struct Scenario: Sendable, Equatable, Codable {
    /// Alice's intensity settings. The first is the signal, from which the key is drawn.
    public var intensities: [IntensityClass]
    /// The probability that Alice (and, independently, Bob) picks the Z basis; ½ is symmetric BB84.
    public var probabilityZ: Double
    public var distanceKm: Double
    public var attenuationDbPerKm: Double
    /// Loss outside the fibre (connectors, splices), in dB.
    public var extraLossDb: Double
    public var detector: DetectorModel
    /// Extra noise: the probability that Bob's recorded bit is flipped after detection.
    public var injectedNoise: Double
    public var eavesdropper: Eavesdropper
    /// Error-correction inefficiency f assumed by the key-rate oracle.
    public var errorCorrectionInefficiency: Double

    public init(
        intensities: [IntensityClass], probabilityZ: Double = 0.5, distanceKm: Double, attenuationDbPerKm: Double = 0.21,
        extraLossDb: Double = 0, detector: DetectorModel = .gys, injectedNoise: Double = 0,
        eavesdropper: Eavesdropper = .none, errorCorrectionInefficiency: Double = 1.22
    ) {
        self.intensities = intensities
        self.probabilityZ = probabilityZ
        self.distanceKm = distanceKm
        self.attenuationDbPerKm = attenuationDbPerKm
        self.extraLossDb = extraLossDb
        self.detector = detector
        self.injectedNoise = injectedNoise
        self.eavesdropper = eavesdropper
        self.errorCorrectionInefficiency = errorCorrectionInefficiency
    }

    /// The default intensities: signal μ = 0.48 (GYS), weak decoy ν = 0.1 and vacuum, chosen
    /// with probabilities 0.7 / 0.2 / 0.1.
    public static let defaultIntensities = [
        IntensityClass(name: "signal", meanPhotonNumber: 0.48, probability: 0.7),
        IntensityClass(name: "decoy", meanPhotonNumber: 0.1, probability: 0.2),
        IntensityClass(name: "vacuum", meanPhotonNumber: 0, probability: 0.1),
    ]

    /// The GYS link (Gobby–Yuan–Shields 2004 as used by Lo–Ma–Chen 2005) at `distanceKm`.
    public static func gys(distanceKm: Double) -> Scenario {
        Scenario(intensities: defaultIntensities, distanceKm: distanceKm)
    }

    /// Transmittance of the fibre and extra loss, without Bob's detector efficiency.
    public var channelTransmittance: Double {
        pow(10, -(attenuationDbPerKm * distanceKm + extraLossDb) / 10)
    }

    /// The same link in the form the analytic key-rate formulas take.
    public var fibreLink: FibreLink {
        FibreLink(
            attenuationDbPerKm: attenuationDbPerKm, extraLossDb: extraLossDb, detectorEfficiency: detector.efficiency,
            backgroundYield: detector.backgroundYield, misalignmentError: detector.misalignmentError,
            errorCorrectionInefficiency: errorCorrectionInefficiency)
    }

    /// The signal setting (the first intensity).
    public var signal: IntensityClass { intensities[0] }

    /// Checks every parameter, with a message that names it.
    public func validate() throws(ScenarioError) {
        guard (1...4).contains(intensities.count) else {
            throw ScenarioError("intensities", "between 1 and 4 intensity settings are supported, got \(intensities.count)")
        }
        for c in intensities {
            guard c.meanPhotonNumber >= 0, c.meanPhotonNumber <= 100, c.meanPhotonNumber.isFinite else {
                throw ScenarioError("mu", "mean photon number of '\(c.name)' must lie in [0, 100], got \(c.meanPhotonNumber)")
            }
            guard c.probability >= 0, c.probability <= 1 else {
                throw ScenarioError("probability", "probability of '\(c.name)' must lie in [0, 1], got \(c.probability)")
            }
        }
        let total = intensities.reduce(0) { $0 + $1.probability }
        guard abs(total - 1) < 1e-9 else {
            throw ScenarioError("probability", "intensity probabilities must sum to 1, they sum to \(total)")
        }
        guard signal.meanPhotonNumber > 0, signal.probability > 0 else {
            throw ScenarioError("mu", "the signal (first) intensity must have μ > 0 and a probability > 0")
        }
        try requireUnit(probabilityZ, "p-z")
        guard distanceKm >= 0, distanceKm <= 10_000, distanceKm.isFinite else {
            throw ScenarioError("distance-km", "must lie in [0, 10000], got \(distanceKm)")
        }
        guard attenuationDbPerKm >= 0, attenuationDbPerKm.isFinite else {
            throw ScenarioError("attenuation-db-per-km", "must be ≥ 0, got \(attenuationDbPerKm)")
        }
        guard extraLossDb >= 0, extraLossDb.isFinite else {
            throw ScenarioError("extra-loss-db", "must be ≥ 0, got \(extraLossDb)")
        }
        try requireUnit(detector.efficiency, "detector-efficiency")
        guard detector.backgroundYield >= 0, detector.backgroundYield < 1 else {
            throw ScenarioError("y0", "background yield must lie in [0, 1), got \(detector.backgroundYield)")
        }
        guard detector.misalignmentError >= 0, detector.misalignmentError <= 0.5 else {
            throw ScenarioError("misalignment", "must lie in [0, 0.5], got \(detector.misalignmentError)")
        }
        guard detector.afterpulseProbability >= 0, detector.afterpulseProbability < 1 else {
            throw ScenarioError("afterpulse", "must lie in [0, 1), got \(detector.afterpulseProbability)")
        }
        guard injectedNoise >= 0, injectedNoise <= 0.5 else {
            throw ScenarioError("noise", "must lie in [0, 0.5], got \(injectedNoise)")
        }
        if case .interceptResend(let p) = eavesdropper { try requireUnit(p, "eve") }
        guard errorCorrectionInefficiency >= 1, errorCorrectionInefficiency.isFinite else {
            throw ScenarioError("ec-efficiency", "error-correction inefficiency f must be ≥ 1, got \(errorCorrectionInefficiency)")
        }
    }

    private func requireUnit(_ v: Double, _ name: String) throws(ScenarioError) {
        guard v >= 0, v <= 1 else { throw ScenarioError(name, "must lie in [0, 1], got \(v)") }
    }

    enum CodingKeys: String, CodingKey {
        case intensities
        case probabilityZ = "p_z"
        case distanceKm = "distance_km"
        case attenuationDbPerKm = "attenuation_db_per_km"
        case extraLossDb = "extra_loss_db"
        case detector
        case injectedNoise = "injected_noise"
        case eavesdropper = "eve"
        case errorCorrectionInefficiency = "ec_efficiency"
    }
}
