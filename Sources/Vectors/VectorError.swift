/// A vector file that cannot be used, with what to fix.
public struct VectorError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
