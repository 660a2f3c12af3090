import ArgumentParser
import QKDMath
import QuantumChannel

/// The options that describe a simulated link. Defaults are the GYS parameter set
/// (Gobby–Yuan–Shields 2004, as used by Lo–Ma–Chen 2005). The signal intensity μ is each
/// command's own option, because its default differs: 0.48 for `simulate`, the optimal μ per
/// distance for `rate`.
struct ScenarioOptions: ParsableArguments {
    /// The default signal intensity (Lo–Ma–Chen's GYS example).
    static let defaultMu = 0.48

    @Option(help: "Decoy mean photon number ν (0 drops the decoy setting).")
    var decoy = 0.1

    @Option(help: "Probability of the signal setting.")
    var pSignal = 0.7

    @Option(help: "Probability of the decoy setting.")
    var pDecoy = 0.2

    @Option(help: "Probability of the vacuum setting (0 drops it).")
    var pVacuum = 0.1

    @Option(help: "Probability of the Z basis for Alice and Bob (0.5 = symmetric BB84).")
    var pZ = 0.5

    @Option(help: "Fibre attenuation in dB/km.")
    var attenuation = 0.21

    @Option(help: "Loss outside the fibre in dB.")
    var extraLossDb = 0.0

    @Option(help: "Bob's detection efficiency η_Bob.")
    var detectorEfficiency = 0.045

    @Option(help: "Background yield Y₀: click probability with no signal (both detectors).")
    var y0 = 1.7e-6

    @Option(help: "Misalignment error e_det.")
    var misalignment = 0.033

    @Option(help: "Afterpulse probability after each click (0 = none).")
    var afterpulse = 0.0

    @Option(help: "Extra noise: probability that Bob's recorded bit is flipped.")
    var noise = 0.0

    @Option(help: "Eavesdropper: none, intercept-resend:P (P = fraction of pulses), or pns.")
    var eve = "none"

    @Option(help: "Error-correction inefficiency f for the key-rate oracle.")
    var ecEfficiency = 1.22

    /// The scenario at `distanceKm` with signal intensity `mu`, validated.
    func scenario(distanceKm: Double, mu: Double = defaultMu) throws -> Scenario {
        var intensities = [IntensityClass(name: "signal", meanPhotonNumber: mu, probability: pSignal)]
        if decoy > 0 && pDecoy > 0 {
            intensities.append(IntensityClass(name: "decoy", meanPhotonNumber: decoy, probability: pDecoy))
        } else if pDecoy > 0 {
            throw UsageError("--decoy 0 drops the decoy setting: set --p-decoy 0 as well, so the probabilities still sum to 1")
        }
        if pVacuum > 0 {
            intensities.append(IntensityClass(name: "vacuum", meanPhotonNumber: 0, probability: pVacuum))
        }
        let s = Scenario(
            intensities: intensities, probabilityZ: pZ, distanceKm: distanceKm, attenuationDbPerKm: attenuation,
            extraLossDb: extraLossDb,
            detector: DetectorModel(efficiency: detectorEfficiency, backgroundYield: y0, misalignmentError: misalignment,
                                    afterpulseProbability: afterpulse),
            injectedNoise: noise, eavesdropper: try Eavesdropper(parsing: eve), errorCorrectionInefficiency: ecEfficiency)
        try s.validate()
        return s
    }
}
