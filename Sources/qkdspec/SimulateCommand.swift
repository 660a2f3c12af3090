import ArgumentParser
import Foundation
import QKDMath
import QuantumChannel

/// `qkdspec simulate`: run the reference quantum-channel simulator and compare it with its oracle.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate decoy-state BB84 over fibre and compare the counts with the analytic oracle.",
        discussion: """
            Sends --pulses weak-coherent pulses (signal, decoy and vacuum settings) through the fibre into Bob's two detectors and counts detections, sifted bits and errors per setting. The same seed gives the same records on any machine and any number of threads.

            The report sets each measured value beside its analytic expectation; `qber_interval` is the 99.9 % Clopper–Pearson interval of the measured signal QBER, so on a correct simulator `expected_qber` lies inside it in 999 runs out of 1000.

            Examples:
              qkdspec simulate --distance-km 50 --pulses 100000000 --seed 7 --format json
              qkdspec simulate --distance-km 25 --eve intercept-resend:1 --pulses 1e8
              qkdspec simulate --distance-km 10 --eve pns --decoy 0.05
            """
    )

    @Option(help: "Fibre length in km.")
    var distanceKm = 50.0

    @Option(parsing: .unconditional, help: "Number of pulse slots, at least 1; accepts 1e9 (default: 1e8).", transform: Count.positive)
    var pulses = Count(100_000_000)

    @Option(help: "Seed of every random choice (default: a fresh one, printed in the report).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Signal mean photon number μ (the GYS value by default).", valueName: "μ"))
    var mu = ScenarioOptions.defaultMu

    /// Nil: one per core (the default is said in the help text, not printed as a number that
    /// depends on the machine that printed the help).
    @Option(help: "Worker threads (default: one per core).")
    var threads: Int?

    @Option(help: "Output format.")
    var format = OutputFormat.text

    @OptionGroup(title: "Scenario (GYS defaults)")
    var scenarioOptions: ScenarioOptions

    func validate() throws {
        guard pulses.value > 0 else { throw ValidationError("--pulses must be at least 1") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must lie in 1...1024") }
        guard mu > 0, mu <= 10 else { throw ValidationError("--mu must lie in (0, 10]") }
    }

    func run() throws {
        let scenario = try scenarioOptions.scenario(distanceKm: distanceKm, mu: mu)
        let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let simulator = try QuantumChannelSimulator(scenario: scenario, seed: seed)
        let progress = ProgressLine(label: "simulating", total: QuantumChannelSimulator.blockCount(pulses: pulses.value))
        var tally = SimulationTally(pulses: 0, classes: 0)
        let wall = secondsTaken { tally = simulator.run(pulses: pulses.value, threads: threads) { progress.update($0) } }
        progress.finish()
        let report = try SimulationReport(scenario: scenario, seed: seed, threads: threads, tally: tally, wallSeconds: wall)
        switch format {
        case .json: try printJSON(report)
        case .text: print(report.text)
        }
    }
}

/// The result of `qkdspec simulate`, measured beside expected.
struct SimulationReport: Encodable {
    struct PerIntensity: Encodable {
        var name: String
        var mu: Double
        var probability: Double
        var detections: UInt64
        var doubleClicks: UInt64
        var siftedBits: UInt64
        var siftedErrors: UInt64
        /// Detections over the expected number of pulses of this setting.
        var gain: Double
        var expectedGain: Double
        var qber: Double?
        var expectedQBER: Double

        enum CodingKeys: String, CodingKey {
            case name, mu, probability, detections, gain
            case doubleClicks = "double_clicks", siftedBits = "sifted_bits", siftedErrors = "sifted_errors"
            case expectedGain = "expected_gain", qber, expectedQBER = "expected_qber"
        }
    }

    var seed: UInt64
    var pulses: UInt64
    var detections: UInt64
    var siftedBits: UInt64
    var qber: Double?
    var qberInterval: [Double]?
    var expectedQBER: Double
    var gain: Double
    var expectedGain: Double
    var asymptoticKeyRate: Double
    var simulatedKeyRate: Double
    var idealKeyRate: Double
    var pulsesPerSecond: Double
    var wallSeconds: Double
    var threads: Int
    var intensities: [PerIntensity]
    var scenario: Scenario

