import ArgumentParser
import Foundation
import QuantumChannel

/// `qkdspec bench`: speed measurements of the release build, like `openssl speed`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of qkdspec's components on this machine.",
        discussion: """
            Run these from a release build (swift build -c release); a debug build is many times \
            slower and says so. Each benchmark repeats its measurement, alternating with a baseline \
            timed in the same invocation, and reports min / median / max of both and the ratio of \
            the medians (measured / baseline): the ratio, not the absolute rate, is what carries \
            from one run or machine to another. JSON fields shared by every benchmark: unit, runs, \
            name, min, median, max, baseline {name, description, min, median, max, ratio_median}, \
            baselines (all, headline first), ratio_median.

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
            Simulates --pulses slots at --distance-km (GYS link, signal/decoy/vacuum) --repeat times \
            and reports min / median / max. Every detection's record (Alice's bit, basis and setting, \
            Bob's basis, bit and click pattern, and the error ground truth) is produced, bit-packed. \
            The baseline, timed after each run: a loop visiting every pulse slot (one Philox block \
            each, Alice's record only, one thread) over min(--pulses, 2^24) slots, which is what a simulator without \
            gap sampling pays at least; the ratio of the medians is the gain of gap sampling.
            """
    )

    @Option(help: "Fibre length in km.")
    var distanceKm = 50.0

    @Option(help: "Pulse slots per run, at least 1 (default: 1e10 at ≥ 25 km, 1e9 below).")
    var pulses: Count?

    @Option(help: "Worker threads.")
    var threads = 1

    @OptionGroup var options: BenchOptions

    func validate() throws {
        guard threads >= 1, threads <= 1024 else { throw ValidationError("--threads must lie in 1...1024") }
        if let p = pulses, p.value == 0 { throw ValidationError("--pulses must be at least 1: a rate over zero pulses is undefined") }
    }

    struct Details: Encodable {
        var distanceKm: Double
        var pulses: UInt64
        var threads: Int
        var detections: UInt64
        var pulsesPerSecond: Double
        var detectionsPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case pulses, threads, detections
            case distanceKm = "distance_km", pulsesPerSecond = "pulses_per_second"
            case detectionsPerSecond = "detections_per_second"
        }
    }

    func run() throws {
        warnIfDebug()
        let n = pulses?.value ?? (distanceKm >= 25 ? 10_000_000_000 : 1_000_000_000)
        let simulator = try QuantumChannelSimulator(scenario: .gys(distanceKm: distanceKm), seed: 1)
        var detections: UInt64 = 0
        // The warm-ups (page faults, lazy initialisation) run on a slice, not the whole count.
        let measured = BenchSubject(name: "gap_sampling", description: "the simulator, \(threads) thread(s), full records", work: Double(n),
                                    body: { detections = simulator.run(pulses: n, threads: threads).detections },
                                    warmUp: { _ = simulator.run(pulses: min(n, 1 << 24), threads: threads) })
        // Alice's dense records, one pulse at a time, on one thread; a new slice each run.
        let slice = min(n, 1 << 24)
        var next: UInt64 = 0, ones = 0  // `ones` is consumed below, so the optimiser cannot drop the work
        let baseline = BenchSubject(name: "every_pulse", description: "visiting every pulse slot (Alice's records, 1 thread)", work: Double(slice),
                                    body: {
                                        ones &+= simulator.aliceRecords(next * slice ..< (next + 1) * slice).bits.nonzeroBitCount
                                        next += 1
                                    },
                                    warmUp: { ones &+= simulator.aliceRecords(0 ..< min(slice, 1 << 16)).bits.nonzeroBitCount })
        let m = try alternateRuns(clock: options.clock, options.runs(default: 5), unit: "pulses/s", scale: 1, measured: measured, baselines: [baseline])
        if ones == 0 { FileHandle.standardError.write(Data("warning: baseline produced no records\n".utf8)) }
        let report = BenchReport(benchmark: "simulate", measurement: m, details: Details(
            distanceKm: distanceKm, pulses: n, threads: threads, detections: detections, pulsesPerSecond: m.measured.median,
            detectionsPerSecond: m.measured.median * Double(detections) / Double(n)))
        switch options.format {
        case .json: try printJSON(report)
        case .text:
            print(String(format: "simulate  %@ build  %.0f km  %d thread(s)  %.3e pulses/s (median)  %.3e detections/s",
                         buildConfiguration, distanceKm, threads, m.measured.median, report.details.detectionsPerSecond))
            for line in m.lines() { print(line) }
        }
    }
}
