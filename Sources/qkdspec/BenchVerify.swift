import ArgumentParser
import CCarryless
import Foundation
import PostProcessing

/// `qkdspec bench verify`: verification-hash throughput.
struct BenchVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verification hash (GF(2^64) polynomial hash) throughput in Gbit/s.",
        discussion: """
            Hashes a random --input-bits key with the verification hash (one 64-bit instance),
            --repeat times, and reports the median; the baseline in the same run is the portable
            kernel (no carry-less multiply instruction).

            Example:
              qkdspec bench verify --format json
            """
    )

    @Option(help: "Key length in bits.")
    var inputBits = Count(10_000_000)

    @Option(name: .customLong("repeat"), help: "Runs; the median is reported.")
    var repeatCount = 15

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    func validate() throws {
        guard inputBits.value >= 64, inputBits.value <= 1 << 34 else { throw ValidationError("--input-bits must lie in 64 ... 2^34") }
        guard repeatCount >= 1, repeatCount <= 1000 else { throw ValidationError("--repeat must lie in 1...1000") }
    }

    struct Result: Encodable {
        var benchmark = "verify"
        var build: String
        var inputBits: Int
        var runs: Int
        var hardwareCarrylessMultiply: Bool
        var throughputGbps: Double
        var throughputMbps: Double
        var portableThroughputGbps: Double

        enum CodingKeys: String, CodingKey {
            case benchmark, build, runs
            case inputBits = "input_bits", hardwareCarrylessMultiply = "hardware_carryless_multiply"
            case throughputGbps = "throughput_gbps", throughputMbps = "throughput_mbps"
            case portableThroughputGbps = "portable_throughput_gbps"
        }
    }

    func run() throws {
        warnIfDebug()
        let n = Int(inputBits.value)
        let key = benchKey(bits: n, stream: 3)
        func measure(runs: Int) -> Double {
            var sink: UInt64 = PolynomialHash.hash(key, hashKey: 0x9E37_79B9_7F4A_7C15)  // warm-up
            var times = [Double]()
            for r in 0..<runs {
                times.append(secondsTaken { sink ^= PolynomialHash.hash(key, hashKey: 0x9E37_79B9_7F4A_7C15 &+ UInt64(r)) })
            }
            if sink == 0x5EED { FileHandle.standardError.write(Data(" ".utf8)) }  // keeps the work observable
            return median(times)
        }
        let fast = measure(runs: repeatCount)
        qkd_clmul_force_portable(1)
        let portable = measure(runs: max(1, repeatCount / 5))
        qkd_clmul_force_portable(0)
        let result = Result(
            build: buildConfiguration, inputBits: n, runs: repeatCount,
            hardwareCarrylessMultiply: ToeplitzHash.usesHardwareCarrylessMultiply, throughputGbps: Double(n) / fast / 1e9,
            throughputMbps: Double(n) / fast / 1e6, portableThroughputGbps: Double(n) / portable / 1e9)
        switch format {
        case .json: try printJSON(result)
        case .text:
            print(String(format: "verify  %@ build  %d bits  %.2f Gbit/s (median of %d)  portable kernel %.2f Gbit/s",
                         buildConfiguration, n, result.throughputGbps, repeatCount, result.portableThroughputGbps))
        }
    }
}
