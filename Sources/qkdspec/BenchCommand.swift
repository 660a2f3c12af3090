import ArgumentParser
import Foundation
import QuantumChannel

/// `qkdspec bench`: speed measurements of the release build, like `openssl speed`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of qkdspec's components on this machine.",
        discussion: """
            Run these from a release build (swift build -c release); a debug build is many times
            slower and says so. Each benchmark repeats its measurement and reports the median.

            Examples:
              qkdspec bench simulate --format json
              qkdspec bench simulate --distance-km 0 --threads 2
            """,
        subcommands: [BenchSimulate.self, BenchCascade.self, BenchPrivacyAmplification.self, BenchVerify.self, BenchDecode.self]
    )
}

/// The build configuration, so a figure is never quoted from a debug build by mistake.
var buildConfiguration: String {
    #if DEBUG
    return "debug"
    #else
    return "release"
    #endif
}

/// Wall-clock seconds `body` takes (monotonic clock).
func secondsTaken(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Median of a non-empty sample.
func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

struct BenchSimulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Pulses per second of the quantum-channel simulator, with full detection records.",
        discussion: """
            Simulates --pulses slots at --distance-km (GYS link, signal/decoy/vacuum) --repeat times
            and reports the median rate. Every detection's record (Alice's bit, basis and setting,
            Bob's basis, bit and click pattern, and the error ground truth) is produced, bit-packed.
            """
    )

    @Option(help: "Fibre length in km.")
    var distanceKm = 50.0

    @Option(help: "Pulse slots per run (default: 1e10 at ≥ 25 km, 1e9 below).")
    var pulses: Count?

    @Option(help: "Worker threads.")
    var threads = 1

    @Option(name: .customLong("repeat"), help: "Runs; the median is reported.")
    var repeat_ = 5

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    func validate() throws {
        guard threads >= 1, threads <= 1024 else { throw ValidationError("--threads must lie in 1...1024") }
        guard repeat_ >= 1, repeat_ <= 1000 else { throw ValidationError("--repeat must lie in 1...1000") }
    }

    struct Result: Encodable {
        var benchmark = "simulate"
        var build: String
        var distanceKm: Double
        var pulses: UInt64
        var threads: Int
        var runs: Int
        var pulsesPerSecond: Double
        var pulsesPerSecondMin: Double
        var pulsesPerSecondMax: Double
        var detectionsPerSecond: Double
        var detections: UInt64
        /// The baseline measured in the same run: visiting every pulse slot (one Philox block
        /// each, Alice's record only), which is what a simulator without gap sampling pays at least.
        var baselineEveryPulsePerSecond: Double
        var speedupOverBaseline: Double

        enum CodingKeys: String, CodingKey {
            case benchmark, build, pulses, threads, runs, detections
            case distanceKm = "distance_km", pulsesPerSecond = "pulses_per_second"
            case pulsesPerSecondMin = "pulses_per_second_min", pulsesPerSecondMax = "pulses_per_second_max"
            case detectionsPerSecond = "detections_per_second"
            case baselineEveryPulsePerSecond = "baseline_every_pulse_per_second"
            case speedupOverBaseline = "speedup_over_baseline"
        }
    }

    func run() throws {
        if buildConfiguration == "debug" {
            FileHandle.standardError.write(Data("warning: this is a debug build; quote figures from `swift build -c release` only\n".utf8))
        }
        let n = pulses?.value ?? (distanceKm >= 25 ? 10_000_000_000 : 1_000_000_000)
        let simulator = try QuantumChannelSimulator(scenario: .gys(distanceKm: distanceKm), seed: 1)
        // One warm-up run on a slice, so page faults and lazy initialisation are not timed.
        _ = simulator.run(pulses: min(n, 1 << 24), threads: threads)
        var rates = [Double](), detections: UInt64 = 0
        for _ in 0..<repeat_ {
            var tally = SimulationTally(pulses: 0, classes: 0)
            let seconds = secondsTaken { tally = simulator.run(pulses: n, threads: threads) }
            rates.append(Double(n) / seconds)
            detections = tally.detections
        }
        let m = median(rates)
        // Baseline: Alice's dense records, one pulse at a time, on one thread.
        var baselineRates = [Double]()
        var ones = 0  // consumed below, so the optimiser cannot drop the work
        let slice: UInt64 = 1 << 24
        for r in 0..<repeat_ {
            let seconds = secondsTaken {
                ones &+= simulator.aliceRecords(UInt64(r) * slice ..< UInt64(r + 1) * slice).bits.nonzeroBitCount
            }
            baselineRates.append(Double(slice) / seconds)
        }
        let baseline = median(baselineRates)
        if ones == 0 { FileHandle.standardError.write(Data("warning: baseline produced no records\n".utf8)) }
        let result = Result(
            build: buildConfiguration, distanceKm: distanceKm, pulses: n, threads: threads, runs: repeat_,
            pulsesPerSecond: m, pulsesPerSecondMin: rates.min() ?? m, pulsesPerSecondMax: rates.max() ?? m,
            detectionsPerSecond: m * Double(detections) / Double(n), detections: detections,
            baselineEveryPulsePerSecond: baseline, speedupOverBaseline: m / baseline)
        switch format {
        case .json: try printJSON(result)
        case .text:
            print(String(format: "simulate  %@ build  %.0f km  %d thread(s)  %.3e pulses/s (median of %d; min %.3e, max %.3e)  %.3e detections/s",
                         buildConfiguration, distanceKm, threads, m, repeat_, rates.min() ?? m, rates.max() ?? m,
                         m * Double(detections) / Double(n)))
            print(String(format: "baseline  visiting every pulse (Alice's records, 1 thread): %.3e pulses/s; gap sampling is %.0f× faster",
                         baseline, m / baseline))
        }
    }
}
