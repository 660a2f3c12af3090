import Foundation
import Logging
import Node
import PostProcessing
import QKDMath
import QuantumChannel
import Wire

/// The reference stack inside the harness's own process: two reference node engines joined by an
/// in-memory control channel that the harness sits in the middle of. The fastest target — the
/// self-tests and the kill matrix run on it — but not the default: `qkdspec run` starts real node
/// processes on loopback (``ProcessTarget``). `bugs` switches bug knobs on, for self-validation.
public struct InProcessTarget: SessionTarget {
    public var bugs: Set<BugKnob>
    public var parameters = PostProcessingParameters()
    public var frameBits = 32_768
    public var blocksPerSession = 12
    public var blockPulses = 1 << 22
    /// The qkdspec executable, for the robustness probes (a node in its own process).
    public var executable: String?

    public init(bugs: Set<BugKnob> = []) { self.bugs = bugs }

    public var name: String {
        bugs.isEmpty ? "reference (in-process)" : "reference (in-process) with " + bugs.map(\.rawValue).sorted().joined(separator: ", ")
    }

    public var channel: ControlChannelKind { .reference }
    public var authenticationKey: BitKey? { ReferenceNodeCommand.authenticationKey }
    public var shimCommand: [String]? { executable.map { [$0, "shim"] } }

    public var declared: DeclaredParameters {
        var d = DeclaredParameters()
        d.qberThreshold = parameters.qberThreshold
        d.epsilonSecrecy = parameters.epsilonSecrecy
        d.epsilonCorrectness = parameters.epsilonCorrectness
        d.frameBits = frameBits
        return d
    }

    /// A probe of the reference node with this target's bug knobs, as its own process: the same
    /// Alice the default (process) target would start.
    public func probe() throws -> NodeProcessProbe? {
        guard let executable else { return nil }
        return try ProcessTarget(file: ReferenceNodeCommand(executable: executable, bugs: bugs).targetFile, executable: executable,
                                 workRoot: FileManager.default.temporaryDirectory.path).probe()
    }

    func configuration(_ role: Role) -> NodeConfiguration {
        NodeConfiguration(
            role: role, control: role == .alice ? .listen(HostPort(host: "127.0.0.1", port: 0)) : .connect(HostPort(host: "127.0.0.1", port: 0)),
            quantumLayer: HostPort(host: "127.0.0.1", port: 0), authenticationKey: ReferenceNodeCommand.authenticationKey,
            parameters: parameters, frameBits: frameBits, bugs: bugs, idleTimeout: .seconds(30))
    }

    public func run(_ plan: SessionPlan) async throws -> Session {
        try await runEngines(plan).session
    }

    /// A session with what only an in-process target can tell: both engines' own summaries and
    /// the errors that ended them (the node's tests look inside; the cases never do).
    public struct EngineSession: Sendable {
        public var session: Session
        public var alice: NodeSummary
        public var bob: NodeSummary
        public var aliceError: NodeError?
        public var bobError: NodeError?
        public var aliceKeys: [DeliveredKey] { session.aliceKeys }
        public var bobKeys: [DeliveredKey] { session.bobKeys }
    }

    public func runEngines(scenario: Scenario, seed: UInt64, fault: ChannelFault? = nil) async throws -> EngineSession {
        try await runEngines(SessionPlan(scenario: scenario, seed: seed, aliceFault: fault))
    }

    public func runEngines(_ plan: SessionPlan) async throws -> EngineSession {
        var logger = Logger(label: "qkdspec.harness") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        let alice = try NodeEngine(configuration: configuration(.alice), logger: logger)
        let bob = try NodeEngine(configuration: configuration(.bob), logger: logger)
        let (toBob, toBobIn) = AsyncStream<[UInt8]>.makeStream()
        let (toAlice, toAliceIn) = AsyncStream<[UInt8]>.makeStream()
        let wire = WireLedger()
        let bobFault = plan.bobFault, aliceFault = plan.aliceFault
        try await bob.connected { bytes in
            let index = wire.observe(from: .bob, bytes)
            for action in bobFault?(index, bytes) ?? [.send(bytes)] {
                switch action {
                case .send(let b): toAliceIn.yield(b)
                case .delay(let d): Thread.sleep(forTimeInterval: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                case .close: toAliceIn.finish()
                }
            }
        }
        try await alice.connected { bytes in
            let index = wire.observe(from: .alice, bytes)
            for action in aliceFault?(index, bytes) ?? [.send(bytes)] {
                switch action {
                case .send(let b): toBobIn.yield(b)
                // The engine's send is synchronous: a delay stalls Alice, as a slow link would.
                case .delay(let d): Thread.sleep(forTimeInterval: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                case .close: toBobIn.finish()
                }
            }
        }
        let simulators = try plan.simulators()
        var truth = SessionTruth()
        async let aliceRun: NodeError? = Self.pump(toAlice, into: alice, closing: toBobIn)
        async let bobRun: NodeError? = Self.pump(toBob, into: bob, closing: toAliceIn)
        do {
            for b in 0..<(plan.blocks ?? blocksPerSession) {
                let (a, bb) = SimulatedFeed.blocks(simulators[plan.phaseIndex(ofBlock: b)], block: UInt64(b), pulses: blockPulses)
                truth.record(alice: a, bob: bb)
                try await alice.receiveQuantumLayer(a)
                try await bob.receiveQuantumLayer(bb)
            }
            try await alice.receiveQuantumLayer(.endOfStream(after: UInt64(plan.blocks ?? blocksPerSession)))
            try await bob.receiveQuantumLayer(.endOfStream(after: UInt64(plan.blocks ?? blocksPerSession)))
        } catch {
            toBobIn.finish()
            toAliceIn.finish()
        }
        let (ae, be) = await (aliceRun, bobRun)
        var session = Session(plan: plan)
        session.truth = truth
        session.aliceKeys = await alice.depositLog.map { DeliveredKey(keyID: $0.keyID, key: $0.key) }
        session.bobKeys = await bob.depositLog.map { DeliveredKey(keyID: $0.keyID, key: $0.key) }
        session.wire = wire.snapshot()
        session.aliceFailure = ae.map { "\($0)" }
        session.bobFailure = be.map { "\($0)" }
        return EngineSession(session: session, alice: await alice.finalSummary(), bob: await bob.finalSummary(), aliceError: ae, bobError: be)
    }

    static func pump(_ stream: AsyncStream<[UInt8]>, into engine: NodeEngine, closing other: AsyncStream<[UInt8]>.Continuation) async -> NodeError? {
        defer { other.finish() }
        for await bytes in stream {
            do {
                if try await engine.receiveControl(bytes) { return nil }
            } catch {
                return error
            }
        }
        do { try await engine.controlClosed() } catch { return error }
        return nil
    }
}
