/// What goes wrong in key delivery outside the HTTP exchange itself.
package enum KeyDeliveryError: Error, Sendable, CustomStringConvertible {
    /// A configuration or target file, or a PKI file, is missing or wrong (exit 2).
    case configuration(String)
    /// The KME could not be reached or the TLS handshake failed.
    case transport(String)
    /// An answer that breaks the data formats of clause 6.
    case protocolViolation(String)

    package var description: String {
        switch self {
        case .configuration(let s): return "configuration: \(s)"
        case .transport(let s): return "transport: \(s)"
        case .protocolViolation(let s): return "protocol: \(s)"
        }
    }
}
