/// A vector file that cannot be used, with what to fix.
package struct VectorError: Error, Equatable, Sendable, CustomStringConvertible {
    package let file: String
    package let message: String

    package init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    package var description: String { "\(file): \(message)" }
}
