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
            Hashes a random --input-bits key with the verification hash (one 64-bit instance), \
            --repeat times, alternating with the baseline — the portable kernel (no carry-less \
            multiply instruction) — and reports min / median / max and the ratio of the medians.

            Example:
              qkdspec bench verify --format json
            """
    )

    @Option(help: "Key length in bits.")
    var inputBits = Count(10_000_000)

    @OptionGroup var options: BenchOptions

    func validate() throws {
        guard inputBits.value >= 64, inputBits.value <= 1 << 34 else { throw ValidationError("--input-bits must lie in 64 ... 2^34") }
    }

    struct Details: Encodable {
        var inputBits: Int
        var hardwareCarrylessMultiply: Bool

        enum CodingKeys: String, CodingKey {
            case inputBits = "input_bits", hardwareCarrylessMultiply = "hardware_carryless_multiply"
        }
    }

    func run() throws {
        warnIfDebug()
        let n = Int(inputBits.value)
        let key = benchKey(bits: n, stream: 3)
        let hashKey: UInt64 = 0x9E37_79B9_7F4A_7C15
        var sink: UInt64 = 0
        // The portable kernel's tag, computed once: both sides must give it on every run.
        qkd_clmul_force_portable(1)
        let expected = PolynomialHash.hash(key, hashKey: hashKey)
        qkd_clmul_force_portable(0)
        let measured = BenchSubject(name: "polynomial_hash", description: "GF(2^64) polynomial hash, carry-less multiply", work: Double(n)) {
            sink = PolynomialHash.hash(key, hashKey: hashKey)
            if sink != expected { throw UsageError("internal error: the fast and portable kernels disagree") }
        }
        let portable = BenchSubject(name: "portable", description: "the same hash, portable kernel (no carry-less multiply)", work: Double(n)) {
            qkd_clmul_force_portable(1)
            defer { qkd_clmul_force_portable(0) }
            sink = PolynomialHash.hash(key, hashKey: hashKey)
            if sink != expected { throw UsageError("internal error: the portable kernel changed its answer") }
        }
        let m = try alternateRuns(clock: options.clock, options.runs(default: 15), unit: "Gbit/s", scale: 1e9, measured: measured, baselines: [portable])
        let report = BenchReport(benchmark: "verify", measurement: m, details: Details(
            inputBits: n, hardwareCarrylessMultiply: ToeplitzHash.usesHardwareCarrylessMultiply))
        switch options.format {
        case .json: try printJSON(report)
        case .text:
            print("verify  \(buildConfiguration) build  \(n) bits")
            for line in m.lines() { print(line) }
        }
    }
}
