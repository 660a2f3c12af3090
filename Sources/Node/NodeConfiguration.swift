import Foundation
import PostProcessing
import Wire

/// Everything a node needs to run.
package struct NodeConfiguration: Sendable {
    package enum ControlEndpoint: Sendable, Equatable {
        case listen(HostPort)
        case connect(HostPort)
    }

    package var role: Role
    package var name: String
    package var control: ControlEndpoint
    package var quantumLayer: HostPort
    /// The pre-shared authentication key (hash key and one-time pads).
    package var authenticationKey: BitKey
    package var parameters: PostProcessingParameters
    /// Sifted signal bits per post-processing frame.
    package var frameBits: Int
    package var bugs: Set<BugKnob>
    /// Where the delivered keys are written (hex, one JSON object per line) when the session ends.
    package var keyOutput: String?
    /// Give up on a silent peer after this long.
    package var idleTimeout: Duration
    /// Once a control-channel frame's first byte has arrived, the whole frame must arrive within
    /// this long (docs/protocol.md, "Limits"): a peer that trickles bytes to keep the idle timer
    /// from firing (slowloris) gets ERROR 1 and the session ends.
    package var frameTimeout: Duration = .seconds(10)
    /// Record the control channel to this pcap file (Ethernet/IPv4/TCP, as a tap would see it).
    package var capturePath: String?

    package init(role: Role, name: String? = nil, control: ControlEndpoint, quantumLayer: HostPort, authenticationKey: BitKey,
                parameters: PostProcessingParameters = PostProcessingParameters(), frameBits: Int = 1 << 17,
                bugs: Set<BugKnob> = [], keyOutput: String? = nil, idleTimeout: Duration = .seconds(30)) {
        self.role = role
        self.name = name ?? (role == .alice ? "alice" : "bob")
        self.control = control
        self.quantumLayer = quantumLayer
        self.authenticationKey = authenticationKey
        self.parameters = parameters
        self.frameBits = frameBits
        self.bugs = bugs
        self.keyOutput = keyOutput
        self.idleTimeout = idleTimeout
        capturePath = nil
    }

    /// Reads a pre-shared authentication key: hex text (whitespace ignored) or raw bytes
    /// (``AuthenticationKeyPool/loadKey(path:)``).
    package static func loadAuthenticationKey(path: String) throws(NodeError) -> BitKey {
        do { return try AuthenticationKeyPool.loadKey(path: path) } catch { throw .configuration(error.description) }
    }
}
