import ArgumentParser
import Foundation
import Logging
import Node
import PostProcessing
import Wire

/// `qkdspec node`: run the reference QKD node.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a reference QKD node (Alice or Bob) over TCP.",
        discussion: """
            The node receives raw detection records on its quantum-layer interface (--qli-listen), \
            runs the reference post-processing with its peer over the control channel (Alice \
            listens, Bob connects), authenticates every frame with Wegman–Carter tags from the \
            pre-shared --auth-key, and keeps the final keys in its key store.

            On stdout it prints JSON lines: {"event":"listening",...} once its sockets are bound \
            (port 0 picks a free port), and {"event":"summary",...} when the session ends. Logs go \
            to stderr. SIGINT or SIGTERM stops it cleanly: keys and summary are still written.

            Bug knobs (--bug NAME, repeatable) plant one realistic defect each, so the harness can \
            prove it catches them; --list-bugs lists them. A clean node is the default.

            Examples:
              qkdspec node --role alice --control-listen 127.0.0.1:7000 --qli-listen 127.0.0.1:7100 --auth-key psk.hex
              qkdspec node --role bob --control-connect 127.0.0.1:7000 --qli-listen 127.0.0.1:7101 --auth-key psk.hex
              qkdspec node --list-bugs

            Exit codes: 0 session complete, 1 the session failed (peer abort, authentication, \
            protocol violation), 2 configuration error, 3 network failure or timeout.
            """
    )

    @Option(help: "alice (listens for the control channel) or bob (connects).")
    var role: Role?

    @Option(help: "Listen for the peer's control connection on HOST:PORT (Alice).")
    var controlListen: String?

    @Option(help: "Connect to the peer's control channel at HOST:PORT (Bob).")
    var controlConnect: String?

    @Option(help: "Listen for the quantum-layer interface on HOST:PORT.")
    var qliListen: String?

    @Option(help: "Pre-shared authentication key file (hex text or raw bytes, at least 64 bytes).")
    var authKey: String?

    @Option(help: "Write the delivered keys here (JSON lines with hex key material, mode 0600) when the session ends.")
    var keyOutput: String?

    @Option(help: "Record the control channel to this pcap file (open it with tools/wireshark/qkdspec.lua).")
    var pcap: String?

    @Option(help: "Sifted signal bits per post-processing frame.")
    var frameBits = 1 << 17

    @Option(help: "Declared QBER abort threshold (Alice proposes it).")
    var qberThreshold = ReferenceDefaults.qberThreshold

    @Option(help: "Declared ε of secrecy (the finite-key bound's).")
    var epsilonSecrecy = ReferenceDefaults.epsilonSecrecy

    @Option(help: "Declared ε of correctness (sets how many verification hashes a frame gets).")
    var epsilonCorrectness = ReferenceDefaults.epsilonCorrectness

    @Option(help: "Cascade variant.")
    var cascade = CascadeVariant.extended

    @Option(help: "Fraction of each frame disclosed for parameter estimation.")
    var sampleFraction = ReferenceDefaults.sampleFraction

    @Option(help: "Seconds of silence from the peer before giving up.")
    var idleTimeout = 30

    @Option(name: .customLong("bug"), help: ArgumentHelp("Plant a defect (repeatable); see --list-bugs.", valueName: "knob"))
    var bugs: [BugKnob] = []

    @Flag(help: "List the bug knobs and exit.")
    var listBugs = false

    @Option(help: "Log level.")
    var logLevel = Logger.Level.notice

    func configuration() throws -> NodeConfiguration {
        guard let r = role else { throw UsageError("--role alice or --role bob is required") }
        let control: NodeConfiguration.ControlEndpoint
        switch (controlListen, controlConnect) {
        case (let l?, nil): control = .listen(try HostPort(parsing: l))
        case (nil, let c?): control = .connect(try HostPort(parsing: c))
        default: throw UsageError("give exactly one of --control-listen (Alice) and --control-connect (Bob)")
        }
        guard let qli = qliListen else { throw UsageError("--qli-listen HOST:PORT is required") }
        guard let keyPath = authKey else { throw UsageError("--auth-key FILE is required") }
        let variant = cascade, knobs = Set(bugs)
        guard SessionParameters.acceptedFrameBits.contains(frameBits) else { throw UsageError("--frame-bits must lie in 1024 ... 2^24") }
        guard ReferenceDefaults.acceptsQBERThreshold(qberThreshold) else {
            throw UsageError("--qber-threshold must lie in \(ReferenceDefaults.acceptedQBERThresholdText)")
        }
        guard SessionParameters.acceptsSampleFraction(sampleFraction) else {
            throw UsageError("--sample-fraction must lie in \(SessionParameters.acceptedSampleFractionText)")
        }
        for (name, epsilon) in [("--epsilon-secrecy", epsilonSecrecy), ("--epsilon-correctness", epsilonCorrectness)] {
            guard epsilon > 0, epsilon < 1 else { throw UsageError("\(name) must lie in (0, 1)") }
        }
        guard idleTimeout >= 1, idleTimeout <= 86_400 else { throw UsageError("--idle-timeout must lie in 1 ... 86400 s") }
        var config = NodeConfiguration(
            role: r, control: control, quantumLayer: try HostPort(parsing: qli),
            authenticationKey: try NodeConfiguration.loadAuthenticationKey(path: keyPath),
            parameters: PostProcessingParameters(cascade: variant, qberThreshold: qberThreshold, sampleFraction: sampleFraction,
                                                 epsilonSecrecy: epsilonSecrecy, epsilonCorrectness: epsilonCorrectness),
            frameBits: frameBits, bugs: knobs, keyOutput: keyOutput, idleTimeout: .seconds(idleTimeout))
        config.capturePath = pcap
        return config
    }

    func run() async throws {
        if listBugs {
            // Padded to the longest name (padding(toLength:) would cut a longer one).
            let width = (BugKnob.allCases.map(\.rawValue.count).max() ?? 0) + 2
            for knob in BugKnob.allCases { print(knob.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + knob.summary) }
            return
        }
        let config: NodeConfiguration
        do { config = try configuration() } catch let e as NodeError { throw UsageError(e.description) } catch let e as HostPortError {
            throw UsageError(e.description)
        }
        AllocatorTuning.keepLargeBuffersOnHeap()
        var logger = Logger(label: "qkdspec.node.\(config.name)") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        let log = logger

        let engine: NodeEngine
        do { engine = try NodeEngine(configuration: config, logger: log) } catch { throw UsageError(error.description) }
        // The trap goes up before the node announces itself, so a signal is never the default kill.
        let stop = StopRequest()
        let signals = SignalTrap(signals: [SIGINT, SIGTERM]) { signal in
            log.notice("stopping on signal \(signal)")
            stop.request()
        }
        defer { signals.cancel() }
        let work = Task { () throws -> Void in
            try await QKDNode.run(config, engine: engine, logger: log) { listening in emitJSON(listening) }
        }
        stop.attach(work)

        var exitCode: Int32 = 0
        do {
            try await work.value
        } catch is CancellationError {
            log.notice("stopped: the keys delivered so far and the summary are written")
        } catch let e as NodeError {
            switch e {
            case .configuration: exitCode = ExitStatus.usage
            case .network, .timeout: exitCode = ExitStatus.harnessFailure
            default: exitCode = ExitStatus.conformanceFailure
            }
            log.error("session failed: \(e)")
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
        } catch {
            exitCode = ExitStatus.harnessFailure
            log.error("session failed: \(error)")
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        }
        // However the session ended, what was delivered is written, and the summary says so.
        if let path = config.keyOutput {
            try QKDNode.writeKeys(await engine.depositLog, to: path)
        }
        var summary = await engine.finalSummary()
        summary.role = config.role.optionName
        emitJSON(SummaryEvent(summary: summary))
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}

/// The summary line a node prints at the end.
struct SummaryEvent: Encodable {
    var event = "summary"
    var summary: NodeSummary
}

/// One compact JSON line on stdout, flushed at once (the demo and the harness read these).
func emitJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return }
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
