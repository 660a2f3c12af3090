import Foundation
import Node
import QuantumChannel
import Testing
import Wire
@testable import Harness

/// Targets as processes: target files, the proxy over real loopback sockets with its faults and
/// capture, bring-your-own-protocol, and evidence.
@Suite("Process targets and the proxy", .serialized)
struct ProcessTargetTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-test-\(UUID().uuidString)").path

    func target(_ file: TargetFile, evidence: Bool = true) throws -> ProcessTarget {
        var t = try ProcessTarget(file: file, executable: QKDSpecExecutable.path, workRoot: work)
        t.keepsEvidence = evidence
        return t
    }

    func example(_ name: String) throws -> TargetFile {
        try TargetFile.load(path: QKDSpecExecutable.repository.appendingPathComponent("examples/targets/\(name)").path)
    }

    func write(_ text: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("target-\(UUID()).json").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test("a bad target file is an error that names the field")
    func badFiles() throws {
        func message(_ text: String) -> String {
            do {
                _ = try TargetFile.load(path: write(text))
                return "accepted"
            } catch { return "\(error)" }
        }
        let good = try String(contentsOf: QKDSpecExecutable.repository.appendingPathComponent("examples/targets/reference.json"), encoding: .utf8)
        #expect(message("{ not json") .contains("not valid JSON"))
        #expect(message(good.replacingOccurrences(of: "\"qli\": \"127.0.0.1:{bob_qli_port}\",", with: "")).contains("bob.qli"))
        #expect(message(good.replacingOccurrences(of: "{alice_keys}", with: "{alice_key_file}")).contains("unknown placeholder {alice_key_file}"))
        #expect(message(good.replacingOccurrences(of: "\"qber_threshold\": 0.05", with: "\"qber_threshold\": 0.7")).contains("qber_threshold"))
        #expect(message(good.replacingOccurrences(of: "\"control_protocol\": \"qkdspec-wire/1\"", with: "\"control_protocol\": \"morse\"")).contains("control_protocol"))
        #expect(message(good) == "accepted")
        // The sample size a stack declares is judged against (and must leave key bits); the
        // lone-key end is fixed at Alice by qkdspec-wire/1, free for an opaque protocol.
        let frame = "\"frame_bits\": 32768"
        #expect(message(good.replacingOccurrences(of: frame, with: frame + ", \"sample_bits\": 1638")) == "accepted")
        #expect(message(good.replacingOccurrences(of: frame, with: frame + ", \"sample_bits\": 32768")).contains("declared.sample_bits"))
        #expect(message(good.replacingOccurrences(of: frame, with: frame + ", \"sample_bits\": 0")).contains("declared.sample_bits"))
        #expect(message(good.replacingOccurrences(of: frame, with: frame + ", \"lone_key_end\": \"alice\"")) == "accepted")
        #expect(message(good.replacingOccurrences(of: frame, with: frame + ", \"lone_key_end\": \"bob\"")).contains("fixes it at 'alice'"))
        #expect(message(good.replacingOccurrences(of: frame, with: frame + ", \"lone_key_end\": \"carol\"")).contains("lone_key_end"))
        let opaque = good.replacingOccurrences(of: "\"control_protocol\": \"qkdspec-wire/1\"", with: "\"control_protocol\": \"opaque\"")
        #expect(message(opaque.replacingOccurrences(of: frame, with: frame + ", \"lone_key_end\": \"bob\"")) == "accepted")
        #expect(try TargetFile.load(path: write(opaque.replacingOccurrences(of: frame, with: frame + ", \"lone_key_end\": \"neither\"")))
                    .declared.loneKeyEnd == .neither)
        // Addresses go through Wire's HostPort: an IPv6 address in brackets is one, an empty host is not.
        #expect(message(good.replacingOccurrences(of: "\"qli\": \"127.0.0.1:{bob_qli_port}\"", with: "\"qli\": \"[::1]:9000\"")) == "accepted")
        let noHost = message(good.replacingOccurrences(of: "\"qli\": \"127.0.0.1:{bob_qli_port}\"", with: "\"qli\": \":9000\""))
        #expect(noHost.contains("bob.qli") && noHost.contains("has no host"), "\(noHost)")
        let bare = message(good.replacingOccurrences(of: "\"qli\": \"127.0.0.1:{bob_qli_port}\"", with: "\"qli\": \"::1:9000\""))
        #expect(bare.contains("bob.qli") && bare.contains("without brackets"), "\(bare)")
        #expect(try TargetFile.address("[::1]:9000", field: "alice.qli") == HostPort(host: "::1", port: 9000))
        #expect(throws: HarnessError.self) { try TargetFile.address(":9000", field: "alice.qli") }
        #expect(message(good.replacingOccurrences(of: "\"shim\"\n", with: "\"shim\", \"{alice_keys}\"\n"))
                    .contains("may use only {qkdspec} and {work_dir}"))
        // A command that cannot start is found before any case runs.
        var file = try example("reference.json")
        file.bob.command?[0] = "/nonexistent/node"
        #expect(throws: HarnessError.self) { try target(file).preflight() }
        #expect(throws: Never.self) { try target(example("reference.json")).preflight() }
    }

    @Test("a session through the example target file: real processes, the proxy decodes the wire, keys match, a pcap is written")
    func referenceSession() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let t = try target(example("reference.json"))
        let s = try await t.run(scenario: .gys(distanceKm: 25), seed: 3, fault: nil)
        #expect(s.aliceEnding == .exited(0) && s.bobEnding == .exited(0), "\(String(describing: s.aliceFailure)) \(String(describing: s.bobFailure))")
        #expect(!s.aliceKeys.isEmpty && s.mismatchedKeys == 0 && s.aliceKeys.count == s.bobKeys.count)
        #expect(s.wire.framesEstimated >= 2 && s.wire.framesAborted == 0 && s.wire.parameters?.frameBits == 32_768)
        // Every key Alice announced on the wire is a key both stores hold, at the announced length.
        #expect(s.wire.announced.values.filter { $0 > 0 }.sorted() == s.bobKeys.map(\.key.count).sorted())
        let pcap = try #require(s.capturePath.flatMap { FileManager.default.contents(atPath: $0) })
        #expect(pcap.count > 10_000)
        #expect(Array(pcap.prefix(4)) == [0xd4, 0xc3, 0xb2, 0xa1], "classic pcap, little-endian magic")
    }

    @Test("without evidence nothing is recorded and a session leaves no files behind")
    func noEvidenceNoFiles() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let t = try target(ReferenceNodeCommand(executable: QKDSpecExecutable.path).targetFile, evidence: false)
        let s = try await t.run(scenario: .gys(distanceKm: 25), seed: 3, fault: nil)
        #expect(!s.bobKeys.isEmpty && s.capturePath == nil && s.directory == nil)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? [] == [])
    }

    @Test("proxy faults over real sockets: a replayed frame draws Bob's ERROR; a cut connection ends both nodes without a crash")
    func faults() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let t = try target(ReferenceNodeCommand(executable: QKDSpecExecutable.path).targetFile)
        let replay = try await t.run(scenario: .gys(distanceKm: 25), seed: 3) { index, bytes in index == 2 ? [.send(bytes), .send(bytes)] : [.send(bytes)] }
        #expect(replay.wire.errors.contains { $0.from == .bob && $0.code == .replayedOrOutOfOrder })
        #expect(replay.bobKeys.isEmpty && replay.bobEnding != .exited(0))
        let cut = try await t.run(scenario: .gys(distanceKm: 25), seed: 3) { index, bytes in index == 30 ? [.close] : [.send(bytes)] }
        #expect(cut.aliceEnding != nil && cut.aliceEnding != .timedOut && cut.bobEnding != .timedOut)
        if case .crashed = cut.bobEnding { Issue.record("Bob crashed on a cut connection") }
        #expect(cut.mismatchedKeys == 0)
        let slow = try await t.run(scenario: .gys(distanceKm: 25), seed: 3) { index, bytes in
            index == 5 ? [.delay(.milliseconds(300)), .send(bytes)] : [.send(bytes)]
        }
        #expect(!slow.bobKeys.isEmpty && slow.mismatchedKeys == 0)
    }

    @Test("bring-your-own-protocol: checks that need the wire are unimplemented, key checks still judge")
    func opaque() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let t = try target(example("opaque-protocol.json"))
        #expect(t.channel == .opaque)
        let r = Runner(target: t, profile: .quick, include: ["bb84/keys/length-within-finite-key-bound", "auth/replayed-frame-rejected",
                                                              "bb84/keys/agreement", "auth/tampered-payload-aborts", "auth/tampered-tag-aborts"],
                       exclude: [], seed: 5, version: "test")
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        let verdicts = Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, $0.verdict) })
        #expect(verdicts["bb84/keys/length-within-finite-key-bound"] == .unimplemented)
        // Without a declared framing (docs/targets.md) the messages and their tags cannot be told apart.
        #expect(verdicts["auth/replayed-frame-rejected"] == .unimplemented)
        #expect(verdicts["auth/tampered-tag-aborts"] == .unimplemented)
        #expect(verdicts["bb84/keys/agreement"] == .pass, "\(report.results.map(\.detail))")
        #expect(verdicts["auth/tampered-payload-aborts"] == .pass, "\(report.results.map(\.detail))")
        #expect(report.exitCode == 0)
    }

    @Test("evidence of a failing case: capture, transcript, logs, seed and reproduce line — and no key material")
    func evidence() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let t = try target(ReferenceNodeCommand(executable: QKDSpecExecutable.path, bugs: [.reuseKeyID]).targetFile)
        let root = "\(work)/evidence"
        let writer = try EvidenceWriter(root: root)
        let r = Runner(target: t, profile: .quick, include: ["keys/unique-key-ids"], exclude: [], seed: 5, version: "test")
        let keys = KeyHolder()
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run --reference-bug reuse-key-id", onResult: { result, session, _, _ in
            result.evidence = try? writer.write(result, session: session)
            keys.set(session?.bobKeys.map(\.key.hex) ?? [])
        })
        let result = try #require(report.results.first)
        #expect(result.verdict == .fail)
        let dir = try #require(result.evidence)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        for f in ["control.pcap", "transcript.tsv", "seed.txt", "reproduce.sh", "result.json", "alice.log", "bob.log", "session.txt"] {
            #expect(files.contains(f), "missing \(f)")
        }
        let transcript = try String(contentsOfFile: "\(dir)/transcript.tsv", encoding: .utf8)
        #expect(transcript.contains("parameters") && transcript.contains("privacyAmplification"))
        #expect(try String(contentsOfFile: "\(dir)/reproduce.sh", encoding: .utf8).contains("--case bb84/keys/unique-key-ids --seed 5"))
        let everything = try files.filter { $0 != "control.pcap" }.map { try String(contentsOfFile: "\(dir)/\($0)", encoding: .utf8) }.joined()
        let hexes = keys.get()
        #expect(!hexes.isEmpty)
        for h in hexes { #expect(!everything.contains(h), "key material in the evidence") }
    }
}

