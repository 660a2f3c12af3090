import PostProcessing
import Wire

/// Why a node stopped, in words an operator can act on.
package enum NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case configuration(String)
    case network(String)
    /// A control-channel frame the decoder refused.
    case wire(WireError)
    /// A quantum-layer block the decoder refused.
    case quantumLayer(WireError)
    case authentication(String)
    case protocolViolation(String)
    /// A frame whose sequence number is not the next one expected (a replay, a reorder, a drop).
    case outOfSequence(received: UInt64, expected: UInt64)
    /// A message this role does not accept at all.
    case unexpectedMessage(type: UInt8, role: Role)
    /// A Cascade request or reply that does not fit the frame's reconciliation.
    case cascadeMismatch(PostProcessingError)
    /// A decision of the peer this node checked and refused: the session ends with ABORT.
    case refusedPeerDecision(frame: UInt64, reason: AbortReason, message: String)
    case peerAborted(AbortReason, String)
    case peerError(ErrorCode, String)
    case timeout(String)
    /// A control-channel frame that did not complete within the frame timeout of its first byte.
    case frameIncomplete(pendingBytes: Int, limit: Duration)
    case postProcessing(PostProcessingError)

    package var description: String {
        switch self {
        case .configuration(let m): return "configuration: \(m)"
        case .network(let m): return "network: \(m)"
        case .wire(let e): return "malformed frame from the peer: \(e)"
        case .quantumLayer(let e): return "malformed block on the quantum-layer interface: \(e)"
        case .authentication(let m): return "authentication: \(m)"
        case .protocolViolation(let m): return "protocol violation: \(m)"
        case .outOfSequence(let received, let expected):
            return "protocol violation: replayed or out-of-order frame: sequence \(received), expected \(expected)"
        case .unexpectedMessage(let type, let role):
            return "protocol violation: unexpected message 0x\(String(type, radix: 16)) for \(role)"
        case .cascadeMismatch(let e): return "protocol violation: \(e.description)"
        case .refusedPeerDecision(let frame, let reason, let m): return "refused the peer's decision on frame \(frame) (\(reason)): \(m)"
        case .peerAborted(let r, let m): return "the peer aborted the session (\(r)): \(m)"
        case .peerError(let c, let m): return "the peer reported an error (\(c)): \(m)"
        case .timeout(let m): return "timeout: \(m)"
        case .frameIncomplete(let pending, let limit):
            return "timeout: a frame was not complete \(limit) after its first byte (\(pending) bytes of it arrived)"
        case .postProcessing(let e): return "post-processing: \(e.description)"
        }
    }

    /// What the peer is told when this error ends the session: an ERROR (the sequence number it
    /// refers to is the engine's to fill in) or an ABORT; nil when the peer is told nothing.
    package var peerNotice: PeerNotice? {
        switch self {
        case .wire(let e):
            return .error(e.code, message: e.description)
        case .outOfSequence(let received, let expected):
            return .error(.replayedOrOutOfOrder, message: "sequence \(received) received, \(expected) expected")
        case .authentication(let m):
            return .abort(frame: 0, reason: .authenticationFailure, message: m)
        case .unexpectedMessage(let type, let role):
            return .error(.unexpectedMessage, message: "message 0x\(String(type, radix: 16)) is not expected by \(role)")
        case .cascadeMismatch(let e):
            return .error(.unexpectedMessage, message: e.description)
        case .refusedPeerDecision(let frame, let reason, let m):
            return .abort(frame: frame, reason: reason, message: m)
        case .frameIncomplete(let pending, let limit):
            return .error(.malformedFrame, message: "frame not complete \(limit) after its first byte (\(pending) bytes arrived)")
        case .configuration, .network, .quantumLayer, .protocolViolation, .peerAborted, .peerError, .timeout, .postProcessing:
            return nil
        }
    }
}

/// What a node tells its peer as a session ends on an error.
package enum PeerNotice: Equatable, Sendable {
    case error(ErrorCode, message: String)
    case abort(frame: UInt64, reason: AbortReason, message: String)
}
