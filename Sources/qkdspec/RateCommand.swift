import ArgumentParser
import Foundation
import QKDMath
import QuantumChannel
import Reports

/// `qkdspec rate`: the oracle's asymptotic key rate against distance.
struct RateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate",
        abstract: "Print the decoy-state key rate per distance (Lo–Ma–Chen 2005) and plot it.",
        discussion: """
            For each distance, the asymptotic secret key rate of decoy-state BB84 (infinitely many decoys) in bits per pulse, at the μ given by --mu or, without --mu, at the μ that maximises the rate at that distance. The link defaults to GYS: α = 0.21 dB/km, η_Bob = 4.5 %, Y₀ = 1.7e-6, e_det = 3.3 %, f = 1.22.

            --plot draws the decoy rate and the GLLP rate without decoys as curves over the whole range, and, at each listed distance, a point from the simulator: the rate a decoy-state protocol extracts from simulated counts (vacuum + weak decoy estimate).

            Examples:
              qkdspec rate --distance-km 0,50,100,140 --mu 0.48 --format json
              qkdspec rate --distance-km 0,40,80,120 --plot rate.svg --simulate-pulses 1e9
            """
    )

    @Option(help: "Distances in km, comma-separated.")
    var distanceKm = NumberList([0, 25, 50, 75, 100, 125, 140])

    @Option(help: "Output format.")
    var format = OutputFormat.text

    @Option(help: "Write an SVG plot of key rate against distance to this file.")
    var plot: String?

    @Option(help: "Pulses simulated per listed distance for the plot's simulated points (0: no points).")
    var simulatePulses = Count(1_000_000_000)

    @Option(help: "Seed of the simulated points.")
    var seed: UInt64 = 1

    /// A fixed signal intensity, when the user gave one; nil: the optimal μ at each distance.
    @Option(help: ArgumentHelp("Signal mean photon number μ, the same at every distance (default: at each distance the μ that maximises the key rate).", valueName: "μ"))
    var mu: Double?

    @OptionGroup(title: "Link and source (GYS defaults)")
    var scenarioOptions: ScenarioOptions

    func validate() throws {
        guard distanceKm.values.allSatisfy({ $0 >= 0 && $0 <= 1000 }) else {
            throw ValidationError("--distance-km values must lie in [0, 1000]")
        }
        if let mu, !(mu > 0 && mu <= 10) { throw ValidationError("--mu must lie in (0, 10]") }
    }

    struct Row: Encodable {
        var distanceKm: Double
        var keyRate: Double
        var mu: Double
        var gllpKeyRate: Double
        var gllpMu: Double
        var simulatedKeyRate: Double?

        enum CodingKeys: String, CodingKey {
            case distanceKm = "distance_km", keyRate = "key_rate", mu
            case gllpKeyRate = "gllp_key_rate", gllpMu = "gllp_mu", simulatedKeyRate = "simulated_key_rate"
        }
    }

    func run() throws {
        let link = try scenarioOptions.scenario(distanceKm: 0, mu: mu ?? ScenarioOptions.defaultMu).fibreLink
        let oracle = DecoyStateRate(link: link)
        func decoy(_ d: Double) throws -> (mu: Double, rate: Double) {
            if let mu { return (mu, try oracle.decoyRate(distanceKm: d, mu: mu)) }
            return try oracle.optimalMu(distanceKm: d)
        }
        func gllp(_ d: Double) throws -> (mu: Double, rate: Double) {
            if let mu { return (mu, try oracle.gllpRateWithoutDecoys(distanceKm: d, mu: mu)) }
            return try oracle.optimalMu(distanceKm: d, gllp: true)
        }

        var rows = [Row]()
        for d in distanceKm.values {
            let r = try decoy(d), g = try gllp(d)
            rows.append(Row(distanceKm: d, keyRate: r.rate, mu: r.mu, gllpKeyRate: g.rate, gllpMu: g.mu))
        }

        if let plot {
            if simulatePulses.value > 0 {
                let progress = ProgressLine(label: "simulating points", total: UInt64(rows.count))
                for i in rows.indices {
                    var options = scenarioOptions
                    if options.decoy >= rows[i].mu { options.decoy = rows[i].mu / 4 }
                    let scenario = try options.scenario(distanceKm: rows[i].distanceKm, mu: rows[i].mu)
                    let sim = try QuantumChannelSimulator(scenario: scenario, seed: seed &+ UInt64(i))
                    let tally = sim.run(pulses: simulatePulses.value, threads: ProcessInfo.processInfo.activeProcessorCount)
                    let gains = zip(scenario.intensities, tally.perClass).map {
                        Double($1.detections) / (Double(tally.pulses) * $0.probability)
                    }
                    let qbers = tally.perClass.map { $0.sifted > 0 ? Double($0.siftedErrors) / Double($0.sifted) : 0.5 }
                    // Per signal pulse, like the curve.
                    rows[i].simulatedKeyRate = try KeyRateEstimate.rate(scenario: scenario, gains: gains, qbers: qbers)
                    progress.update(UInt64(i + 1))
                }
                progress.finish()
            }
            try writePlot(rows: rows, link: link, to: plot, decoy: decoy, gllp: gllp)
        }

        switch format {
        case .json: try printJSON(rows)
        case .text:
            print("distance_km  mu      key_rate     gllp_key_rate" + (plot != nil && simulatePulses.value > 0 ? "  simulated" : ""))
            for r in rows {
                var line = String(format: "%11.1f  %.4f  %.4e   %.4e", r.distanceKm, r.mu, r.keyRate, r.gllpKeyRate)
                if let s = r.simulatedKeyRate { line += String(format: "     %.4e", s) }
                print(line)
            }
            if let plot { print("plot written to \(plot)") }
        }
    }

    private func writePlot(
        rows: [Row], link: FibreLink, to path: String, decoy: (Double) throws -> (mu: Double, rate: Double),
        gllp: (Double) throws -> (mu: Double, rate: Double)
    ) throws {
        let oracle = DecoyStateRate(link: link)
        let reach = try oracle.maximumDistanceKm(mu: mu)
        let end = max(reach * 1.05, rows.map(\.distanceKm).max() ?? 0, 10)
        var decoyCurve = [(x: Double, y: Double)](), gllpCurve = [(x: Double, y: Double)]()
        for i in 0...200 {
            let d = end * Double(i) / 200
            decoyCurve.append((d, try decoy(d).rate))
            gllpCurve.append((d, try gllp(d).rate))
        }
        let muText = mu.map { "μ = \($0)" } ?? "optimal μ"
        let chart = SVGChart(
            title: "Decoy-state BB84 key rate (\(muText), α = \(link.attenuationDbPerKm) dB/km, η_Bob = \(link.detectorEfficiency))",
            xLabel: "Fibre length (km)", yLabel: "Secret key rate (bits per pulse)", logarithmicY: true,
            series: [
                ChartSeries(name: "decoy state (Lo–Ma–Chen)", points: decoyCurve, style: .line, color: "#1f63b4"),
                ChartSeries(name: "GLLP, no decoys", points: gllpCurve, style: .dashedLine, color: "#c8302c"),
                ChartSeries(
                    name: "simulated (vacuum + weak decoy)",
                    points: rows.compactMap { r in r.simulatedKeyRate.map { (r.distanceKm, $0) } }, style: .points,
                    color: "#2b9a3a"),
            ])
        do {
            try chart.render().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw UsageError("cannot write the plot to \(path): \(error.localizedDescription)")
        }
    }
}
