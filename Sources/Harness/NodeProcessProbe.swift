import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts one node as its own process and sends it raw bytes on its control channel, for
/// robustness cases whose outcome may be a crash or a hang (which must not take the harness down
/// with it). Alice listens, so the probe connects to her; Bob connects, so the probe listens where
/// Bob is told Alice (the proxy) is, and sends once he is connected.
package struct NodeProcessProbe: Sendable {
    /// The robustness cases' name for how the probe ended; ``ProcessEnding`` is the one type
    /// (`.stillRunning` is its `.timedOut`).
    package enum Ending: Equatable, Sendable {
        case exited(Int32)
        case crashed(Int32)
        case stillRunning
    }

    /// How the probe reaches the node's control channel.
    package enum Reach: Sendable, Equatable {
        /// The node listens (Alice): the probe connects to this port on 127.0.0.1.
        case connect(port: Int)
        /// The node connects (Bob): the probe listens on this port on 127.0.0.1 before starting it.
        case accept(port: Int)
    }

    /// Which node: "Alice" or "Bob", for details.
    package let node: String
    /// argv; the first element is the executable.
    let command: [String]
    let reach: Reach
    /// A scratch directory the probe owns (removed after the probe).
    let directory: String
    var environment: [String: String] = [:]

    /// ``run(sending:closeAfter:seconds:)`` in the robustness cases' terms.
    package func probe(sending bytes: [UInt8], closeAfter: Bool, seconds: Double) throws -> (Ending, String) {
        let (ending, log) = try run(sending: bytes, closeAfter: closeAfter, seconds: seconds)
        switch ending {
        case .exited(let s): return (.exited(s), log)
        case .crashed(let s): return (.crashed(s), log)
        case .timedOut: return (.stillRunning, log)
        }
    }

    /// Starts the node, reaches its control channel (connecting while it starts, or accepting its
    /// connection), sends `bytes` (closing the connection afterwards if `closeAfter`), and watches
    /// it for `seconds`: how it ended (`.timedOut` when it still ran, then killed) and its log.
    package func run(sending bytes: [UInt8], closeAfter: Bool, seconds: Double) throws -> (ProcessEnding, String) {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logPath = "\(directory)/\(node.lowercased()).log"
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        var listener: Int32 = -1
        if case .accept(let port) = reach { listener = try Self.listen(port: port) }
        defer { if listener >= 0 { close(listener) } }
        let process = try ChildProcess(command: command, environment: environment, errors: .file(logPath))
        defer { process.kill() }
        var fd: Int32 = -1
        let connectDeadline = Date().addingTimeInterval(10)
        while fd < 0 {
            switch reach {
            case .connect(let port): if let f = try? Self.connect(port: port) { fd = f }
            case .accept: fd = Self.accept(listener, milliseconds: 20)
            }
            if fd >= 0 { break }
            guard process.isRunning, Date() < connectDeadline else {
                let what = switch reach {
                case .connect(let port): "did not listen on its control port \(port)"
                case .accept(let port): "did not connect to the control address it was given (127.0.0.1:\(port))"
                }
                throw HarnessError("\(node)'s node \(what) within 10 s: \(log().suffix(400))")
            }
            if case .connect = reach { usleep(20_000) }
        }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if closeAfter { close(fd) }
        defer { if !closeAfter { close(fd) } }
        let ending = process.waitBlocking(until: .now + .milliseconds(Int64(seconds * 1000)))
        if ending == .timedOut { return (.timedOut, "") }
        return (ending, log())
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("cannot create a socket") }
        var address = address(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw HarnessError("cannot connect to the node on port \(port)")
        }
        return fd
    }

    /// A listening socket on 127.0.0.1:`port` (the address Bob's command names for Alice).
    static func listen(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("cannot create a socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = address(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, 4) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HarnessError("cannot listen on 127.0.0.1:\(port) for Bob's node: \(reason)")
        }
        return fd
    }

    /// A connection accepted on `listener` within `milliseconds`, or -1.
    static func accept(_ listener: Int32, milliseconds: Int32) -> Int32 {
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) == 1 else { return -1 }
        return Glibc.accept(listener, nil, nil)
    }
}
