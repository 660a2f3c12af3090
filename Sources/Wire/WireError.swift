/// Why bytes are not a valid frame or payload: always with the byte offset (from the start of
/// the frame) where decoding stopped, so a malformed capture points at its own defect.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the structure needs (`needed` more at `offset`).
    case truncated(offset: Int, needed: Int)
    case badMagic(offset: Int, found: UInt32)
    /// A quantum-layer block that does not start with "QKDQ".
    case badBlockMagic(offset: Int, found: UInt32)
    case unsupportedVersion(offset: Int, version: UInt8)
    case unknownMessageType(offset: Int, type: UInt8)
    /// The declared payload length exceeds the protocol's limit (checked before any allocation).
    case frameTooLong(offset: Int, length: Int, limit: Int)
    /// A field's value is outside what the specification allows.
    case invalidField(offset: Int, field: String, reason: FieldDefect)
    /// The payload has bytes left after its last field.
    case trailingBytes(offset: Int, count: Int)

    public var offset: Int {
        switch self {
        case let .truncated(o, _), let .badMagic(o, _), let .badBlockMagic(o, _), let .unsupportedVersion(o, _), let .unknownMessageType(o, _),
             let .frameTooLong(o, _, _), let .invalidField(o, _, _), let .trailingBytes(o, _):
            return o
        }
    }

    /// The protocol's error code for this defect (docs/protocol.md, "Error codes").
    public var code: ErrorCode {
        switch self {
        case .truncated, .trailingBytes, .invalidField: return .malformedFrame
        case .badMagic, .badBlockMagic: return .badMagic
        case .unsupportedVersion: return .unsupportedVersion
        case .unknownMessageType: return .unknownMessageType
        case .frameTooLong: return .frameTooLong
        }
    }

    public var description: String {
        switch self {
        case let .truncated(o, n): return "truncated at byte \(o): \(n) more byte(s) needed"
        case let .badMagic(o, m): return "bad magic at byte \(o): 0x\(String(m, radix: 16)) is not \"QKDW\""
        case let .badBlockMagic(o, m): return "bad block magic at byte \(o): 0x\(String(m, radix: 16)) is not \"QKDQ\""
        case let .unsupportedVersion(o, v): return "unsupported protocol version \(v) at byte \(o) (this side speaks 1)"
        case let .unknownMessageType(o, t): return "unknown message type 0x\(String(t, radix: 16)) at byte \(o)"
        case let .frameTooLong(o, l, m): return "payload length \(l) at byte \(o) exceeds the limit of \(m) bytes"
        case let .invalidField(o, f, r): return "invalid \(f) at byte \(o): \(r)"
        case let .trailingBytes(o, c): return "\(c) unexpected byte(s) after the payload at byte \(o)"
        }
    }
}

/// Error codes carried by ERROR messages (docs/protocol.md).
public enum ErrorCode: UInt16, Sendable, Codable, CaseIterable {
    case malformedFrame = 1
    case badMagic = 2
    case unsupportedVersion = 3
    case unknownMessageType = 4
    case frameTooLong = 5
    case authenticationFailed = 6
    case replayedOrOutOfOrder = 7
    case unexpectedMessage = 8
    case parametersRejected = 9
    case internalError = 10
}

/// Abort reason codes carried by ABORT messages (docs/protocol.md).
public enum AbortReason: UInt16, Sendable, Codable, CaseIterable {
    case qberAboveThreshold = 1
    case authenticationFailure = 2
    case verificationMismatch = 3
    case noSecretKey = 4
    case protocolViolation = 5
    case peerRequested = 6
    case resourceExhausted = 7
    /// The decoy-state statistics leave no key from single photons (photon-number splitting?).
    case noSinglePhotonKey = 8
}
