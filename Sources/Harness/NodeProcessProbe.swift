import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts Alice's node as its own process and sends her raw bytes, for robustness cases whose
/// outcome may be a crash or a hang (which must not take the harness down with it).
public struct NodeProcessProbe: Sendable {
    /// The robustness cases' name for how the probe ended; ``ProcessEnding`` is the one type
    /// (`.stillRunning` is its `.timedOut`). Kept until those cases switch over ``run(sending:closeAfter:seconds:)``.
    public enum Ending: Equatable, Sendable {
        case exited(Int32)
        case crashed(Int32)
        case stillRunning
    }

    /// argv; the first element is the executable.
    let command: [String]
    let controlPort: Int
    /// A scratch directory the probe owns (removed after the probe).
    let directory: String
    var environment: [String: String] = [:]

    /// ``run(sending:closeAfter:seconds:)`` in the robustness cases' terms.
    public func probe(sending bytes: [UInt8], closeAfter: Bool, seconds: Double) throws -> (Ending, String) {
        let (ending, log) = try run(sending: bytes, closeAfter: closeAfter, seconds: seconds)
        switch ending {
        case .exited(let s): return (.exited(s), log)
        case .crashed(let s): return (.crashed(s), log)
        case .timedOut: return (.stillRunning, log)
        }
    }

    /// Starts the node, connects to its control port (retrying while it starts), sends `bytes`
    /// (closing the connection afterwards if `closeAfter`), and watches it for `seconds`: how it
    /// ended (`.timedOut` when it still ran, then killed) and its log.
    public func run(sending bytes: [UInt8], closeAfter: Bool, seconds: Double) throws -> (ProcessEnding, String) {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logPath = "\(directory)/alice.log"
        let process = try ChildProcess(command: command, environment: environment, errors: .file(logPath))
        defer { process.kill() }
        var fd: Int32 = -1
        let connectDeadline = Date().addingTimeInterval(10)
        while fd < 0 {
            if let f = try? Self.connect(port: controlPort) { fd = f; break }
            guard process.isRunning, Date() < connectDeadline else {
                let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw HarnessError("the node did not listen on its control port \(controlPort): \(text.suffix(400))")
            }
            usleep(20_000)
        }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if closeAfter { close(fd) }
        defer { if !closeAfter { close(fd) } }
        let ending = process.waitBlocking(until: .now + .milliseconds(Int64(seconds * 1000)))
        if ending == .timedOut { return (.timedOut, "") }
        return (ending, (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("cannot create a socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw HarnessError("cannot connect to the node on port \(port)")
        }
        return fd
    }
}
