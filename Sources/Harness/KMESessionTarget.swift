import Foundation
import KeyDelivery
import PostProcessing
import QuantumChannel
import Wire

/// A target that is a KME pair (ETSI GS QKD 014), optionally in front of a QKD stack: the
/// etsi014 cases reach the KMEs through `kme`; node sessions, where there are nodes, go to
/// `nodes`.
package struct KMESessionTarget: SessionTarget {
    package var kme: KMETarget
    /// The QKD stack feeding the KMEs, when the target has one.
    package var nodes: (any SessionTarget)?

    package init(kme: KMETarget, nodes: (any SessionTarget)? = nil) {
        self.kme = kme
        self.nodes = nodes
    }

    package var name: String { kme.name }
    package var declared: DeclaredParameters { nodes?.declared ?? DeclaredParameters() }
    package var channel: ControlChannelKind { nodes?.channel ?? .opaque }
    package var authenticationKey: BitKey? { nodes?.authenticationKey }
    package var shimCommand: [String]? { nodes?.shimCommand }
    package func probe(_ node: Role) throws -> NodeProcessProbe? { try nodes?.probe(node) }
    package func release(_ session: Session) { nodes?.release(session) }

    package var blockPulses: Int { nodes?.blockPulses ?? 1 << 22 }
    package var blocksPerSession: Int { nodes?.blocksPerSession ?? 12 }

    package func run(_ plan: SessionPlan) async throws -> Session {
        guard let nodes else { throw HarnessError("this target is a KME pair without nodes: it runs no QKD session") }
        return try await nodes.run(plan)
    }
}
