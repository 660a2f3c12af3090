/// A host and port, as a node or a target file names an endpoint: "HOST:PORT", with an IPv6
/// address in brackets ("[::1]:7000"). Port 0 asks the system for a free one.
public struct HostPort: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses "HOST:PORT" or "[IPv6]:PORT". The host must not be empty and the port must lie in
    /// 0 ... 65535; an IPv6 address without brackets is refused (its last colon is ambiguous).
    public init(parsing text: String) throws(HostPortError) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw HostPortError(text: text, problem: "is not [ADDRESS]:PORT (for example [::1]:7000)")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw HostPortError(text: text, problem: "is not HOST:PORT (for example 127.0.0.1:7000)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw HostPortError(text: text, problem: "has an IPv6 address without brackets (write [ADDRESS]:PORT)")
            }
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw HostPortError(text: text, problem: "is not HOST:PORT (for example 127.0.0.1:7000)")
        }
        guard !host.isEmpty else { throw HostPortError(text: text, problem: "has no host") }
        self.init(host: String(host), port: port)
    }

    /// "HOST:PORT", with an IPv6 address in brackets so that the text parses back.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a text is not an endpoint.
public struct HostPortError: Error, Equatable, Sendable, CustomStringConvertible {
    public var text: String
    public var problem: String
    public init(text: String, problem: String) {
        self.text = text
        self.problem = problem
    }
    public var description: String { "'\(text)' \(problem)" }
}
