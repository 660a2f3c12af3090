import ArgumentParser
import CCarryless
import Foundation
import PostProcessing
import QKDMath

/// `qkdspec bench pa`: Toeplitz-hashing throughput.
struct BenchPrivacyAmplification: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pa",
        abstract: "Privacy-amplification (Toeplitz hashing) throughput in Mbit/s of input, against libgf2x and the portable kernel.",
        discussion: """
            Hashes a random --input-bits key to --output-bits with a random Toeplitz seed, --repeat \
            times, alternating with the baselines, and reports min / median / max and the ratio of \
            the medians. Baselines timed in the same invocation:
              gf2x_mul   libgf2x's full product of two --input-bits polynomials (C),
                         when the library is installed (Debian: libgf2x-dev); loaded
                         at run time
              portable   the same Toeplitz hash with the portable kernel (no carry-less
                         multiply)

            Example:
              qkdspec bench pa --input-bits 1000000 --format json
            """
    )

    @Option(help: "Input (reconciled key) length in bits.")
    var inputBits = Count(1_000_000)

    @Option(help: "Output (final key) length in bits (default: half the input).")
    var outputBits: Count?

    @OptionGroup var options: BenchOptions

    func validate() throws {
        guard inputBits.value >= 1, inputBits.value <= 1 << 31 else { throw ValidationError("--input-bits must lie in 1 ... 2^31") }
        if let o = outputBits?.value, o < 1 || o > inputBits.value {
            throw ValidationError("--output-bits must lie in 1 ... --input-bits")
        }
    }

    struct Details: Encodable {
        var inputBits: Int
        var outputBits: Int
        var kernel: String
        var medianSeconds: Double
        var gf2xLibrary: String?

        enum CodingKeys: String, CodingKey {
            case kernel
            case inputBits = "input_bits", outputBits = "output_bits"
            case medianSeconds = "median_s", gf2xLibrary = "gf2x_library"
        }
    }

    func run() throws {
        warnIfDebug()
        let n = Int(inputBits.value), l = Int(outputBits?.value ?? max(1, inputBits.value / 2))
        let input = benchKey(bits: n, stream: 1)
        let seed = benchKey(bits: ToeplitzHash.seedBits(inputBits: n, outputBits: l), stream: 2)
        let expected = try ToeplitzHash.hash(input, seed: seed, outputBits: l, kernel: 0)
        var out = BitKey(count: 0)
        func check() throws {
            if out != expected { throw UsageError("internal error: the fast and portable kernels disagree") }
        }
        let measured = BenchSubject(
            name: "toeplitz", description: "Toeplitz hash, \(ToeplitzHash.kernelName) kernel (middle product)", work: Double(n)
        ) { out = try ToeplitzHash.hash(input, seed: seed, outputBits: l); try check() }
        var baselines = [BenchSubject]()
        let library = GF2XLibrary.load()
        if let gf2x = library {
            // Two n-bit polynomials (the input and the seed's first n bits), full 2n-bit product.
            let words = (n + 63) / 64
            let a = input.words.map { UInt($0) }, b = seed.words.prefix(words).map { UInt($0) }
            var c = [UInt](repeating: 0, count: 2 * words)
            baselines.append(BenchSubject(name: "gf2x_mul", description: "libgf2x full product of two \(n)-bit polynomials", work: Double(n)) {
                gf2x.multiply(&c, a, b)
            })
        } else {
            FileHandle.standardError.write(Data("note: libgf2x is not installed (Debian: libgf2x-dev); the portable kernel is the only baseline\n".utf8))
        }
        baselines.append(BenchSubject(name: "portable", description: "the same hash, portable kernel (no carry-less multiply)", work: Double(n)) {
            out = try ToeplitzHash.hash(input, seed: seed, outputBits: l, kernel: 0); try check()
        })
        let m = try alternateRuns(clock: options.clock, options.runs(default: 15), unit: "Mbit/s", scale: 1e6, measured: measured, baselines: baselines)
        let report = BenchReport(benchmark: "pa", measurement: m, details: Details(
            inputBits: n, outputBits: l, kernel: ToeplitzHash.kernelName, medianSeconds: Double(n) / 1e6 / m.measured.median,
            gf2xLibrary: library?.path))
        switch options.format {
        case .json: try printJSON(report)
        case .text:
            print(String(format: "pa  %@ build  %d → %d bits  %@ kernel  %.2f ms (median)", buildConfiguration, n, l,
                         ToeplitzHash.kernelName, report.details.medianSeconds * 1e3))
            for line in m.lines() { print(line) }
        }
    }
}

/// A reproducible pseudo-random key for benchmarks.
func benchKey(bits: Int, stream: UInt32) -> BitKey {
    let g = Philox4x32(seed: 0xBE_4C4B)
    var words = [UInt64]()
    words.reserveCapacity((bits + 63) / 64)
    var i: UInt64 = 0
    while words.count < (bits + 63) / 64 {
        let w = g.block(index: i, draw: 0, stream: stream)
        words.append(UInt64(w.0) << 32 | UInt64(w.1))
        words.append(UInt64(w.2) << 32 | UInt64(w.3))
        i += 1
    }
    return BitKey(words: Array(words.prefix((bits + 63) / 64)), count: bits)
}

/// Warns on standard error when a benchmark runs from a debug build.
func warnIfDebug() {
    if buildConfiguration == "debug" {
        FileHandle.standardError.write(Data("warning: this is a debug build; quote figures from `swift build -c release` only\n".utf8))
    }
}
