import ArgumentParser
import CCarryless
import Foundation
import PostProcessing
import QKDMath

/// `qkdspec bench pa`: Toeplitz-hashing throughput.
struct BenchPrivacyAmplification: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pa",
        abstract: "Privacy-amplification (Toeplitz hashing) throughput in Mbit/s of input.",
        discussion: """
            Hashes a random --input-bits key to --output-bits with a random Toeplitz seed, --repeat
            times, and reports the median. The baseline in the same run is the portable kernel
            (no carry-less multiply instruction), the speed on a CPU without PCLMULQDQ.

            Example:
              qkdspec bench pa --input-bits 1000000 --format json
            """
    )

    @Option(help: "Input (reconciled key) length in bits.")
    var inputBits = Count(1_000_000)

    @Option(help: "Output (final key) length in bits (default: half the input).")
    var outputBits: Count?

    @Option(name: .customLong("repeat"), help: "Runs; the median is reported.")
    var repeatCount = 15

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    func validate() throws {
        guard inputBits.value >= 1, inputBits.value <= 1 << 31 else { throw ValidationError("--input-bits must lie in 1 ... 2^31") }
        if let o = outputBits?.value, o < 1 || o > inputBits.value {
            throw ValidationError("--output-bits must lie in 1 ... --input-bits")
        }
        guard repeatCount >= 1, repeatCount <= 1000 else { throw ValidationError("--repeat must lie in 1...1000") }
    }

    struct Result: Encodable {
        var benchmark = "pa"
        var build: String
        var inputBits: Int
        var outputBits: Int
        var runs: Int
        var hardwareCarrylessMultiply: Bool
        var throughputMbps: Double
        var medianSeconds: Double
        var portableThroughputMbps: Double

        enum CodingKeys: String, CodingKey {
            case benchmark, build, runs
            case inputBits = "input_bits", outputBits = "output_bits"
            case hardwareCarrylessMultiply = "hardware_carryless_multiply", throughputMbps = "throughput_mbps"
            case medianSeconds = "median_s", portableThroughputMbps = "portable_throughput_mbps"
        }
    }

    func run() throws {
        warnIfDebug()
        let n = Int(inputBits.value), l = Int(outputBits?.value ?? max(1, inputBits.value / 2))
        let input = benchKey(bits: n, stream: 1)
        let seed = benchKey(bits: ToeplitzHash.seedBits(inputBits: n, outputBits: l), stream: 2)
        func measure(runs: Int) throws -> Double {
            _ = try ToeplitzHash.hash(input, seed: seed, outputBits: l)  // warm-up
            var times = [Double]()
            for _ in 0..<runs {
                var out = BitKey(count: 0)
                times.append(try secondsTaken { out = try ToeplitzHash.hash(input, seed: seed, outputBits: l) })
                if out.count != l { throw UsageError("internal error: wrong output length") }
            }
            return median(times)
        }
        let fast = try measure(runs: repeatCount)
        qkd_clmul_force_portable(1)
        let portable = try measure(runs: max(1, repeatCount / 5))
        qkd_clmul_force_portable(0)
        let result = Result(
            build: buildConfiguration, inputBits: n, outputBits: l, runs: repeatCount,
            hardwareCarrylessMultiply: ToeplitzHash.usesHardwareCarrylessMultiply, throughputMbps: Double(n) / fast / 1e6,
            medianSeconds: fast, portableThroughputMbps: Double(n) / portable / 1e6)
        switch format {
        case .json: try printJSON(result)
        case .text:
            print(String(format: "pa  %@ build  %d → %d bits  %.1f Mbit/s of input (median of %d, %.2f ms)  portable kernel %.1f Mbit/s",
                         buildConfiguration, n, l, result.throughputMbps, repeatCount, fast * 1e3, result.portableThroughputMbps))
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
