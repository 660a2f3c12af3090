import ArgumentParser
import Foundation

/// The options every `qkdspec bench` command shares: how many runs and how to print.
struct BenchOptions: ParsableArguments {
    @Option(name: .customLong("repeat"), help: "Runs of the measured code, each followed by a run of each baseline (default: per benchmark).")
    var repeatCount: Int?

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    @Option(help: "Clock: wall (elapsed time) or cpu (this process's CPU time, for a machine shared with other jobs).")
    var clock = BenchClock.wall

    func validate() throws {
        if let r = repeatCount, r < 1 || r > 1000 { throw ValidationError("--repeat must lie in 1...1000") }
    }

    /// The number of runs: --repeat, or the benchmark's default.
    func runs(default value: Int) -> Int { repeatCount ?? value }
}

/// What a run's duration is. On a machine with more runnable jobs than cores, a long run is
/// preempted more often than a short one, so wall-clock ratios between subjects of different
/// lengths drift with the load; process CPU time counts only the work (for a multi-threaded
/// subject, the sum over its threads).
enum BenchClock: String, ExpressibleByArgument, CaseIterable, Encodable {
    case wall
    case cpu

    /// Seconds `body` takes on this clock.
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        switch self {
        case .wall: return try secondsTaken(body)
        case .cpu:
            func now() -> Double {
                var t = timespec()
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
                return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
            }
            let start = now()
            try body()
            return now() - start
        }
    }
}

/// One timed piece of code in a benchmark: `work` units (bits, bytes, pulses) per run.
struct BenchSubject {
    /// A short stable name, as it appears in the JSON (`baseline.name`).
    var name: String
    /// One line saying what is timed.
    var description: String
    var work: Double
    var body: () throws -> Void
    /// The untimed first run; by default `body` itself.
    var warmUp: (() throws -> Void)? = nil
}

/// Rates (work units per second, scaled to the benchmark's unit) of one subject over its runs.
struct BenchSeries: Encodable {
    var name: String
    var description: String
    var min: Double
    var median: Double
    var max: Double

    init(_ subject: BenchSubject, rates: [Double]) {
        name = subject.name
        description = subject.description
        min = rates.min() ?? 0
        median = rates.isEmpty ? 0 : medianOf(rates)
        max = rates.max() ?? 0
    }
}

/// Median of a non-empty sample (the free `median` is shadowed inside `BenchSeries`).
private func medianOf(_ values: [Double]) -> Double { median(values) }

/// A baseline's series and the measured code's median over the baseline's median.
struct BenchBaseline: Encodable {
    var series: BenchSeries
    var ratioMedian: Double

    enum CodingKeys: String, CodingKey { case ratioMedian = "ratio_median" }

    func encode(to encoder: any Encoder) throws {
        try series.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ratioMedian, forKey: .ratioMedian)
    }
}

/// The part of every bench result that is the same across commands: the measured code's
/// min / median / max, the baselines timed in the same invocation, and the ratios. Field names
/// (`runs`, `unit`, `min`, `median`, `max`, `baseline`, `baselines`, `ratio_median`) are shared by
/// all five commands; the first baseline is the headline one.
struct BenchMeasurement: Encodable {
    var clock = BenchClock.wall
    var unit: String
    var runs: Int
    var measured: BenchSeries
    var baselines: [BenchBaseline]

    var ratioMedian: Double { baselines.first?.ratioMedian ?? 0 }

    enum CodingKeys: String, CodingKey {
        case clock, unit, runs, name, description, min, median, max, baseline, baselines
        case ratioMedian = "ratio_median"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clock, forKey: .clock)
        try c.encode(unit, forKey: .unit)
        try c.encode(runs, forKey: .runs)
        try c.encode(measured.name, forKey: .name)
        try c.encode(measured.description, forKey: .description)
        try c.encode(measured.min, forKey: .min)
        try c.encode(measured.median, forKey: .median)
        try c.encode(measured.max, forKey: .max)
        if let first = baselines.first { try c.encode(first, forKey: .baseline) }
        try c.encode(baselines, forKey: .baselines)
        try c.encode(ratioMedian, forKey: .ratioMedian)
    }

    /// The text lines: the measured code, then each baseline with its ratio.
    func lines() -> [String] {
        func row(_ label: String, _ s: BenchSeries) -> String {
            String(format: "  %@ %@  min %.4g  median %.4g  max %.4g %@", label, s.name.padding(toLength: 22, withPad: " ", startingAt: 0),
                   s.min, s.median, s.max, unit)
        }
        var out = [row("measured", measured) + "  (\(runs) runs, \(clock.rawValue) clock) — \(measured.description)"]
        for b in baselines {
            out.append(row("baseline", b.series) + String(format: "  ratio %.2f×", b.ratioMedian) + " — \(b.series.description)")
        }
        return out
    }
}

/// A command's own fields after the shared measurement, in one flat JSON object.
struct BenchReport<Details: Encodable>: Encodable {
    var benchmark: String
    var measurement: BenchMeasurement
    var details: Details

    enum CodingKeys: String, CodingKey { case benchmark, build }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(benchmark, forKey: .benchmark)
        try c.encode(buildConfiguration, forKey: .build)
        try measurement.encode(to: encoder)
        try details.encode(to: encoder)
    }
}

/// Times `measured` and each baseline in turn, `runs` times (measured, baseline 1, baseline 2,
/// measured, …), after one untimed warm-up of each, so that a change in the machine's speed
/// during the invocation reaches both sides alike. Rates are work / seconds / `scale`.
func alternateRuns(clock: BenchClock, _ runs: Int, unit: String, scale: Double, measured: BenchSubject, baselines: [BenchSubject]) throws -> BenchMeasurement {
    try (measured.warmUp ?? measured.body)()
    for b in baselines { try (b.warmUp ?? b.body)() }
    var rates = [Double](), baselineRates = [[Double]](repeating: [], count: baselines.count)
    for _ in 0..<runs {
        rates.append(measured.work / (try clock.seconds(measured.body)) / scale)
        for (i, b) in baselines.enumerated() {
            baselineRates[i].append(b.work / (try clock.seconds(b.body)) / scale)
        }
    }
    var m = BenchMeasurement(unit: unit, runs: runs, measured: BenchSeries(measured, rates: rates),
                             baselines: zip(baselines, baselineRates).map { BenchSeries($0, rates: $1) })
    m.clock = clock
    return m
}

extension BenchMeasurement {
    /// The measurement of `measured` against `baselines`, ratios of the medians.
    init(unit: String, runs: Int, measured: BenchSeries, baselines: [BenchSeries]) {
        self.init(unit: unit, runs: runs, measured: measured, baselines: baselines.map {
            BenchBaseline(series: $0, ratioMedian: $0.median > 0 ? measured.median / $0.median : 0)
        })
    }
}
