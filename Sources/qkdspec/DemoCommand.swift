import ArgumentParser
import Foundation
import Harness
import Logging
import Node
import QKDMath
import QuantumChannel
import Wire

/// `qkdspec demo`: two reference nodes, real processes, real sockets, simulated photons.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run an Alice and a Bob node on loopback, feed them the simulator, and compare their keys.",
        discussion: """
            Runs one session of the reference target, as `qkdspec run` starts it: two `qkdspec node` processes on 127.0.0.1 (free ports), Bob reaching Alice through the harness's proxy. It simulates --blocks blocks of --block-pulses pulses over --distance-km of GYS fibre, sends each node its records through its quantum-layer interface, lets them post-process over the control channel, and compares the keys the two nodes delivered, bit for bit. Exits 1 if they differ or a node fails.

            Examples:
              qkdspec demo --distance-km 10 --blocks 20 --format json
              qkdspec demo --distance-km 25 --blocks 10 --bug skip-verification
            """
    )

    @Option(help: "Fibre length in km.")
    var distanceKm = 10.0

    @Option(help: "Quantum-layer blocks to send.")
    var blocks = 20

    @Option(help: "Pulse slots per block (at most 2^24).")
    var blockPulses = 1 << 24

    @Option(help: "Sifted signal bits per post-processing frame.")
    var frameBits = 1 << 17

    @Option(help: "Simulator seed.")
    var seed: UInt64 = 1

    @Option(help: "Eavesdropper: none, intercept-resend:P, pns.")
    var eve = "none"

    @Option(name: .customLong("bug"), help: ArgumentHelp("Bug knob for both nodes (repeatable); see qkdspec node --list-bugs.", valueName: "knob"))
    var bugs: [BugKnob] = []

    @Option(help: "Output format.")
    var format = OutputFormat.text

    @Option(help: "Record the control channel (from Alice's side) to this pcap file, and beside it FILE.replay.json (what qkdspec replay needs).")
    var pcap: String?

    @Flag(name: .customLong("pcap-records"), help: """
        With --pcap: record at the harness instead, the control channel as the proxy relays it together with both \
        quantum-layer feeds (the records each node had), so the capture replays without its sidecar.
        """)
    var pcapRecords = false

    @Option(help: "Seconds to wait for the nodes to finish.")
    var timeout = 120

    @Option(help: "The nodes' log level (their logs are shown when a node fails).")
    var logLevel = Logger.Level.notice

    func validate() throws {
        if pcapRecords && pcap == nil { throw ValidationError("--pcap-records needs --pcap FILE (where the capture goes)") }
        guard (1...100_000).contains(blocks) else { throw ValidationError("--blocks must lie in 1 ... 100000") }
        guard blockPulses > 0, blockPulses <= QuantumLayerBlock.maximumSlots, blockPulses % QuantumChannelSimulator.pulsesPerBlock == 0 else {
            throw ValidationError("--block-pulses must be a multiple of 2^20 (the simulator's block) up to 2^24")
        }
    }

    struct Result: Encodable {
        var blocks: Int
        var pulses: UInt64
        var distanceKm: Double
        var frames: Int
        var delivered: Int
        var aborted: Int
        var discarded: Int
        var siftedBits: Int
        var qber: Double
        var disclosedBits: Int
        var finalKeyBits: Int
        var keys: Int
        var keysMatch: Bool
        var secretKeyRateBps: Double
        var postProcessingMbps: Double
        var wallSeconds: Double
        var alice: NodeSummary?
        var bob: NodeSummary?

        enum CodingKeys: String, CodingKey {
            case blocks, pulses, frames, delivered, aborted, discarded, qber, keys, alice, bob
            case distanceKm = "distance_km", siftedBits = "sifted_bits", disclosedBits = "disclosed_bits"
            case finalKeyBits = "final_key_bits", keysMatch = "keys_match", secretKeyRateBps = "secret_key_rate_bps"
            case postProcessingMbps = "post_processing_mbps", wallSeconds = "wall_s"
        }
    }

    func run() async throws {
        let start = ContinuousClock.now
        let scenario = try ScenarioOptions.parse(["--eve", eve]).scenario(distanceKm: distanceKm)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        // A fresh pre-shared authentication key for this run.
        guard let urandom = FileHandle(forReadingAtPath: "/dev/urandom") else { throw UsageError("cannot open /dev/urandom") }
        let psk = urandom.readData(ofLength: 1 << 20)
        try? urandom.close()
        let pskPath = "\(work)/psk.bin"
        guard FileManager.default.createFile(atPath: pskPath, contents: psk, attributes: [.posixPermissions: 0o600]) else {
            throw UsageError("cannot write the pre-shared key to \(work)")
        }

        if let pcap {
            // What `qkdspec replay` needs to regenerate the nodes' records (the PSK is random: not named).
            var words = ["qkdspec", "demo", "--distance-km", "\(distanceKm)", "--blocks", "\(blocks)", "--block-pulses", "\(blockPulses)",
                         "--frame-bits", "\(frameBits)", "--seed", "\(seed)", "--eve", eve]
            words += bugs.flatMap { ["--bug", $0.rawValue] }
            let sidecar = ReplaySidecar(seed: seed, blocks: blocks, blockPulses: blockPulses, phases: [.init(fromBlock: 0, scenario: scenario)],
                                        authenticationKey: nil, madeBy: words.joined(separator: " "))
            do { try sidecar.write(to: ReplaySidecar.path(forCapture: pcap)) } catch { throw UsageError("\(error)") }
        }
        // One session of the reference target, as `qkdspec run` starts it: the same node
        // commands, the harness's proxy between Bob and Alice, the same feed.
        let me = ChildProcess.selfExecutable
        var reference = ReferenceNodeCommand(executable: me, bugs: Set(bugs))
        reference.frameBits = frameBits
        reference.idleTimeoutSeconds = timeout
        reference.logLevel = logLevel.rawValue
        var file = reference.targetFile
        file.authKey = pskPath
        file.blocks = blocks
        file.blockPulses = blockPulses
        file.sessionTimeoutSeconds = Double(timeout)
        if let pcap, !pcapRecords { file.alice.command?.append(contentsOf: ["--pcap", pcap]) }
        var target = try ProcessTarget(file: file, executable: me, workRoot: work)
        target.keepsDirectory = true
        if pcap != nil && pcapRecords {
            target.keepsEvidence = true
            target.recordsQuantumLayer = true
        }
        // Simulate first, on every core, so the nodes' clock measures post-processing, not photons.
        target.simulatesAhead = true
        let progress = ProgressLine(label: "demo: feeding blocks", total: UInt64(blocks))
        target.onBlockFed = { fed, _ in progress.update(UInt64(fed)) }
        let session = try await target.run(SessionPlan(scenario: scenario, seed: seed))
        progress.finish()
        if let pcap, pcapRecords, let recorded = session.capturePath {
            do {
                try? FileManager.default.removeItem(atPath: pcap)
                try FileManager.default.copyItem(atPath: recorded, toPath: pcap)
            } catch { throw UsageError("cannot write the capture \(pcap): \(error.localizedDescription)") }
        }
        let wall = (ContinuousClock.now - start).inSeconds

        let logs = [Role.alice, .bob].map { role in
            session.directory.flatMap { try? String(contentsOfFile: "\($0)/\(role.optionName).log", encoding: .utf8) } ?? ""
        }
        if ProcessInfo.processInfo.environment["QKDSPEC_DEMO_SHOW_LOGS"] != nil {
            FileHandle.standardError.write(Data("alice:\n\(logs[0])\nbob:\n\(logs[1])\n".utf8))
        }
        guard session.aliceEnding == .exited(0), session.bobEnding == .exited(0),
              let a = Self.summary(in: logs[0]), let bsum = Self.summary(in: logs[1]) else {
            func tail(_ log: String) -> String { log.split(separator: "\n").suffix(40).joined(separator: "\n") }
            let failures = [session.aliceFailure, session.bobFailure].compactMap { $0 }.joined(separator: "\n")
            FileHandle.standardError.write(Data("""
                alice (\(session.aliceEnding.map { "\($0)" } ?? "not started")):
                \(tail(logs[0]))
                bob (\(session.bobEnding.map { "\($0)" } ?? "not started")):
                \(tail(logs[1]))
                \(failures)

                """.utf8))
            throw UsageError("a node did not complete its session")
        }
        let keysMatch = session.malformedKeyOutput.isEmpty && session.aliceKeys.count == session.bobKeys.count
            && session.oneSidedKeys == 0 && session.mismatchedKeys == 0 && a.keys == bsum.keys

        let postSeconds = max(a.postProcessingSeconds, bsum.postProcessingSeconds)
        let result = Result(
            blocks: blocks, pulses: UInt64(blocks) * UInt64(blockPulses), distanceKm: distanceKm, frames: bsum.frames,
            delivered: bsum.framesDelivered, aborted: bsum.framesAborted, discarded: bsum.framesDiscarded,
            siftedBits: bsum.siftedBits, qber: bsum.sampleBits > 0 ? Double(bsum.sampleErrors) / Double(bsum.sampleBits) : 0,
            disclosedBits: bsum.disclosedBits, finalKeyBits: bsum.finalKeyBits, keys: bsum.keys, keysMatch: keysMatch,
            secretKeyRateBps: wall > 0 ? Double(bsum.finalKeyBits) / wall : 0,
            postProcessingMbps: postSeconds > 0 ? Double(bsum.siftedBits) / postSeconds / 1e6 : 0, wallSeconds: wall,
            alice: a, bob: bsum)
        switch format {
        case .json: try printJSON(result)
        case .text:
            print("demo  \(distanceKm) km, \(blocks) blocks of \(blockPulses) pulses, seed \(seed)")
            print("  frames \(result.frames): \(result.delivered) delivered, \(result.aborted) aborted, \(result.discarded) discarded")
            print(String(format: "  sifted %d bits, QBER %.3f %%, disclosed %d bits, final key %d bits in %d keys",
                         result.siftedBits, result.qber * 100, result.disclosedBits, result.finalKeyBits, result.keys))
            print(String(format: "  keys match: %@   %.0f secret bits/s over %.2f s; post-processing %.1f Mbit/s of sifted key",
                         keysMatch ? "yes" : "NO", result.secretKeyRateBps, wall, result.postProcessingMbps))
        }
        if !keysMatch { throw ExitCode(ExitStatus.conformanceFailure) }
    }

    /// The summary a node printed when its session ended (a JSON line in its log).
    static func summary(in log: String) -> NodeSummary? {
        for line in log.split(separator: "\n").reversed() where line.hasPrefix("{") && line.contains("\"summary\"") {
            if let event = try? JSONDecoder().decode(SummaryLine.self, from: Data(line.utf8)), event.event == "summary" { return event.summary }
        }
        return nil
    }

    struct SummaryLine: Decodable {
        var event: String
        var summary: NodeSummary
    }
}
