/// One intensity of Alice's weak-coherent source: its mean photon number and how often she
/// picks it.
public struct IntensityClass: Sendable, Equatable, Codable {
    /// A short name for reports: "signal", "decoy", "vacuum".
    public var name: String
    /// Mean photon number μ of the Poisson source at this setting.
    public var meanPhotonNumber: Double
    /// The probability that Alice chooses this setting for a pulse.
    public var probability: Double

    public init(name: String, meanPhotonNumber: Double, probability: Double) {
        self.name = name
        self.meanPhotonNumber = meanPhotonNumber
        self.probability = probability
    }

    enum CodingKeys: String, CodingKey {
        case name
        case meanPhotonNumber = "mu"
        case probability
    }
}
