import Foundation
import PostProcessing
import QuantumChannel
import Wire

/// A QKD stack the cases run against: it runs sessions on simulated photons, with the harness in
/// the middle of its control channel.
package protocol SessionTarget: Sendable {
    /// How reports name the target.
    var name: String { get }
    /// What the stack says of itself; cases judge it against these.
    var declared: DeclaredParameters { get }
    /// Whether the control channel speaks the reference protocol (the harness decodes it), or the
    /// vendor's own (bring-your-own-protocol: relayed as opaque bytes).
    var channel: ControlChannelKind { get }
    /// An opaque protocol's declared message framing (docs/targets.md), if any.
    var framing: MessageFraming? { get }
    /// Runs one session as `plan` says: its channel per block, its seed, its faults.
    func run(_ plan: SessionPlan) async throws -> Session
    /// Slots per quantum-layer block, and blocks per session unless a plan says otherwise.
    var blockPulses: Int { get }
    var blocksPerSession: Int { get }
    /// Starts one node alone for a robustness probe, or nil if the target does not start that
    /// node (a node the harness does not start cannot be probed on its own).
    func probe(_ node: Role) throws -> NodeProcessProbe?
    /// The pre-shared authentication key, when the harness knows it: a fault can then
    /// re-authenticate a frame it altered, to reach the checks behind authentication.
    var authenticationKey: BitKey? { get }
    /// The command of the stack's shim (known-answer vectors), or nil if it has none.
    var shimCommand: [String]? { get }
    /// Frees what a session left behind (its directory, capture and logs) once its evidence, if
    /// any, is written.
    func release(_ session: Session)
}

extension SessionTarget {
    package func release(_ session: Session) {}
    package var framing: MessageFraming? { nil }

    /// Runs one session on `scenario` with `seed`; `fault` alters Alice's control frames (or, for
    /// an opaque channel, her byte stream in chunks) on their way to Bob.
    package func run(scenario: Scenario, seed: UInt64, fault: ChannelFault?) async throws -> Session {
        try await run(SessionPlan(scenario: scenario, seed: seed, aliceFault: fault))
    }
}

/// What the man in the middle does with one of Alice's frames (or chunks).
package enum FaultAction: Sendable {
    /// Pass these bytes on.
    case send([UInt8])
    /// Hold the channel for this long before what follows.
    case delay(Duration)
    /// Close the connection to Bob (after what was sent before).
    case close
}

/// A fault: given the index of Alice's frame (or chunk, for an opaque channel) and its bytes,
/// what to do. `[.send(bytes)]` leaves it alone.
package typealias ChannelFault = @Sendable (_ index: Int, _ bytes: [UInt8]) -> [FaultAction]

/// What a session produced and what the harness saw on the wire.
package struct Session: Sendable {
    package var aliceKeys: [DeliveredKey] = []
    package var bobKeys: [DeliveredKey] = []
    /// The decoded control channel (empty for an opaque channel).
    package var wire = WireObservation()
    package var scenario: Scenario
    /// The channel per block, when it changed during the session (one phase otherwise).
    package var phases: [SessionPlan.Phase] = []
    /// The oracle's ground truth: both ends' sifted signal bits (nil when the target cannot tell).
    package var truth: SessionTruth?
    /// How each node process ended (nil for nodes in this process).
    package var aliceEnding: NodeEnding?
    package var bobEnding: NodeEnding?
    /// The most each node process held while it ran (process targets on Linux; nil otherwise).
    package var aliceResources: NodeResources?
    package var bobResources: NodeResources?
    /// What a node reported when it failed, if it says (logs' last error line, or the engine's error).
    package var aliceFailure: String?
    package var bobFailure: String?
    /// The control channel as the proxy relayed it, for evidence (nil when not recorded).
    package var capturePath: String?
    /// A node failed to bind a port the harness had chosen for it (taken in between); the
    /// process target then runs the session again on new ports.
    package var lostPortRace = false
    /// Key outputs the harness could not read, with the file and line (the stack's fault).
    package var malformedKeyOutput: [String] = []
    /// The session's directory (logs, key outputs, capture), while it is kept.
    package var directory: String?
    /// How the quantum-layer records were made, for the capture's replay sidecar: the plan's seed,
    /// the blocks fed and their slots, and whether the pre-shared key is the harness's reference key.
    package var seed: UInt64?
    package var blocksFed: Int?
    package var blockPulses: Int?
    package var referenceKey = false

    package init(scenario: Scenario) {
        self.scenario = scenario
        phases = [SessionPlan.Phase(fromBlock: 0, scenario: scenario)]
    }

    package init(plan: SessionPlan) {
        scenario = plan.scenario
        phases = plan.phases
        seed = plan.seed
    }

    /// Key IDs that only one end delivered.
    package var oneSidedKeys: Int {
        Set(aliceKeys.map(\.keyID)).symmetricDifference(Set(bobKeys.map(\.keyID))).count
    }

    /// Key IDs Bob delivered that Alice did not.
    package var keysOnlyAtBob: Int { Set(bobKeys.map(\.keyID)).subtracting(Set(aliceKeys.map(\.keyID))).count }

    /// Whether Bob's node reported a failure or ended with a non-zero status.
    package var bobFailed: Bool { bobFailure != nil || (bobEnding.map { $0 != .exited(0) } ?? false) }

    /// Alice's keys whose ID Bob does not hold with the same bits.
    package var mismatchedKeys: Int {
        let bobByID = Dictionary(bobKeys.map { ($0.keyID, $0.key) }, uniquingKeysWith: { a, _ in a })
        return aliceKeys.filter { bobByID[$0.keyID] != $0.key }.count
    }
}
