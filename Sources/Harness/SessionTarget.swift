import Foundation
import PostProcessing
import QuantumChannel
import Wire

/// A QKD stack the cases run against: it runs sessions on simulated photons, with the harness in
/// the middle of its control channel.
public protocol SessionTarget: Sendable {
    /// How reports name the target.
    var name: String { get }
    /// What the stack says of itself; cases judge it against these.
    var declared: DeclaredParameters { get }
    /// Whether the control channel speaks the reference protocol (the harness decodes it), or the
    /// vendor's own (bring-your-own-protocol: relayed as opaque bytes).
    var channel: ControlChannelKind { get }
    /// Runs one session as `plan` says: its channel per block, its seed, its faults.
    func run(_ plan: SessionPlan) async throws -> Session
    /// Slots per quantum-layer block, and blocks per session unless a plan says otherwise.
    var blockPulses: Int { get }
    var blocksPerSession: Int { get }
    /// Starts Alice alone for a robustness probe, or nil if the target cannot.
    func probe() throws -> NodeProcessProbe?
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
    public func release(_ session: Session) {}

    /// Runs one session on `scenario` with `seed`; `fault` alters Alice's control frames (or, for
    /// an opaque channel, her byte stream in chunks) on their way to Bob.
    public func run(scenario: Scenario, seed: UInt64, fault: ChannelFault?) async throws -> Session {
        try await run(SessionPlan(scenario: scenario, seed: seed, aliceFault: fault))
    }
}

/// The control protocol a target's nodes speak.
public enum ControlChannelKind: String, Sendable, Codable {
    /// The documented reference protocol (docs/protocol.md): the proxy decodes every frame.
    case reference = "qkdspec-wire/1"
    /// The vendor's own protocol, relayed as bytes; checks that need to decode it are `unimplemented`.
    case opaque
}

/// What a stack declares of itself (a target file's `declared` object).
public struct DeclaredParameters: Sendable, Codable, Equatable {
    /// e.g. "bb84-decoy".
    public var protocolName = "bb84-decoy"
    public var qberThreshold = 0.05
    public var epsilonSecrecy = 1e-10
    public var epsilonCorrectness = 1e-12
    /// Sifted bits per post-processing frame.
    public var frameBits = 32_768
    /// Sifted bits of a frame disclosed for parameter estimation (k); nil: a tenth of the frame,
    /// as the reference does.
    public var declaredSampleBits: Int?
    /// Reconciliation inefficiency f the stack works with (leakage ≈ f·n·h(Q)).
    public var reconciliationEfficiency = 1.10
    public var features: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case protocolName = "protocol", qberThreshold = "qber_threshold", epsilonSecrecy = "epsilon_secrecy"
        case epsilonCorrectness = "epsilon_correctness", frameBits = "frame_bits"
        case reconciliationEfficiency = "reconciliation_efficiency", features
        case declaredSampleBits = "sample_bits"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DeclaredParameters()
        protocolName = try c.decodeIfPresent(String.self, forKey: .protocolName) ?? d.protocolName
        qberThreshold = try c.decodeIfPresent(Double.self, forKey: .qberThreshold) ?? d.qberThreshold
        epsilonSecrecy = try c.decodeIfPresent(Double.self, forKey: .epsilonSecrecy) ?? d.epsilonSecrecy
        epsilonCorrectness = try c.decodeIfPresent(Double.self, forKey: .epsilonCorrectness) ?? d.epsilonCorrectness
        frameBits = try c.decodeIfPresent(Int.self, forKey: .frameBits) ?? d.frameBits
        reconciliationEfficiency = try c.decodeIfPresent(Double.self, forKey: .reconciliationEfficiency) ?? d.reconciliationEfficiency
        features = try c.decodeIfPresent([String].self, forKey: .features) ?? []
        declaredSampleBits = try c.decodeIfPresent(Int.self, forKey: .declaredSampleBits)
    }

    /// The sample size k the cases judge against.
    public var sampleBits: Int { declaredSampleBits ?? max(1, Int((Double(frameBits) * 0.1).rounded())) }
}

/// What the man in the middle does with one of Alice's frames (or chunks).
public enum FaultAction: Sendable {
    /// Pass these bytes on.
    case send([UInt8])
    /// Hold the channel for this long before what follows.
    case delay(Duration)
    /// Close the connection to Bob (after what was sent before).
    case close
}

/// A fault: given the index of Alice's frame (or chunk, for an opaque channel) and its bytes,
/// what to do. `[.send(bytes)]` leaves it alone.
public typealias ChannelFault = @Sendable (_ index: Int, _ bytes: [UInt8]) -> [FaultAction]

/// A key one node delivered.
public struct DeliveredKey: Sendable {
    public var keyID: UUID
    public var key: BitKey

    public init(keyID: UUID, key: BitKey) {
        self.keyID = keyID
        self.key = key
    }
}

/// What a session produced and what the harness saw on the wire.
public struct Session: Sendable {
    public var aliceKeys: [DeliveredKey] = []
    public var bobKeys: [DeliveredKey] = []
    /// The decoded control channel (empty for an opaque channel).
    public var wire = WireObservation()
    public var scenario: Scenario
    /// The channel per block, when it changed during the session (one phase otherwise).
    public var phases: [SessionPlan.Phase] = []
    /// The oracle's ground truth: both ends' sifted signal bits (nil when the target cannot tell).
    public var truth: SessionTruth?
    /// How each node process ended (nil for nodes in this process).
    public var aliceEnding: NodeEnding?
    public var bobEnding: NodeEnding?
    /// The most each node process held while it ran (process targets on Linux; nil otherwise).
    public var aliceResources: NodeResources?
    public var bobResources: NodeResources?
    /// What a node reported when it failed, if it says (logs' last error line, or the engine's error).
    public var aliceFailure: String?
    public var bobFailure: String?
    /// The control channel as the proxy relayed it, for evidence (nil when not recorded).
    public var capturePath: String?
    /// A node failed to bind a port the harness had chosen for it (taken in between); the
    /// process target then runs the session again on new ports.
    public var lostPortRace = false
    /// Key outputs the harness could not read, with the file and line (the stack's fault).
    public var malformedKeyOutput: [String] = []
    /// The session's directory (logs, key outputs, capture), while it is kept.
    public var directory: String?

    public init(scenario: Scenario) {
        self.scenario = scenario
        phases = [SessionPlan.Phase(fromBlock: 0, scenario: scenario)]
    }

    public init(plan: SessionPlan) {
        scenario = plan.scenario
        phases = plan.phases
    }

    /// Key IDs that only one end delivered.
    public var oneSidedKeys: Int {
        Set(aliceKeys.map(\.keyID)).symmetricDifference(Set(bobKeys.map(\.keyID))).count
    }

    /// Key IDs Bob delivered that Alice did not.
    public var keysOnlyAtBob: Int { Set(bobKeys.map(\.keyID)).subtracting(Set(aliceKeys.map(\.keyID))).count }

    /// Whether Bob's node reported a failure or ended with a non-zero status.
    public var bobFailed: Bool { bobFailure != nil || (bobEnding.map { $0 != .exited(0) } ?? false) }

    /// Alice's keys whose ID Bob does not hold with the same bits.
    public var mismatchedKeys: Int {
        let bobByID = Dictionary(bobKeys.map { ($0.keyID, $0.key) }, uniquingKeysWith: { a, _ in a })
        return aliceKeys.filter { bobByID[$0.keyID] != $0.key }.count
    }
}
