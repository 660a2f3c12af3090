import ArgumentParser
import Foundation
import KeyDelivery
import Logging

/// `qkdspec kme`: the reference KME pair (ETSI GS QKD 014) and its load test.
struct KMECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kme", abstract: "The reference KME pair (ETSI GS QKD 014 key delivery over mutual TLS) and its load test.",
        subcommands: [KMEServeCommand.self, KMEBenchCommand.self])
}

struct KMEServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a master KME (Alice's node keys) and a slave KME (Bob's) over HTTPS with mutual TLS.",
        discussion: """
            The config file (docs/etsi014.md; `qkdspec pki init` writes one) names the CA, each KME's ID, certificate, \
            key, listen address and attached SAE, and where the keys come from: the reference nodes' key output files \
            (master.key_output, slave.key_output), or a simulated link (simulated_keys). Paths are relative to the file.

            The SAE ID of a caller is the subject CN of its client certificate. On stdout: one JSON line \
            {"event":"listening","master_port":P,"slave_port":Q} once both KMEs listen. SIGINT/SIGTERM stops both. \
            The key store is volatile: status says so in status_extension.qkdspec_volatile_store.

            Bug knobs (--bug NAME, repeatable) plant one realistic deviation each; --list-bugs lists them.

            Exit codes: 0 stopped by a signal, 2 configuration error, 3 the servers could not run.
            """)

    @Option(help: "The KME pair's configuration (JSON).")
    var config: String?

    @Option(name: .customLong("bug"), help: "Switch on a KME bug knob (repeatable).")
    var bugs: [String] = []

    @Flag(name: .customLong("list-bugs"), help: "List the bug knobs and exit.")
    var listBugs = false

    func run() async throws {
        if listBugs {
            for k in KMEBugKnob.allCases { print("\(k.rawValue.padding(toLength: 30, withPad: " ", startingAt: 0)) \(k.summary)") }
            return
        }
        guard let config else { throw UsageError("--config FILE is required (qkdspec pki init DIR writes DIR/kme.json)") }
        let knobs = try Self.knobs(bugs)
        let settings: KMEServeConfiguration
        do { settings = try KMEServeConfiguration.load(path: config) } catch { throw UsageError("\(config): \(error)") }
        let server = KMEPairServer(
            link: settings.makeLink(bugs: knobs),
            master: settings.master.endpoint, slave: settings.slave.endpoint, caPath: settings.ca, logger: Self.logger)
        let task = Task {
            try await server.run { m, s in
                FileHandle.standardOutput.write(Data("{\"event\":\"listening\",\"master_port\":\(m),\"slave_port\":\(s)}\n".utf8))
            }
        }
        let signals = SignalTrap(signals: [SIGINT, SIGTERM]) { _ in task.cancel() }
        defer { signals.cancel() }
        do { try await task.value } catch is CancellationError { return } catch let e as KeyDeliveryError {
            if case .configuration = e { throw UsageError("\(e)") }
            throw ExitCode(ExitStatus.harnessFailure)
        } catch {
            if task.isCancelled { return }
            FileHandle.standardError.write(Data("error: the KME pair stopped: \(error)\n".utf8))
            throw ExitCode(ExitStatus.harnessFailure)
        }
    }

    static let logger: Logger = {
        var l = Logger(label: "qkdspec.kme")
        l.logLevel = .warning
        return l
    }()

    static func knobs(_ names: [String]) throws -> Set<KMEBugKnob> {
        var out = Set<KMEBugKnob>()
        for b in names {
            guard let k = KMEBugKnob(rawValue: b) else { throw UsageError("unknown KME bug knob '\(b)'; see qkdspec kme serve --list-bugs") }
            out.insert(k)
        }
        return out
    }
}

struct KMEBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load a KME pair: N concurrent SAE clients for T seconds of enc_keys on the master and dec_keys on the slave.",
        discussion: """
            Reports requests per second, p50/p99 latency of each method, and the invariants: no key_ID or key material \
            delivered twice, every key the master delivered retrieved once from the slave with identical bytes (none lost), \
            no 5xx. With no --target, the reference KME pair is started in this process (a temporary PKI, free ports).

            Examples:
              qkdspec kme bench --clients 8 --seconds 10
              qkdspec kme bench --target pki/target.json --format json

            Exit codes: 0 every invariant held, 1 an invariant broke, 2 usage error, 3 the pair could not be reached.
            """)

    @Option(help: "A target file with a kme object (default: the reference pair in this process).")
    var target: String?
    @Option(help: "Concurrent SAE client pairs.")
    var clients = 4
    @Option(help: "Seconds of load.")
    var seconds = 5.0
    @Option(help: "Keys per enc_keys request.")
    var keys = 1
    @Option(help: "text or json.")
    var format = "text"

    func run() async throws {
        guard (1...256).contains(clients) else { throw UsageError("--clients must lie in 1 ... 256") }
        guard seconds > 0 && seconds <= 600 else { throw UsageError("--seconds must lie in (0, 600]") }
        guard (1...128).contains(keys) else { throw UsageError("--keys must lie in 1 ... 128") }
        guard format == "text" || format == "json" else { throw UsageError("--format must be text or json") }
        var pair: ReferenceKMEPair?
        let kme: KMETarget
        if let target {
            do {
                guard let t = try KMETarget.load(path: target) else { throw UsageError("\(target): no kme object") }
                kme = t
            } catch let e as KeyDeliveryError { throw UsageError("\(e)") }
        } else {
            var limits = KMELimits()
            limits.maxKeyCount = 1_000_000
            // Enough simulated key for the run: 20 000 keys of 64 kbit (1.28 Gbit, 5 M keys of 256 bits).
            let p = try await ReferenceKMEPair.start(limits: limits, simulatedKeys: (20_000, 65_536))
            pair = p
            kme = p.target
        }
        var bench = KMEBench()
        bench.clients = clients
        bench.seconds = seconds
        bench.keysPerRequest = keys
        let result: KMEBench.Result
        do { result = try await bench.run(kme) } catch {
            await pair?.stop()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.harnessFailure)
        }
        await pair?.stop()
        if format == "json" {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try e.encode(result), as: UTF8.self))
        } else {
            print(String(format: "%d clients, %.1f s: %d requests, %.0f requests/s", result.clients, result.seconds, result.requests, result.requestsPerSecond))
            print(String(format: "enc_keys p50 %.2f ms, p99 %.2f ms; dec_keys p50 %.2f ms, p99 %.2f ms",
                         result.encP50Ms, result.encP99Ms, result.decP50Ms, result.decP99Ms))
            print("keys \(result.keysDelivered); duplicate IDs \(result.duplicateKeyIDs), duplicate material \(result.duplicateKeyMaterial), lost \(result.lostKeys), mismatched \(result.mismatchedKeys), 5xx \(result.serverErrors), pool exhausted \(result.exhausted)")
            print(result.invariantsHold ? "invariants: hold" : "invariants: BROKEN")
        }
        if !result.invariantsHold { throw ExitCode(ExitStatus.conformanceFailure) }
    }
}
