import Foundation
import PostProcessing
import Wire

/// A host and port, parsed from "HOST:PORT" (port 0 asks the system for a free one).
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(NodeError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw .configuration("'\(text)' is not HOST:PORT (for example 127.0.0.1:7000)")
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !host.isEmpty else { throw .configuration("'\(text)' has no host") }
        self.init(host: host, port: port)
    }

    public var description: String { "\(host):\(port)" }
}

/// Everything a node needs to run.
public struct NodeConfiguration: Sendable {
    public enum ControlEndpoint: Sendable, Equatable {
        case listen(HostPort)
        case connect(HostPort)
    }

    public var role: Role
    public var name: String
    public var control: ControlEndpoint
    public var quantumLayer: HostPort
    /// The pre-shared authentication key (hash key and one-time pads).
    public var authenticationKey: BitKey
    public var parameters: PostProcessingParameters
    /// Sifted signal bits per post-processing frame.
    public var frameBits: Int
    public var bugs: Set<BugKnob>
    /// Where the delivered keys are written (hex, one JSON object per line) when the session ends.
    public var keyOutput: String?
    /// Give up on a silent peer after this long.
    public var idleTimeout: Duration
    /// Record the control channel to this pcap file (Ethernet/IPv4/TCP, as a tap would see it).
    public var capturePath: String?

    public init(role: Role, name: String? = nil, control: ControlEndpoint, quantumLayer: HostPort, authenticationKey: BitKey,
                parameters: PostProcessingParameters = PostProcessingParameters(), frameBits: Int = 1 << 17,
                bugs: Set<BugKnob> = [], keyOutput: String? = nil, idleTimeout: Duration = .seconds(30)) {
        self.role = role
        self.name = name ?? (role == .alice ? "alice" : "bob")
        self.control = control
        self.quantumLayer = quantumLayer
        self.authenticationKey = authenticationKey
        self.parameters = parameters
        self.frameBits = frameBits
        self.bugs = bugs
        self.keyOutput = keyOutput
        self.idleTimeout = idleTimeout
        capturePath = nil
    }

    /// Reads a pre-shared authentication key: hex text (whitespace ignored) or raw bytes.
    public static func loadAuthenticationKey(path: String) throws(NodeError) -> BitKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("cannot read the authentication key file \(path)")
        }
        guard data.count <= 64 << 20 else { throw .configuration("\(path): authentication key files are limited to 64 MiB") }
        // Hex text if every byte is a hex digit or whitespace; raw bytes otherwise.
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        let raw = Array(data)
        let digits = raw.filter { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }
        var bytes: [UInt8]
        if !digits.isEmpty, digits.count % 2 == 0, digits.allSatisfy({ nibble($0) != nil }) {
            bytes = stride(from: 0, to: digits.count, by: 2).map { (nibble(digits[$0]) ?? 0) << 4 | (nibble(digits[$0 + 1]) ?? 0) }
        } else {
            bytes = raw
        }
        guard bytes.count >= 64 else {
            throw .configuration("\(path): the authentication key must hold at least 64 bytes (it has \(bytes.count))")
        }
        return BitKey(bytes: bytes, count: 8 * bytes.count) ?? BitKey(count: 0)
    }
}

/// Why a node stopped, in words an operator can act on.
public enum NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case configuration(String)
    case network(String)
    case wire(WireError)
    case authentication(String)
    case protocolViolation(String)
    case peerAborted(AbortReason, String)
    case peerError(ErrorCode, String)
    case timeout(String)
    case postProcessing(String)

    public var description: String {
        switch self {
        case .configuration(let m): return "configuration: \(m)"
        case .network(let m): return "network: \(m)"
        case .wire(let e): return "malformed frame from the peer: \(e)"
        case .authentication(let m): return "authentication: \(m)"
        case .protocolViolation(let m): return "protocol violation: \(m)"
        case .peerAborted(let r, let m): return "the peer aborted the session (\(r)): \(m)"
        case .peerError(let c, let m): return "the peer reported an error (\(c)): \(m)"
        case .timeout(let m): return "timeout: \(m)"
        case .postProcessing(let m): return "post-processing: \(m)"
        }
    }
}
