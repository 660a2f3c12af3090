/// A problem of the harness itself, or of its configuration (verdict `error`).
package struct HarnessError: Error, CustomStringConvertible {
    package let description: String
    package init(_ message: String) { description = message }
}