/// Keys a test callback saw, to check they went nowhere.
final class KeyHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String] = []
    func set(_ k: [String]) { lock.withLock { keys = k } }
    func get() -> [String] { lock.withLock { keys } }
}

@Suite("Nodes already running")
struct RunningNodesTests {
    @Test("a target file without commands reaches nodes that are already up: the proxy in between, keys read from their outputs")
    func runningNodes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-running-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = "\(dir)/auth.key"
        FileManager.default.createFile(atPath: key, contents: Data(DefaultAuthenticationKey.fileBytes), attributes: [.posixPermissions: 0o600])
        let ports = try FreePorts.take(4)  // Alice control, Alice QLI, Bob QLI, the proxy
        func start(_ args: [String]) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: QKDSpecExecutable.path)
            p.arguments = ["node", "--auth-key", key, "--frame-bits", "32768", "--idle-timeout", "20", "--log-level", "error"] + args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let alice = try start(["--role", "alice", "--control-listen", "127.0.0.1:\(ports[0])", "--qli-listen", "127.0.0.1:\(ports[1])",
                               "--key-output", "\(dir)/a.keys"])
        let bob = try start(["--role", "bob", "--control-connect", "127.0.0.1:\(ports[3])", "--qli-listen", "127.0.0.1:\(ports[2])",
                             "--key-output", "\(dir)/b.keys"])
        defer {
            for p in [alice, bob] where p.isRunning { p.terminate() }
        }
        var file = TargetFile(
            name: "already running", controlProtocol: .reference,
            alice: .init(command: nil, control: "127.0.0.1:\(ports[0])", qli: "127.0.0.1:\(ports[1])", keyOutput: "\(dir)/a.keys"),
            bob: .init(command: nil, control: nil, qli: "127.0.0.1:\(ports[2])", keyOutput: "\(dir)/b.keys"), declared: DeclaredParameters())
        file.proxyListen = "127.0.0.1:\(ports[3])"
        file.authKey = key
        try file.check()
        let t = try ProcessTarget(file: file, executable: QKDSpecExecutable.path, workRoot: dir)
        let s = try await t.run(scenario: .gys(distanceKm: 25), seed: 9, fault: nil)
        #expect(!s.bobKeys.isEmpty && s.mismatchedKeys == 0 && s.aliceKeys.count == s.bobKeys.count)
        #expect(s.wire.framesEstimated >= 2)
        #expect(s.aliceEnding == nil && s.bobEnding == nil, "the harness did not start these nodes")
    }
}
