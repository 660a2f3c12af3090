import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a reference node as its own process and sends it raw bytes, for robustness cases
/// whose outcome may be a crash or a hang (which must not take the harness down with it).
struct NodeProcessProbe {
    enum Ending: Equatable {
        case exited(Int32)
        case crashed(Int32)
        case stillRunning
    }

    let executable: String
    let arguments: [String]

    /// Starts the node as Alice on free ports, connects to its control port, sends `bytes`
    /// (closing the connection afterwards if `close`), and watches it for `seconds`.
    func probe(sending bytes: [UInt8], closeAfter: Bool, seconds: Double) throws -> (Ending, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        // The first stdout line says where it listens.
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw HarnessError("the node exited before listening: \(String(decoding: err.fileHandleForReading.availableData, as: UTF8.self))") }
            if byte == Data([0x0A]) { break }
            line.append(byte)
        }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any], let port = object["control_port"] as? Int else {
            throw HarnessError("the node did not report its control port")
        }
        let fd = try Self.connect(port: port)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        if closeAfter { close(fd) }
        defer { if !closeAfter { close(fd) } }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return (.stillRunning, "") }
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if process.terminationReason == .uncaughtSignal { return (.crashed(process.terminationStatus), log) }
        return (.exited(process.terminationStatus), log)
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

/// A problem of the harness itself (verdict `error`).
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
