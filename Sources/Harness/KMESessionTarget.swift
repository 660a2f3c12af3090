import Foundation
import KeyDelivery
import PostProcessing
import QuantumChannel
import Wire

/// A target that is a KME pair (ETSI GS QKD 014), optionally in front of a QKD stack: the
/// etsi014 cases reach the KMEs through `kme`; node sessions, where there are nodes, go to
/// `nodes`.
public struct KMESessionTarget: SessionTarget {
    public var kme: KMETarget
    /// The QKD stack feeding the KMEs, when the target has one.
    public var nodes: (any SessionTarget)?

    public init(kme: KMETarget, nodes: (any SessionTarget)? = nil) {
        self.kme = kme
        self.nodes = nodes
    }

    public var name: String { kme.name }
    public var declared: DeclaredParameters { nodes?.declared ?? DeclaredParameters() }
    public var channel: ControlChannelKind { nodes?.channel ?? .opaque }
    public var authenticationKey: BitKey? { nodes?.authenticationKey }
    public var shimCommand: [String]? { nodes?.shimCommand }
    public func probe(_ node: Role) throws -> NodeProcessProbe? { try nodes?.probe(node) }
    public func release(_ session: Session) { nodes?.release(session) }

    public var blockPulses: Int { nodes?.blockPulses ?? 1 << 22 }
    public var blocksPerSession: Int { nodes?.blocksPerSession ?? 12 }

    public func run(_ plan: SessionPlan) async throws -> Session {
        guard let nodes else { throw HarnessError("this target is a KME pair without nodes: it runs no QKD session") }
        return try await nodes.run(plan)
    }
}
