/// A scenario the simulator cannot run, with a message that says what to change.
public struct ScenarioError: Error, Equatable, Sendable, CustomStringConvertible {
    public let parameter: String
    public let message: String

    public init(_ parameter: String, _ message: String) {
        self.parameter = parameter
        self.message = message
    }

    public var description: String { "invalid scenario: \(parameter): \(message)" }
}
