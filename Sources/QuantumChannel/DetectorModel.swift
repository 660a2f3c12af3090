/// Bob's pair of threshold single-photon detectors (one per bit value).
public struct DetectorModel: Sendable, Equatable, Codable {
    /// Detection efficiency η_Bob, including Bob's optics.
    public var efficiency: Double
    /// Background yield Y₀: the probability that at least one detector fires with no signal.
    /// Each detector's dark-count probability d solves (1 − d)² = 1 − Y₀.
    public var backgroundYield: Double
    /// Misalignment error e_det: the probability that a detected photon hits the wrong detector.
    public var misalignmentError: Double
    /// The probability that a click is followed, in the next pulse slot, by an afterpulse in the
    /// detector that produced Bob's bit. 0 switches afterpulsing off.
    public var afterpulseProbability: Double

    public init(efficiency: Double, backgroundYield: Double, misalignmentError: Double, afterpulseProbability: Double = 0) {
        self.efficiency = efficiency
        self.backgroundYield = backgroundYield
        self.misalignmentError = misalignmentError
        self.afterpulseProbability = afterpulseProbability
    }

    /// The GYS detectors: η_Bob = 4.5 %, Y₀ = 1.7×10⁻⁶, e_det = 3.3 %, no afterpulsing.
    public static let gys = DetectorModel(efficiency: 0.045, backgroundYield: 1.7e-6, misalignmentError: 0.033)

    /// Each detector's dark-count probability per gate.
    public var darkCountProbability: Double { 1 - (1 - backgroundYield).squareRoot() }

    enum CodingKeys: String, CodingKey {
        case efficiency
        case backgroundYield = "background_yield"
        case misalignmentError = "misalignment_error"
        case afterpulseProbability = "afterpulse_probability"
    }
}
