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
            Each frame is a random --frame-bits key; Bob's copy has exactly round(n·QBER) errors at
            random positions (as in the published studies). Both parties run in this process and
            exchange their messages as values. Reported per variant:
              efficiency        disclosed parity bits / (n·h(QBER)), median over frames (1 = Shannon limit)
              frame_error_rate  frames whose reconciled key still differs from Alice's
              messages_per_frame  median number of messages (2 per round trip)
              throughput_mbps   frame bits reconciled per second of wall time, one thread
            Published anchors at 1 / 2 / 5 % QBER, 10 000-bit frames: original 1.143 / 1.159 / 1.185;
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

    @Option(help: "Seed of the frames and the permutations.")
    var seed: UInt64 = 1

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    func validate() throws {
        guard qber > 0, qber < 0.5 else { throw ValidationError("--qber must lie in (0, 0.5)") }
        guard frameBits >= 16, frameBits <= CascadeInitiator.maximumFrameBits else {
            throw ValidationError("--frame-bits must lie in 16 ... \(CascadeInitiator.maximumFrameBits)")
        }
        guard frames >= 1, frames <= 10_000_000 else { throw ValidationError("--frames must lie in 1 ... 10^7") }
        for v in variants.split(separator: ",") where CascadeVariant(rawValue: String(v)) == nil {
            throw ValidationError("unknown variant '\(v)'; known: \(CascadeVariant.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    struct VariantResult: Encodable {
        var variant: String
        var efficiency: Double
        var efficiencyMean: Double
        var frameErrorRate: Double
        var messagesPerFrame: Double
        var throughputMbps: Double
        var disclosedBitsPerFrame: Double

        enum CodingKeys: String, CodingKey {
            case variant, efficiency
            case efficiencyMean = "efficiency_mean", frameErrorRate = "frame_error_rate"
            case messagesPerFrame = "messages_per_frame", throughputMbps = "throughput_mbps"
            case disclosedBitsPerFrame = "disclosed_bits_per_frame"
        }
    }

    struct Result: Encodable {
        var benchmark = "cascade"
        var build: String
        var qber: Double
        var frameBits: Int
        var frames: Int
        var errorsPerFrame: Int
        var variants: [VariantResult]

        enum CodingKeys: String, CodingKey {
            case benchmark, build, qber, frames, variants
            case frameBits = "frame_bits", errorsPerFrame = "errors_per_frame"
        }
    }

    func run() throws {
        warnIfDebug()
        let n = frameBits
        let errors = Int((Double(n) * qber).rounded())
        let shannon = Double(n) * (try binaryEntropy(Double(errors) / Double(n)))
        var results = [VariantResult]()
        let progress = ProgressLine(label: "cascade", total: UInt64(frames * variants.split(separator: ",").count))
        var done: UInt64 = 0
        for name in variants.split(separator: ",") {
            guard let variant = CascadeVariant(rawValue: String(name)) else { continue }
            let permutations = CascadePermutations(frameBits: n, passes: variant.passes, seed: seed)
            var efficiencies = [Double](), messages = [Double](), failures = 0, disclosed = 0
            var seconds = 0.0
            for frame in 0..<frames {
                let (alice, bob) = Self.frame(bits: n, errors: errors, seed: seed, index: UInt64(frame))
                var reconciled: CascadeOutcome?
                seconds += try secondsTaken {
                    reconciled = try Cascade.reconcile(alice: alice, bob: bob, variant: variant, estimatedQBER: qber, permutations: permutations)
                }
                guard let outcome = reconciled else { continue }
                if outcome.reconciledKey != alice { failures += 1 }
                efficiencies.append(Double(outcome.disclosedParityBits) / shannon)
                messages.append(Double(outcome.messages))
                disclosed += outcome.disclosedParityBits
                done += 1
                progress.update(done)
            }
            results.append(VariantResult(
                variant: variant.rawValue, efficiency: median(efficiencies),
                efficiencyMean: efficiencies.reduce(0, +) / Double(frames), frameErrorRate: Double(failures) / Double(frames),
                messagesPerFrame: median(messages), throughputMbps: Double(n * frames) / seconds / 1e6,
                disclosedBitsPerFrame: Double(disclosed) / Double(frames)))
        }
        progress.finish()
        let result = Result(build: buildConfiguration, qber: qber, frameBits: n, frames: frames, errorsPerFrame: errors, variants: results)
        switch format {
        case .json: try printJSON(result)
        case .text:
            print("cascade  \(buildConfiguration) build  QBER \(qber)  \(n)-bit frames × \(frames)  (\(errors) errors per frame)")
            print("  variant    efficiency  mean      FER        messages  Mbit/s")
            for r in results {
                print("  " + r.variant.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + String(format: "  %.4f      %.4f    %.2e   %5.0f     %.1f", r.efficiency, r.efficiencyMean,
                               r.frameErrorRate, r.messagesPerFrame, r.throughputMbps))
            }
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
