/// A post-processing input that cannot be processed, with what is wrong in words a user can act on.
public enum PostProcessingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two inputs that must have the same length do not.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// A parameter outside its domain.
    case invalidParameter(name: String, reason: String)
    /// A protocol message that does not fit the state it arrived in.
    case protocolViolation(String)
    /// An authentication tag did not verify.
    case authenticationFailed(String)
    /// The pre-shared authentication key pool ran out.
    case authenticationKeyExhausted(needed: Int, available: Int)

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, actual):
            return "\(what): expected \(expected) bits, got \(actual)"
        case let .invalidParameter(name, reason):
            return "\(name): \(reason)"
        case let .protocolViolation(message):
            return "protocol violation: \(message)"
        case let .authenticationFailed(message):
            return "authentication failed: \(message)"
        case let .authenticationKeyExhausted(needed, available):
            return "authentication key pool exhausted: \(needed) bits needed, \(available) left"
        }
    }
}
