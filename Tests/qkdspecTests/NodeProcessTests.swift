import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A child `qkdspec node` and the JSON lines it prints.
final class NodeProcess {
    let process = Process()
    let out = Pipe(), err = Pipe()

    init(_ arguments: [String]) throws {
        process.executableURL = QKDSpecBinary.url
        process.arguments = ["node"] + arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    /// The "listening" line's ports.
    func listening() throws -> (control: Int?, qli: Int) {
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw CocoaError(.fileReadCorruptFile) }
            if byte == Data([0x0A]) { break }
            line.append(byte)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        return (object["control_port"] as? Int, try #require(object["qli_port"] as? Int))
    }

    /// Waits up to `seconds` for the process to end; false if it is still running.
    func waitExit(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// SIGKILL: a hung node may not honour SIGTERM.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var stderrText: String { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
}

/// Sends raw bytes to 127.0.0.1:port over TCP and closes.
func sendRaw(_ bytes: [UInt8], port: Int) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw CocoaError(.fileWriteUnknown) }
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    usleep(100_000)
}

/// The tests' pre-shared key file (see ``NodeProcessTests/pskFile()``).
enum TestPSK {
    nonisolated(unsafe) static var created: String?
    static let lock = NSLock()

    static func path() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let created { return created }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-psk-\(UUID().uuidString).hex").path
        let hex = (0..<4096).map { String(format: "%02x", ($0 * 37 + 11) & 0xff) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        created = path
        atexit { if let path = TestPSK.created { unlink(path) } }
        return path
    }
}

@Suite("Reference node processes over TCP", .serialized)
struct NodeProcessTests {
    /// The pre-shared key the tests' nodes use: one file per test process, mode 0600 (it is a
    /// key, even a test's), removed when the process ends.
    static func pskFile() throws -> String {
        try TestPSK.path()
    }

    func alice(_ extra: [String] = []) throws -> NodeProcess {
        try NodeProcess(["--role", "alice", "--control-listen", "127.0.0.1:0", "--qli-listen", "127.0.0.1:0",
                         "--auth-key", try Self.pskFile(), "--idle-timeout", "20"] + extra)
    }

    /// A frame header announcing a 2 GiB payload.
    static let oversizedHeader: [UInt8] = [0x51, 0x4b, 0x44, 0x57, 1, 0x70, 0, 0] + [UInt8](repeating: 0, count: 16) + [0x7f, 0, 0, 0]

    @Test("demo: two node processes on loopback deliver matching keys")
    func demo() throws {
        let r = try QKDSpecBinary.run(["demo", "--distance-km", "10", "--blocks", "3", "--block-pulses", "4194304",
                                       "--frame-bits", "32768", "--format", "json"], timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["blocks", "aborted", "sifted_bits", "qber", "disclosed_bits", "final_key_bits", "keys_match",
                    "secret_key_rate_bps", "wall_s"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["keys_match"] as? Bool == true)
        #expect((object["final_key_bits"] as? Int ?? 0) > 0)
        let qber = try #require(object["qber"] as? Double)
        #expect(qber > 0.02 && qber < 0.05)
    }

    @Test("demo under intercept-resend: the nodes abort every frame and deliver nothing")
    func demoAbortsUnderAttack() throws {
        let r = try QKDSpecBinary.run(["demo", "--distance-km", "10", "--blocks", "3", "--block-pulses", "4194304",
                                       "--frame-bits", "32768", "--eve", "intercept-resend:1", "--format", "json"], timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let frames = try #require(object["frames"] as? Int)
        #expect(frames >= 1)
        #expect(object["aborted"] as? Int == frames)
        #expect(object["final_key_bits"] as? Int == 0 && object["keys"] as? Int == 0)
        #expect((object["qber"] as? Double ?? 0) > 0.2)
    }

    @Test("SIGTERM stops a waiting node cleanly: exit 0 and a summary line")
    func gracefulShutdown() throws {
        let node = try alice()
        defer { node.kill() }
        _ = try node.listening()
        kill(node.process.processIdentifier, SIGTERM)
        try #require(node.waitExit(10), "the node is still running")
        #expect(node.process.terminationReason == .exit && node.process.terminationStatus == 0)
        let rest = String(decoding: node.out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("\"event\":\"summary\""))
    }

    @Test("an oversized frame header is an error and exit 1; crash-on-oversized-frame dies of SIGABRT")
    func oversizedFrame() throws {
        let clean = try alice()
        defer { clean.kill() }
        let port = try #require(try clean.listening().control)
        try sendRaw(Self.oversizedHeader, port: port)
        try #require(clean.waitExit(10), "the node is still running")
        #expect(clean.process.terminationReason == .exit && clean.process.terminationStatus == 1)
        #expect(clean.stderrText.contains("exceeds the limit"))

        let buggy = try alice(["--bug", "crash-on-oversized-frame"])
        defer { buggy.kill() }
        let bugPort = try #require(try buggy.listening().control)
        try sendRaw(Self.oversizedHeader, port: bugPort)
        try #require(buggy.waitExit(10), "the node is still running")
        #expect(buggy.process.terminationReason == .uncaughtSignal && buggy.process.terminationStatus == SIGABRT)
    }

    @Test("a connection cut in the middle of a frame ends the session; hang-on-truncated-frame hangs")
    func truncatedFrame() throws {
        let partial = Array(Self.oversizedHeader.prefix(12))
        let clean = try alice()
        defer { clean.kill() }
        try sendRaw(partial, port: try #require(try clean.listening().control))
        try #require(clean.waitExit(10), "the node is still running")
        #expect(clean.process.terminationStatus == 3)

        let buggy = try alice(["--bug", "hang-on-truncated-frame"])
        defer { buggy.kill() }
        try sendRaw(partial, port: try #require(try buggy.listening().control))
        #expect(!buggy.waitExit(3), "the buggy node should hang")
    }

    @Test("--list-bugs lists the nineteen knobs, one a line, names in full; bad configuration exits 2 with a message")
    func configuration() throws {
        let list = try QKDSpecBinary.run(["node", "--list-bugs"])
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").count == 19)
        #expect(list.stdout.contains("accept-replayed-frame"))
        #expect(list.stdout.contains("deliver-before-confirmation "))
        let missing = try QKDSpecBinary.run(["node", "--role", "alice", "--control-listen", "127.0.0.1:0", "--qli-listen", "127.0.0.1:0"])
        #expect(missing.status == 2 && missing.stderr.contains("--auth-key"))
        let badBug = try QKDSpecBinary.run(["node", "--role", "bob", "--control-connect", "127.0.0.1:1", "--qli-listen", "127.0.0.1:0",
                                            "--auth-key", try Self.pskFile(), "--bug", "no-such-bug"])
        #expect(badBug.status == 2 && badBug.stderr.contains("no-such-bug"))
        let badAddress = try QKDSpecBinary.run(["node", "--role", "alice", "--control-listen", "localhost", "--qli-listen", "127.0.0.1:0",
                                                "--auth-key", try Self.pskFile()])
        #expect(badAddress.status == 2 && badAddress.stderr.contains("HOST:PORT"))
    }
}
