import Foundation
import Node
import PostProcessing
import Wire

/// The reference stack as a target file: two `qkdspec node` processes on loopback, Bob connecting
/// through the harness's proxy. `qkdspec run` with no `--target` runs this, so a bare run tests
/// real processes over real sockets; examples/targets/reference.json is the same as a file.
package struct ReferenceNodeCommand: Sendable {
    package var executable: String
    package var bugs: Set<BugKnob>
    package var frameBits = ReferenceDefaults.frameBits
    /// What the target declares and what its nodes are told, from this one value: both nodes get
    /// every declared parameter on their command line, none is left to a node's defaults.
    package var parameters = PostProcessingParameters()
    /// Seconds of silence from the peer before a node gives up (`--idle-timeout`).
    package var idleTimeoutSeconds = 20
    /// The nodes' `--log-level`.
    package var logLevel = "error"

    package init(executable: String, bugs: Set<BugKnob> = []) {
        self.executable = executable
        self.bugs = bugs
    }

    /// The pre-shared authentication key the reference target's nodes use: the one the harness
    /// writes for every session (``DefaultAuthenticationKey``).
    package static var authenticationKey: BitKey { DefaultAuthenticationKey.key }

    /// The declared parameters as `qkdspec node` options.
    var parameterArguments: [String] {
        ["--frame-bits", String(frameBits), "--qber-threshold", "\(parameters.qberThreshold)",
         "--sample-fraction", "\(parameters.sampleFraction)", "--epsilon-secrecy", "\(parameters.epsilonSecrecy)",
         "--epsilon-correctness", "\(parameters.epsilonCorrectness)"]
    }

    var bugArguments: [String] { bugs.map(\.rawValue).sorted().flatMap { ["--bug", $0] } }

    package var name: String {
        bugs.isEmpty ? "reference" : "reference with " + bugs.map(\.rawValue).sorted().joined(separator: ", ")
    }

    /// The target file of the reference stack.
    package var targetFile: TargetFile {
        let common = ["--auth-key", "{auth_key}"] + parameterArguments + ["--idle-timeout", String(idleTimeoutSeconds), "--log-level", logLevel]
        var declared = DeclaredParameters(reference: parameters, frameBits: frameBits)
        declared.features = ["cascade", "wegman-carter", "toeplitz", Catalogue.referenceCascadeSchedule]
        var file = TargetFile(
            name: name, controlProtocol: .reference,
            alice: .init(command: [executable, "node", "--role", "alice", "--control-listen", "127.0.0.1:{alice_control_port}",
                                   "--qli-listen", "127.0.0.1:{alice_qli_port}", "--key-output", "{alice_keys}"] + common + bugArguments,
                         control: "127.0.0.1:{alice_control_port}", qli: "127.0.0.1:{alice_qli_port}", keyOutput: "{alice_keys}"),
            bob: .init(command: [executable, "node", "--role", "bob", "--control-connect", "127.0.0.1:{proxy_port}",
                                 "--qli-listen", "127.0.0.1:{bob_qli_port}", "--key-output", "{bob_keys}"] + common + bugArguments,
                       control: nil, qli: "127.0.0.1:{bob_qli_port}", keyOutput: "{bob_keys}"),
            declared: declared)
        file.shim = .init(command: [executable, "shim"])
        // Swift's crash backtracer keeps a crashing node alive while it symbolicates (seconds on a
        // loaded machine), so a crash could be judged a hang: the reference nodes die at once.
        file.alice.environment = ["SWIFT_BACKTRACE": "enable=no"]
        file.bob.environment = ["SWIFT_BACKTRACE": "enable=no"]
        return file
    }
}