    init(scenario: Scenario, seed: UInt64, threads: Int, tally: SimulationTally, wallSeconds: Double) throws {
        let x = try ChannelExpectation(scenario: scenario)
        let signal = tally.perClass[0]
        self.seed = seed
        pulses = tally.pulses
        detections = tally.detections
        siftedBits = signal.sifted
        if signal.sifted > 0 {
            qber = Double(signal.siftedErrors) / Double(signal.sifted)
            let ci = try ClopperPearson.interval(errors: Int(signal.siftedErrors), trials: Int(signal.sifted), alpha: 0.001)
            qberInterval = [ci.lowerBound, ci.upperBound]
        }
        expectedQBER = x.signalQBER
        gain = Double(tally.detections) / Double(tally.pulses)
        expectedGain = x.gain
        asymptoticKeyRate = try KeyRateEstimate.rate(scenario: scenario, gains: x.perClass.map(\.gain), qbers: x.perClass.map(\.qber))
        intensities = zip(scenario.intensities, zip(tally.perClass, x.perClass)).map { c, pair in
            let (t, e) = pair
            let expectedPulses = Double(tally.pulses) * c.probability
            return PerIntensity(
                name: c.name, mu: c.meanPhotonNumber, probability: c.probability, detections: t.detections,
                doubleClicks: t.doubleClicks, siftedBits: t.sifted, siftedErrors: t.siftedErrors,
                gain: expectedPulses > 0 ? Double(t.detections) / expectedPulses : 0, expectedGain: e.gain,
                qber: t.sifted > 0 ? Double(t.siftedErrors) / Double(t.sifted) : nil, expectedQBER: e.qber)
        }
        simulatedKeyRate = try KeyRateEstimate.rate(
            scenario: scenario, gains: intensities.map(\.gain), qbers: intensities.map { $0.qber ?? 0.5 })
        idealKeyRate = scenario.eavesdropper == .none
            ? try DecoyStateRate(link: scenario.fibreLink, siftingFactor: 0.5).decoyRate(
                distanceKm: scenario.distanceKm, mu: scenario.signal.meanPhotonNumber)
            : 0
        pulsesPerSecond = wallSeconds > 0 ? Double(tally.pulses) / wallSeconds : 0
        self.wallSeconds = wallSeconds
        self.threads = threads
        self.scenario = scenario
    }

    var text: String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.3f %%", $0 * 100) } ?? "n/a" }
        func sci(_ v: Double) -> String { String(format: "%.4g", v) }
        var lines = [
            "qkdspec simulate — seed \(seed), \(scenario.distanceKm) km, eve: \(scenario.eavesdropper)",
            "  pulses            \(pulses)  (\(sci(pulsesPerSecond)) pulses/s on \(threads) thread(s), \(String(format: "%.2f", wallSeconds)) s)",
            "  detections        \(detections)",
            "  gain              \(sci(gain))  expected \(sci(expectedGain))",
            "  sifted signal     \(siftedBits) bits",
            "  signal QBER       \(pct(qber))  expected \(pct(expectedQBER))"
                + (qberInterval.map { "  99.9 % interval [\(pct($0[0])), \(pct($0[1]))]" } ?? ""),
            "  key rate          \(sci(asymptoticKeyRate)) bits/signal pulse expected (decoy estimate), \(sci(simulatedKeyRate)) from the counts",
            "",
            "  setting     μ       detections   gain        expected    QBER       expected",
        ]
        for c in intensities {
            lines.append(
                "  " + c.name.padding(toLength: 9, withPad: " ", startingAt: 0)
                    + String(format: " %6.3f  %11llu   %-10.4g  %-10.4g  ", c.mu, c.detections, c.gain, c.expectedGain)
                    + pct(c.qber).padding(toLength: 10, withPad: " ", startingAt: 0) + " " + pct(c.expectedQBER))
        }
        return lines.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey {
        case seed, pulses, detections, qber, gain, threads, intensities, scenario
        case siftedBits = "sifted_bits", qberInterval = "qber_interval", expectedQBER = "expected_qber"
        case expectedGain = "expected_gain", asymptoticKeyRate = "asymptotic_key_rate"
        case simulatedKeyRate = "simulated_key_rate", idealKeyRate = "ideal_key_rate"
        case pulsesPerSecond = "pulses_per_second", wallSeconds = "wall_s"
    }
}
