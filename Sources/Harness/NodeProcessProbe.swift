import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts Alice's node as its own process and sends her raw bytes, for robustness cases whose
/// outcome may be a crash or a hang (which must not take the harness down with it).
public struct NodeProcessProbe: Sendable {
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

    /// Starts the node, connects to its control port (retrying while it starts), sends `bytes`
    /// (closing the connection afterwards if `closeAfter`), and watches it for `seconds`.
    public func probe(sending bytes: [UInt8], closeAfter: Bool, seconds: Double) throws -> (Ending, String) {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard let executable = command.first else { throw HarnessError("the node's command is empty") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandPath.resolve(executable))
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let logPath = "\(directory)/alice.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        do { try process.run() } catch { throw HarnessError("cannot start \(executable): \(error.localizedDescription)") }
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? log?.close()
        }
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
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return (.stillRunning, "") }
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        if process.terminationReason == .uncaughtSignal { return (.crashed(process.terminationStatus), text) }
        return (.exited(process.terminationStatus), text)
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
