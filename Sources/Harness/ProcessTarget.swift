import Capture
import Foundation
import PostProcessing
import QuantumChannel
import Wire

/// A stack whose two nodes are processes (started by the harness from a target file's commands,
/// or already running): every session fills the placeholders with fresh ports and paths, starts
/// the proxy, starts Alice and Bob, feeds both quantum-layer interfaces from the simulator, waits
/// for the session to end, and reads the keys the nodes wrote.
package struct ProcessTarget: SessionTarget {
    package let file: TargetFile
    /// This executable, for `{qkdspec}`.
    package let executable: String
    /// Where session directories go (logs, key outputs, the capture); the caller removes it.
    package let workRoot: String
    /// The pre-shared key, when the harness knows it (a fault may then re-authenticate a frame).
    package let authenticationKey: BitKey?
    /// Record every session's control channel and keep its directory until the runner releases
    /// it (for `--evidence`); otherwise nothing is recorded and a session's files go when it ends.
    package var keepsEvidence = false
    /// With `keepsEvidence`, also record both quantum-layer feeds in the session's capture: a
    /// capture that carries Bob's records replays without a sidecar (docs/captures.md).
    package var recordsQuantumLayer = false
    /// Keep every session's directory (node logs, key outputs) until the runner releases it,
    /// without recording the control channel (the demo reads the nodes' summaries there).
    package var keepsDirectory = false
    /// Simulate every block of a session on every core before the nodes start, so that the
    /// nodes' clocks measure post-processing, not the simulator (the demo); otherwise each block
    /// is simulated just before it is fed. The blocks are the same either way.
    package var simulatesAhead = false
    /// Told after each block has gone to both nodes, with the blocks fed and the session's total.
    package var onBlockFed: (@Sendable (Int, Int) -> Void)?

    package init(file: TargetFile, executable: String, workRoot: String) throws {
        self.file = file
        self.executable = executable
        self.workRoot = workRoot
        if let path = file.authKey {
            do { authenticationKey = try AuthenticationKeyPool.loadKey(path: path) } catch {
                throw HarnessError("target file: auth_key: \(error)")
            }
        } else {
            authenticationKey = DefaultAuthenticationKey.key
        }
    }

    /// Checks, before any case runs, that every command the target names can be started.
    package func preflight() throws {
        let commands = [("alice.command", file.alice.command), ("bob.command", file.bob.command), ("shim.command", file.shim?.command)]
        for (field, command) in commands {
            guard let first = command?.first else { continue }
            let path = CommandPath.resolve(TargetFile.fill(first, ["qkdspec": executable]))
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw HarnessError("\(field): '\(first)' is not an executable file (a name without '/' is looked up on PATH)")
            }
        }
    }

    package var name: String { file.name }
    package var declared: DeclaredParameters { file.declared }
    package var channel: ControlChannelKind { file.controlProtocol }
    package var framing: MessageFraming? { file.framing }
    package var shimCommand: [String]? {
        file.shim.map { $0.command.map { TargetFile.fill($0, ["qkdspec": executable, "work_dir": workRoot]) } }
    }
    package var blocksPerSession: Int { file.blocks ?? 12 }
    package var blockPulses: Int { file.blockPulses ?? 1 << 22 }
    var timeout: Duration { .milliseconds(Int64((file.sessionTimeoutSeconds ?? 60) * 1000)) }

    /// The placeholder values of one session in `directory`.
    func values(directory: String, seed: UInt64) throws -> [String: String] {
        let ports = try FreePorts.take(4)
        var v = ["alice_control_port": String(ports[0]), "alice_qli_port": String(ports[1]), "bob_qli_port": String(ports[2]),
                 "proxy_port": String(ports[3]), "work_dir": directory, "qkdspec": executable, "seed": String(seed),
                 "alice_keys": "\(directory)/alice.keys", "bob_keys": "\(directory)/bob.keys"]
        if let path = file.authKey {
            v["auth_key"] = path
        } else {
            let path = "\(directory)/auth.key"
            guard FileManager.default.createFile(atPath: path, contents: Data(DefaultAuthenticationKey.fileBytes),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw HarnessError("cannot write the session's authentication key in \(directory)")
            }
            v["auth_key"] = path
        }
        return v
    }

    func newDirectory() throws -> String {
        let dir = "\(workRoot)/session-\(UUID().uuidString.prefix(8).lowercased())"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw HarnessError("cannot create a session directory under \(workRoot): \(FileProblem.reason(error))")
        }
        return dir
    }

    /// How many times a session is started afresh, on new ports, when a port the harness chose
    /// was taken before its listener could bind it (another program, or the source port of one of
    /// the many loopback connections a run makes, can take it in between).
    static let portAttempts = 3

    package func run(_ plan: SessionPlan) async throws -> Session {
        var attempt = 1
        while true {
            let last = attempt == Self.portAttempts
            do {
                let session = try await runOnce(plan, lastAttempt: last)
                guard !last, session.lostPortRace else { return session }
                release(session)
            } catch is PortTaken {}
            attempt += 1
        }
    }

    /// The proxy could not listen: its port was taken (thrown only while attempts remain).
    struct PortTaken: Error {}

    func runOnce(_ plan: SessionPlan, lastAttempt: Bool) async throws -> Session {
        let blocks = plan.blocks ?? blocksPerSession
        let ahead = simulatesAhead ? try SimulatedFeed.allBlocks(plan, count: blocks, pulses: blockPulses) : nil
        var truth = SessionTruth()
        for pair in ahead ?? [] { truth.record(alice: pair.alice, bob: pair.bob) }
        // session_timeout_s bounds the whole session, from its start: nodes starting, the feed,
        // the protocol and the nodes' ending — plus only the time the harness itself spends
        // simulating the blocks it feeds, which is no part of the stack's (docs/targets.md).
        var deadline = ContinuousClock.now + timeout
        let dir = try newDirectory()
        let v = try values(directory: dir, seed: plan.seed)
        func fill(_ s: String) -> String { TargetFile.fill(s, v) }
        let aliceControl = try TargetFile.address(fill(file.alice.control ?? "127.0.0.1:{alice_control_port}"), field: "alice.control")
        let listen = try TargetFile.address(fill(file.proxyListen ?? "127.0.0.1:{proxy_port}"), field: "proxy_listen")
        let capture = keepsEvidence ? "\(dir)/control.pcap" : nil
        // With the quantum-layer feeds recorded, the proxy and the feeds share one capture.
        let sharedCapture = try recordsQuantumLayer ? capture.map { try PcapWriter(path: $0) } : nil
        defer { sharedCapture?.close() }
        let proxy = ControlProxy(kind: file.controlProtocol, upstream: (aliceControl.host, aliceControl.port), aliceFault: plan.aliceFault, bobFault: plan.bobFault,
                                 capturePath: capture, captureWriter: sharedCapture, framing: file.framing)
        do { try await proxy.start(host: listen.host, port: listen.port) } catch {
            try? FileManager.default.removeItem(atPath: dir)
            if !lastAttempt && "\(error)".contains(Self.addressInUse) { throw PortTaken() }
            throw HarnessError("the proxy cannot listen on \(listen): \(error)")
        }

        var nodes: [(role: String, process: ManagedNode)] = []
        defer {
            for n in nodes { n.process.kill() }
            if !keepsEvidence && !keepsDirectory { try? FileManager.default.removeItem(atPath: dir) }
        }
        for (role, spec) in [("alice", file.alice), ("bob", file.bob)] {
            guard let command = spec.command else { continue }
            let node = try ManagedNode(command: command.map(fill), environment: (spec.environment ?? [:]).mapValues(fill),
                                       log: "\(dir)/\(role).log")
            nodes.append((role, node))
        }

        // Resident memory and open descriptors of the nodes, sampled while they run.
        let sampler = ResourceSampler(pids: nodes.map { ($0.role == "alice" ? Role.alice : Role.bob, $0.process.pid) })

        // Simulate and feed both quantum-layer interfaces, block by block.
        var feedFailure: String?
        let simulators = try plan.simulators()
        do {
            let aliceQLI = try TargetFile.address(fill(file.alice.qli), field: "alice.qli")
            let bobQLI = try TargetFile.address(fill(file.bob.qli), field: "bob.qli")
            let aliceFeed = try await Self.feed(aliceQLI, node: nodes.first { $0.role == "alice" }?.process, deadline: deadline)
            let bobFeed = try await Self.feed(bobQLI, node: nodes.first { $0.role == "bob" }?.process, deadline: deadline)
            let recorded = sharedCapture.map { QuantumLayerRecording(writer: $0, alicePort: aliceQLI.port, bobPort: bobQLI.port) }
            defer {
                recorded?.finish()
                Task {
                    await aliceFeed.close()
                    await bobFeed.close()
                }
            }
            func send(_ alice: [UInt8], _ bob: [UInt8]) async throws {
                try await aliceFeed.send(alice)
                try await bobFeed.send(bob)
                recorded?.record(alice: alice, bob: bob)
            }
            for b in 0..<blocks {
                if let pair = ahead?[b] {
                    try await send(pair.aliceBytes, pair.bobBytes)
                } else {
                    let simulating = ContinuousClock.now
                    let (a, bb) = SimulatedFeed.blocks(simulators[plan.phaseIndex(ofBlock: b)], block: UInt64(b), pulses: blockPulses)
                    truth.record(alice: a, bob: bb)
                    deadline += ContinuousClock.now - simulating
                    try await send(a.encoded(), bb.encoded())
                }
                onBlockFed?(b + 1, blocks)
            }
            let end = QuantumLayerBlock.endOfStream(after: UInt64(blocks)).encoded()
            try await send(end, end)
        } catch {
            feedFailure = "feeding the quantum-layer interfaces failed: \(error)"
        }

        // The session ends when the node processes do (or, for nodes already running, when the
        // relayed connection closes).
        var session = Session(plan: plan)
        session.truth = truth
        for (role, node) in nodes {
            let ending = await node.wait(until: deadline)
            let failure = ending == .exited(0) ? nil : node.lastError()
            if role == "alice" {
                session.aliceEnding = ending
                session.aliceFailure = failure
            } else {
                session.bobEnding = ending
                session.bobFailure = failure
            }
        }
        let peaks = sampler.stop()
        session.aliceResources = peaks[.alice]
        session.bobResources = peaks[.bob]
        if nodes.count < 2 {
            // Nodes the harness did not start: the session is over when the relayed connection
            // closes, and their keys are in place once the key outputs appear (they write them as
            // the session ends).
            _ = await proxy.finished(timeout: deadline - ContinuousClock.now)
            let outputs = [file.alice.keyOutput, file.bob.keyOutput].map(fill)
            let settle = ContinuousClock.now + .seconds(5)
            while !outputs.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) && ContinuousClock.now < settle {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        _ = await proxy.finished(timeout: .seconds(2))
        await proxy.stop()
        if let reason = proxy.upstreamFailure { session.aliceFailure = session.aliceFailure ?? reason }
        if let feedFailure { session.bobFailure = session.bobFailure.map { "\($0); \(feedFailure)" } ?? feedFailure }
        session.wire = proxy.observation
        // A key output the harness cannot read is the stack's fault: the case fails, naming it.
        for (role, path) in [(Role.alice, fill(file.alice.keyOutput)), (Role.bob, fill(file.bob.keyOutput))] {
            do {
                let keys = try KeyOutput.read(path: path)
                if role == .alice { session.aliceKeys = keys } else { session.bobKeys = keys }
            } catch {
                session.malformedKeyOutput.append("\(role == .alice ? "Alice" : "Bob"): \(error)")
            }
        }
        session.capturePath = capture
        session.directory = keepsEvidence || keepsDirectory ? dir : nil
        session.blocksFed = blocks
        session.blockPulses = blockPulses
        session.referenceKey = file.authKey == nil
        // A node that could not bind its port never took part: the session says nothing of the
        // stack, and is run again on other ports.
        session.lostPortRace = nodes.contains { $0.process.lastError()?.contains(Self.addressInUse) == true }
        return session
    }

    /// strerror(EADDRINUSE), as nodes (the reference's among them) report a failed bind.
    static let addressInUse = "Address already in use"

    package func release(_ session: Session) {
        if let dir = session.directory { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Connects to a node's quantum-layer interface, retrying while the node starts — and giving
    /// up at once if its process has already ended.
    static func feed(_ address: HostPort, node: ManagedNode?, deadline sessionEnd: ContinuousClock.Instant) async throws -> QuantumLayerFeeder {
        let deadline = min(ContinuousClock.now + .seconds(10), sessionEnd)
        while true {
            try Task.checkCancellation()
            do { return try await QuantumLayerFeeder.connect(to: address, timeout: .milliseconds(200)) } catch {
                if let node, !node.isRunning { throw HarnessError("the node ended before its quantum-layer interface at \(address) took a block") }
                if ContinuousClock.now > deadline { throw error }
            }
        }
    }

    package func probe(_ node: Role) throws -> NodeProcessProbe? {
        let spec = node == .alice ? file.alice : file.bob
        guard let command = spec.command else { return nil }
        let dir = try newDirectory()
        let v = try values(directory: dir, seed: 0)
        // Alice listens on her control address; Bob connects to where the proxy would listen.
        let reach: NodeProcessProbe.Reach
        if node == .alice {
            reach = .connect(port: try TargetFile.address(TargetFile.fill(file.alice.control ?? "127.0.0.1:{alice_control_port}", v), field: "alice.control").port)
        } else {
            reach = .accept(port: try TargetFile.address(TargetFile.fill(file.proxyListen ?? "127.0.0.1:{proxy_port}", v), field: "proxy_listen").port)
        }
        return NodeProcessProbe(node: node == .alice ? "Alice" : "Bob", command: command.map { TargetFile.fill($0, v) }, reach: reach,
                                directory: dir, environment: (spec.environment ?? [:]).mapValues { TargetFile.fill($0, v) })
    }
}

/// A node process the harness started, its standard output and error in a log file.
final class ManagedNode: Sendable {
    private let process: ChildProcess
    private let logPath: String

    init(command: [String], environment: [String: String], log logPath: String) throws {
        self.logPath = logPath
        do { process = try ChildProcess(command: command, environment: environment, output: .file(logPath), errors: .file(logPath)) } catch {
            throw HarnessError("cannot start the node: \(error)")
        }
    }

    /// Waits for the process to end, killing it at `deadline`.
    func wait(until deadline: ContinuousClock.Instant) async -> NodeEnding { await process.wait(until: deadline) }

    var isRunning: Bool { process.isRunning }

    /// The process ID (for sampling its resources).
    var pid: Int32 { process.pid }

    /// Kills the node's process group (whatever it started goes with it).
    func kill() { process.kill() }

    /// The node's last "error:" line, or the last line of its log.
    func lastError() -> String? {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n")
        return (lines.last { $0.hasPrefix("error:") } ?? lines.last).map(String.init)
    }
}
