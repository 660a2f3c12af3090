import ArgumentParser
import Foundation
import Harness
import QKDMath
import QuantumChannel

/// The `qkdspec` command: a conformance and fuzzing harness for QKD stacks.
struct QKDSpec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qkdspec",
        abstract: "Test QKD stacks against a reference BB84 simulator and the security properties they must keep.",
        discussion: """
            qkdspec simulates the quantum channel (decoy-state BB84 over fibre, with loss, dark counts, misalignment and eavesdroppers) and uses it as the oracle that a stack under test is judged against.

            Examples:
              qkdspec run
              qkdspec run --reference-bug skip-verification --json report.json
              qkdspec fuzz --duration 60s --sarif fuzz.sarif
              qkdspec simulate --distance-km 50 --pulses 1e8 --seed 7
              qkdspec simulate --distance-km 10 --eve intercept-resend:0.5 --format json
              qkdspec rate --distance-km 0,50,100,140 --mu 0.48 --format json
              qkdspec rate --distance-km 0,25,50,75,100 --plot rate.svg
              qkdspec vectors verify vectors
              qkdspec bench simulate --format json
              qkdspec capture inspect captures/recording-clean.pcap --messages
              qkdspec capture check captures/recording-clean.pcap --format json
              qkdspec replay captures/recording-clean.pcap
              qkdspec run --profile etsi014

            Exit codes: 0 success, 1 conformance failure, 2 usage or configuration error, 3 the harness could not run, 130 interrupted.
            """,
        version: QKDSpecVersion.current,
        subcommands: [RunCommand.self, FuzzCommand.self, ListCommand.self, MergeCommand.self, ShimCommand.self, SimulateCommand.self, RateCommand.self, NodeCommand.self, DemoCommand.self, VectorsCommand.self, BenchCommand.self, PKICommand.self, KMECommand.self, CaptureCommand.self, ReplayCommand.self]
    )
}

/// The entry point: maps argument errors to exit code 2, as documented (ArgumentParser's own
/// default would be 64).
@main
enum Entry {
    static func main() async {
        do {
            var command = try QKDSpec.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UsageError {
            exitWithError(error.description, code: ExitStatus.usage)
        } catch let error as ScenarioError {
            exitWithError(error.description, code: ExitStatus.usage)
        } catch let error as QKDMathError {
            exitWithError(error.description, code: ExitStatus.usage)
        } catch {
            let code = QKDSpec.exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((QKDSpec.fullMessage(for: error) + "\n").utf8))
                exit(ExitStatus.usage)
            }
            QKDSpec.exit(withError: error)
        }
    }
}

/// The project's exit codes, defined once in Harness (`RunReport.exitCode` uses them too).
typealias ExitStatus = Harness.ExitStatus

enum QKDSpecVersion {
    static let current = "0.1.0"
}
