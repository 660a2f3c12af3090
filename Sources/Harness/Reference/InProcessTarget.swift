import Foundation
import Node
import PostProcessing
import QKDMath
import QuantumChannel
import Wire

/// The reference stack inside the harness's own process: two reference node engines joined by an
/// in-memory control channel that the harness sits in the middle of. The fastest target — the
/// self-tests and the kill matrix run on it — but not the default: `qkdspec run` starts real node
/// processes on loopback (``ProcessTarget``). `bugs` switches bug knobs on, for self-validation.
package struct InProcessTarget: SessionTarget {
    package var bugs: Set<BugKnob>
    package var parameters = PostProcessingParameters()
    package var frameBits = ReferenceDefaults.frameBits
    package var blocksPerSession = 12
    package var blockPulses = 1 << 22
    /// The qkdspec executable, for the robustness probes (a node in its own process).
    package var executable: String?

    package init(bugs: Set<BugKnob> = []) { self.bugs = bugs }

    package var name: String {
        bugs.isEmpty ? "reference (in-process)" : "reference (in-process) with " + bugs.map(\.rawValue).sorted().joined(separator: ", ")
    }

    package var channel: ControlChannelKind { .reference }
    package var authenticationKey: BitKey? { ReferenceNodeCommand.authenticationKey }
    package var shimCommand: [String]? { executable.map { [$0, "shim"] } }

    package var declared: DeclaredParameters { DeclaredParameters(reference: parameters, frameBits: frameBits) }

    /// A probe of the reference node with this target's bug knobs, as its own process: the same
    /// Alice the default (process) target would start.
    package func probe(_ node: Role) throws -> NodeProcessProbe? {
        guard let executable else { return nil }
        return try ProcessTarget(file: ReferenceNodeCommand(executable: executable, bugs: bugs).targetFile, executable: executable,
                                 workRoot: FileManager.default.temporaryDirectory.path).probe(node)
    }

    func configuration(_ role: Role) -> NodeConfiguration {
        NodeConfiguration(
            role: role, control: role == .alice ? .listen(HostPort(host: "127.0.0.1", port: 0)) : .connect(HostPort(host: "127.0.0.1", port: 0)),
            quantumLayer: HostPort(host: "127.0.0.1", port: 0), authenticationKey: ReferenceNodeCommand.authenticationKey,
            parameters: parameters, frameBits: frameBits, bugs: bugs, idleTimeout: .seconds(15))
    }

    /// One session of the two engines (``EnginePair``) as `plan` says, observed by the harness's
    /// wire ledger, its faults applied to each direction.
    package func run(_ plan: SessionPlan) async throws -> Session {
        let wire = WireLedger()
        let pair = EnginePair(alice: configuration(.alice), bob: configuration(.bob))
        let simulators = try plan.simulators()
        let blocks = plan.blocks ?? blocksPerSession, blockPulses = blockPulses
        let truth = TruthRecorder()
        let (aliceFault, bobFault) = (plan.aliceFault, plan.bobFault)
        let outcome = try await pair.run(intercept: { from, _, bytes in
            let index = wire.observe(from: from, bytes)
            guard let fault = from == .alice ? aliceFault : bobFault else { return [.send(bytes)] }
            return fault(index, bytes).map { action -> EnginePair.Action in
                switch action {
                case .send(let b): return .send(b)
                case .delay(let d): return .delay(d)
                case .close: return .close
                }
            }
        }, feed: { alice, bob in
            for b in 0..<blocks {
                let (a, bb) = SimulatedFeed.blocks(simulators[plan.phaseIndex(ofBlock: b)], block: UInt64(b), pulses: blockPulses)
                truth.record(alice: a, bob: bb)
                try await alice.receiveQuantumLayer(a)
                try await bob.receiveQuantumLayer(bb)
            }
            try await alice.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
            try await bob.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
        })
        var session = Session(plan: plan)
        session.truth = truth.value
        session.aliceKeys = outcome.alice.keys.map { DeliveredKey(keyID: $0.keyID, key: $0.key) }
        session.bobKeys = outcome.bob.keys.map { DeliveredKey(keyID: $0.keyID, key: $0.key) }
        session.wire = wire.snapshot()
        session.aliceFailure = outcome.alice.error.map { "\($0)" }
        session.bobFailure = outcome.bob.error.map { "\($0)" }
        return session
    }
}

/// The ground truth gathered by the feed (which runs as its own task).
final class TruthRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var truth = SessionTruth()
    func record(alice: QuantumLayerBlock, bob: QuantumLayerBlock) { lock.withLock { truth.record(alice: alice, bob: bob) } }
    var value: SessionTruth { lock.withLock { truth } }
}
