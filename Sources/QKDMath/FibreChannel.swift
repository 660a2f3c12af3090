import Foundation

/// The parameters of a weak-coherent BB84 link over fibre, in the form of the decoy-state
/// literature (Gobby–Yuan–Shields; Lo–Ma–Chen 2005).
public struct FibreLink: Sendable, Equatable, Codable {
    /// Fibre attenuation α in dB/km.
    public var attenuationDbPerKm: Double
    /// Losses outside the fibre (connectors, Bob's optics), in dB.
    public var extraLossDb: Double
    /// Bob's detection efficiency η_Bob (including his optics).
    public var detectorEfficiency: Double
    /// Background yield Y₀: the probability of a click when no signal photon arrives.
    public var backgroundYield: Double
    /// Misalignment (optical) error e_det: the probability that a detected photon hits the wrong detector.
    public var misalignmentError: Double
    /// Error-correction inefficiency f (leakage f·h(E) per bit).
    public var errorCorrectionInefficiency: Double

    public init(
        attenuationDbPerKm: Double, extraLossDb: Double = 0, detectorEfficiency: Double,
        backgroundYield: Double, misalignmentError: Double, errorCorrectionInefficiency: Double
    ) {
        self.attenuationDbPerKm = attenuationDbPerKm
        self.extraLossDb = extraLossDb
        self.detectorEfficiency = detectorEfficiency
        self.backgroundYield = backgroundYield
        self.misalignmentError = misalignmentError
        self.errorCorrectionInefficiency = errorCorrectionInefficiency
    }

    /// The GYS experiment (Gobby, Yuan, Shields, APL 84, 3762, 2004) as used by
    /// Lo–Ma–Chen, PRL 94, 230504 (2005): α = 0.21 dB/km, η_Bob = 4.5 %, Y₀ = 1.7×10⁻⁶,
    /// e_det = 3.3 %, f = 1.22.
    public static let gys = FibreLink(
        attenuationDbPerKm: 0.21, extraLossDb: 0, detectorEfficiency: 0.045,
        backgroundYield: 1.7e-6, misalignmentError: 0.033, errorCorrectionInefficiency: 1.22)

    /// Overall transmittance η = η_Bob · 10^(−(αL + extra)/10) at `distanceKm`.
    public func transmittance(distanceKm: Double) throws(QKDMathError) -> Double {
        guard distanceKm >= 0, distanceKm.isFinite else {
            throw .invalidParameter(name: "distance_km", value: distanceKm, expected: "a finite distance ≥ 0")
        }
        try validate()
        return detectorEfficiency * pow(10, -(attenuationDbPerKm * distanceKm + extraLossDb) / 10)
    }

    /// Checks every field is in its domain.
    public func validate() throws(QKDMathError) {
        guard attenuationDbPerKm >= 0, attenuationDbPerKm.isFinite else {
            throw .invalidParameter(name: "attenuation_db_per_km", value: attenuationDbPerKm, expected: "≥ 0")
        }
        guard extraLossDb >= 0, extraLossDb.isFinite else {
            throw .invalidParameter(name: "extra_loss_db", value: extraLossDb, expected: "≥ 0")
        }
        try requireProbability(detectorEfficiency, "detector_efficiency")
        try requireProbability(backgroundYield, "background_yield")
        try requireProbability(misalignmentError, "misalignment_error")
        guard errorCorrectionInefficiency >= 1, errorCorrectionInefficiency.isFinite else {
            throw .invalidParameter(
                name: "f", value: errorCorrectionInefficiency, expected: "an error-correction inefficiency ≥ 1")
        }
    }
}
