/// A problem of the harness itself, or of its configuration (verdict `error`).
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
