/// An argument that the mathematics does not accept.
///
/// The oracle never clamps or silently returns zero for a bad argument: a published key-rate
/// package once fed an error *count* to the binary entropy and reported a plausible rate.
public enum QKDMathError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A probability (or rate) outside [0, 1].
    case probabilityOutOfRange(name: String, value: Double)
    /// A parameter outside the domain the formula is defined on.
    case invalidParameter(name: String, value: Double, expected: String)
    /// A numerical search did not bracket or converge.
    case noSolution(String)

    public var description: String {
        switch self {
        case let .probabilityOutOfRange(name, value):
            return "\(name) = \(value) is not a probability: it must lie in [0, 1]"
        case let .invalidParameter(name, value, expected):
            return "\(name) = \(value) is invalid: expected \(expected)"
        case let .noSolution(what):
            return "no solution: \(what)"
        }
    }
}

@inline(__always)
func requireProbability(_ value: Double, _ name: String) throws(QKDMathError) {
    guard value >= 0, value <= 1, !value.isNaN else {
        throw .probabilityOutOfRange(name: name, value: value)
    }
}

@inline(__always)
func requirePositive(_ value: Double, _ name: String) throws(QKDMathError) {
    guard value > 0, value.isFinite else {
        throw .invalidParameter(name: name, value: value, expected: "a finite value > 0")
    }
}
