import ArgumentParser
import Foundation
import PostProcessing
import QKDMath

/// `qkdspec bench cascade`: reconciliation efficiency, frame error rate and speed.
struct BenchCascade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cascade",
        abstract: "Cascade efficiency, frame error rate, messages and throughput per variant.",
        discussion: """
            Each frame is a random --frame-bits key; Bob's copy has exactly round(n·QBER) errors at \
            random positions (as in the published studies). Both parties run in this process and \
            exchange their messages as values. --repeat runs; in each, every variant reconciles \
            every frame, the --measured variant first and the original (the baseline) right after. \
            Reported per variant:
              efficiency          parity bits disclosed / n·h(QBER), median (1 = Shannon)
              frame_error_rate    frames whose key still differs from Alice's
              messages_per_frame  median messages per frame (2 per round trip)
              throughput          Mbit/s of frame bits, one thread: min / median / max
              disclosed_bits      parity bits disclosed, all frames (same every run)
            Published anchors at 1 / 2 / 5 % QBER, 10 000-bit frames: original 1.143 / 1.159 / 1.185; \
            yanetal 1.095 / 1.084 / 1.077 (Martinez-Mateo et al. 2015, reproduced by Rijsman).

            Example:
              qkdspec bench cascade --qber 0.02 --frame-bits 10000 --frames 1000 --format json
            """
    )

    @Option(help: "Quantum bit error rate of the frames (0 < QBER < 0.5).")
    var qber = 0.02

    @Option(help: "Frame length in bits.")
    var frameBits = 10_000

    @Option(help: "Number of frames per variant.")
    var frames = 1_000

    @Option(help: "Variants to run (comma-separated): \(CascadeVariant.allCases.map(\.rawValue).joined(separator: ", ")).")
    var variants = CascadeVariant.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "The variant measured against the original one (the baseline).")
    var measured = CascadeVariant.extended.rawValue

    @Option(help: "Seed of the frames and the permutations.")
    var seed: UInt64 = 1

    @OptionGroup var options: BenchOptions

    /// Frames are drawn once, before any timing: at most this many bits of them (two copies).
    static let maximumTotalBits = 400_000_000

    func validate() throws {
        guard qber > 0, qber < 0.5 else { throw ValidationError("--qber must lie in (0, 0.5)") }
        guard frameBits >= 16, frameBits <= CascadeInitiator.maximumFrameBits else {
            throw ValidationError("--frame-bits must lie in 16 ... \(CascadeInitiator.maximumFrameBits)")
        }
        guard frames >= 1, frames <= Self.maximumTotalBits / frameBits else {
            throw ValidationError("--frames must lie in 1 ... \(Self.maximumTotalBits / frameBits) (at most \(Self.maximumTotalBits) frame bits in all)")
        }
        for v in variants.split(separator: ",") + [Substring(measured)] where CascadeVariant(rawValue: String(v)) == nil {
            throw ValidationError("unknown variant '\(v)'; known: \(CascadeVariant.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    struct VariantResult: Encodable {
        var variant: String
        var efficiency: Double
        var efficiencyMean: Double
        var frameErrorRate: Double
        var messagesPerFrame: Double
        var disclosedBitsPerFrame: Double
        var disclosedBits: Int
        var throughput: BenchSeries
        var ratioToOriginal: Double

        enum CodingKeys: String, CodingKey {
            case variant, efficiency, throughput
            case efficiencyMean = "efficiency_mean", frameErrorRate = "frame_error_rate"
            case messagesPerFrame = "messages_per_frame", disclosedBitsPerFrame = "disclosed_bits_per_frame"
            case disclosedBits = "disclosed_bits", ratioToOriginal = "ratio_median_to_original"
        }
    }

    struct Details: Encodable {
        var qber: Double
        var frameBits: Int
        var frames: Int
        var errorsPerFrame: Int
        var variants: [VariantResult]

        enum CodingKeys: String, CodingKey {
            case qber, frames, variants
            case frameBits = "frame_bits", errorsPerFrame = "errors_per_frame"
        }
    }

    /// One variant's outcome over all frames; the same on every run (checked).
    struct Tally: Equatable {
        var efficiencies = [Double](), messages = [Double](), failures = 0, disclosed = 0
    }

    func run() throws {
        warnIfDebug()
        let n = frameBits
        let errors = Int((Double(n) * qber).rounded())
        let shannon = Double(n) * (try binaryEntropy(Double(errors) / Double(n)))
        let runs = options.runs(default: 3)
        // The measured variant first, the original (the baseline) right after it, then the rest.
        var order = [CascadeVariant(rawValue: measured) ?? .extended, .original]
        for name in variants.split(separator: ",") {
            if let v = CascadeVariant(rawValue: String(name)), !order.contains(v) { order.append(v) }
        }
        let pairs = (0..<frames).map { Self.frame(bits: n, errors: errors, seed: seed, index: UInt64($0)) }
        let permutations = order.map { CascadePermutations(frameBits: n, passes: $0.passes, seed: seed) }
        var tallies = [Tally?](repeating: nil, count: order.count)
        var rates = [[Double]](repeating: [], count: order.count)
        let progress = ProgressLine(label: "cascade", total: UInt64(frames * order.count * runs))
        var done: UInt64 = 0
        for _ in 0..<runs {
            for (i, variant) in order.enumerated() {
                var tally = Tally(), seconds = 0.0
                for (alice, bob) in pairs {
                    var reconciled: CascadeOutcome?
                    seconds += try options.clock.seconds {
                        reconciled = try Cascade.reconcile(alice: alice, bob: bob, variant: variant, estimatedQBER: qber, permutations: permutations[i])
                    }
                    guard let outcome = reconciled else { continue }
                    if outcome.reconciledKey != alice { tally.failures += 1 }
                    tally.efficiencies.append(Double(outcome.disclosedParityBits) / shannon)
                    tally.messages.append(Double(outcome.messages))
                    tally.disclosed += outcome.disclosedParityBits
                    done += 1
                    progress.update(done)
                }
                if let first = tallies[i], first != tally { throw UsageError("internal error: \(variant.rawValue) disclosed different bits on a second run") }
                tallies[i] = tally
                rates[i].append(Double(n * frames) / seconds / 1e6)
            }
        }
        progress.finish()
        let series = order.indices.map { i in
            BenchSeries(BenchSubject(name: order[i].rawValue, description: "Cascade \(order[i].rawValue), both parties in process, one thread",
                                     work: Double(n * frames), body: {}), rates: rates[i])
        }
        let originalMedian = series[1].median
        let results = order.indices.map { i in
            let t = tallies[i] ?? Tally()
            return VariantResult(
                variant: order[i].rawValue, efficiency: median(t.efficiencies),
                efficiencyMean: t.efficiencies.reduce(0, +) / Double(frames), frameErrorRate: Double(t.failures) / Double(frames),
                messagesPerFrame: median(t.messages), disclosedBitsPerFrame: Double(t.disclosed) / Double(frames),
                disclosedBits: t.disclosed, throughput: series[i], ratioToOriginal: series[i].median / originalMedian)
        }
        // With --measured original, the baseline is the same series: its ratio is 1 by definition.
        var m = BenchMeasurement(unit: "Mbit/s", runs: runs, measured: series[0], baselines: [series[1]])
        m.clock = options.clock
        let report = BenchReport(benchmark: "cascade", measurement: m, details: Details(
            qber: qber, frameBits: n, frames: frames, errorsPerFrame: errors, variants: results))
        switch options.format {
        case .json: try printJSON(report)
        case .text:
            print("cascade  \(buildConfiguration) build  QBER \(qber)  \(n)-bit frames × \(frames)  (\(errors) errors per frame)")
            print("  variant    efficiency  mean      FER        messages  disclosed bits  Mbit/s min / median / max   ÷ original")
            for r in results {
                print("  " + r.variant.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + String(format: "  %.4f      %.4f    %.2e   %5.0f     %-14d  %.1f / %.1f / %.1f         %.2f×", r.efficiency, r.efficiencyMean,
                               r.frameErrorRate, r.messagesPerFrame, r.disclosedBits, r.throughput.min, r.throughput.median,
                               r.throughput.max, r.ratioToOriginal))
            }
            for line in m.lines() { print(line) }
        }
    }

    /// A random frame and a copy with exactly `errors` bits flipped (Floyd's sampling), both a pure
    /// function of (seed, index).
    static func frame(bits n: Int, errors: Int, seed: UInt64, index: UInt64) -> (BitKey, BitKey) {
        var stream = PhiloxStream(seed: seed, index: index, stream: 0x4652_4D45)  // "FRME"
        var words = [UInt64]()
        words.reserveCapacity((n + 63) / 64)
        for _ in 0..<(n + 63) / 64 { words.append(UInt64(stream.nextWord()) << 32 | UInt64(stream.nextWord())) }
        let alice = BitKey(words: words, count: n)
        var bob = alice
        var chosen = Set<Int>()
        for j in (n - errors)..<n {
            let t = Int(stream.nextInt(below: UInt32(j + 1)))
            let pick = chosen.contains(t) ? j : t
            chosen.insert(pick)
            bob.flip(pick)
        }
        return (alice, bob)
    }
}
