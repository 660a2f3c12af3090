import ArgumentParser
import Foundation
import Harness
import KeyDelivery
import Node
import Reports

/// `qkdspec fuzz`: the network fuzzer against a live stack.
struct FuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz a live QKD stack: mutated control-channel frames through the harness's proxy, or (--etsi014) mutated ETSI 014 requests to its KMEs; findings with reproducers.",
        discussion: """
            Every session runs the stack's two nodes on simulated photons with the harness as the man in the middle of their control channel, like `qkdspec run`; the fuzzer alters a few frames on their way: the length, type, flags, sequence number, session ID or version in the header, a cut (then the connection closes), two frames spliced, a bit of the payload or of the tag, a payload field (counts, offsets, booleans) overwritten or the payload resized. Header and payload changes are re-authenticated with the pre-shared key the harness holds, most of the time, so the stack's decoders and state machine are reached and not only its tag check. Sessions favour mutations that showed new behaviour (a new ending, ERROR code, ABORT reason, or place where a side's stream stopped).

            Findings: a node that dies of a signal (crash); a node still running at --hang-timeout (hang); a node process whose resident memory or open descriptors pass --rss-limit-mib or --fd-limit (resource-blow-up); a node that completes its session although it received a frame it must refuse — a tag that no longer verifies, a broken header or framing, a frame out of sequence — or keys that differ under one key ID (wrong-acceptance). After a crash or hang a clean session checks the stack still works. Each finding is minimised (mutations dropped one by one, moved to an earlier frame, parameters shrunk), rerun --reruns times, and, when every rerun shows it, saved under --findings: reproducer.json (target, seed, mutations), session.pcap (a rerun as the proxy relayed it) and reproduce.sh, whose one line replays it: `qkdspec fuzz --reproduce DIR/reproducer.json` (exit 1: reproduced, 0: not).

            A progress line on standard error shows sessions, sessions per second, distinct behaviours and findings. docs/fuzzing.md explains the mutations, the detectors and the reproducers.

            --etsi014 fuzzes a KME pair instead (ETSI GS QKD 014): valid status, enc_keys (GET, POST) and dec_keys (GET, POST) requests, mutated structure-aware — the method, the path's method, the SAE ID in the path (.., %2e%2e, encoded slashes, another SAE's ID, empty, very long, NUL, overlong UTF-8, Unicode), query values (negative, zero, 2^63, 1e309, floats, strings, repeated), JSON members (wrong types, missing, extra, duplicated, nested, huge numbers, NUL, lone surrogates, invalid UTF-8), key_IDs lists, the whole body (empty, truncated, not JSON), an unknown extension_mandatory, the Content-Type, another SAE's certificate. Findings, judged against the standard and what the KMEs declare (their status; the target file's multiples_of_8_only): server-error (a 5xx other than 503), wrong-acceptance (a 200 for a request that must be refused: size or number out of the declared bounds, a size not a multiple of 8 where declared, an unknown mandatory extension, malformed JSON, wrong types, a path naming another SAE, a caller not attached), malformed-response (a body that breaks Tables 9, 11 or 13), hang (no answer within --request-timeout) and crash (the connection dropped; a valid status request follows to see if the KME still serves). Without --target the reference KME pair runs in this process, with --kme-bug knobs. Each finding (one per kind and endpoint) is minimised within --minimise-budget requests, rerun --reruns times and saved under --findings as etsi014-N-KIND-ENDPOINT/: reproducer.json (seed, mutations, the exact request) and reproduce.sh; the same --reproduce replays it. The progress line counts requests.

            Examples:
              qkdspec fuzz --duration 60s --seed 1
              qkdspec fuzz --reference-bug crash-on-oversized-frame --duration 60s --max-findings 1
              qkdspec fuzz --target examples/targets/reference.json --duration 10m --sarif fuzz.sarif --json fuzz.json
              qkdspec fuzz --reproduce fuzz-findings/1-crash-alice/reproducer.json
              qkdspec fuzz --etsi014 --kme-bug 500-on-bad-json --duration 30s --seed 1
              qkdspec fuzz --etsi014 --target pki/target.json --duration 10m --sarif kme.sarif
              qkdspec fuzz --reproduce fuzz-findings/etsi014-1-server-error-enc_keys/reproducer.json

            Exit codes: 0 no finding (or, with --reproduce, the finding did not reproduce), 1 findings (reproduced), 2 usage or configuration error, 3 the harness could not run sessions (the target fails a clean session; with --etsi014: the master KME does not answer a valid status request), 130 interrupted.
            """
    )

    @Option(help: "Target file (JSON, docs/targets.md). Default: the reference nodes as processes (with --etsi014: the reference KME pair).")
    var target: String?

    @Flag(name: .customLong("etsi014"), help: "Fuzz the target's KME pair (ETSI GS QKD 014 requests) instead of its nodes' control channel.")
    var etsi014 = false

    @Option(name: .customLong("kme-bug"), help: ArgumentHelp("With --etsi014: switch on a bug knob of the reference KME pair (repeatable); see qkdspec kme serve --list-bugs.", valueName: "knob"))
    var kmeBugs: [String] = []

    @Option(name: .customLong("request-timeout"), help: "With --etsi014: seconds without an answer after which a request has hung.")
    var requestTimeout = 5.0

    @Option(name: .customLong("max-requests"), help: "With --etsi014: stop after this many fuzzed requests.")
    var maxRequests: Int?

    @Option(name: .customLong("reference-bug"), help: ArgumentHelp("Switch on a bug knob of the reference stack (repeatable); see qkdspec node --list-bugs.", valueName: "knob"))
    var referenceBugs: [BugKnob] = []

    @Option(help: "How long to fuzz: 90, 90s, 10m or 1h (minimising and rerunning a finding may add to it).")
    var duration = "60s"

    @Option(help: "Seed of every choice the fuzzer makes (default: fresh, printed).")
    var seed: UInt64?

    @Option(name: .customLong("hang-timeout"), help: "Seconds after which a node still running has hung (default: 15 for the reference, the file's session_timeout_s or 60 otherwise).")
    var hangTimeout: Double?

    @Option(name: .customLong("idle-timeout"), help: "Reference nodes: seconds of silence before they give up on their peer; keep it well under --hang-timeout.")
    var idleTimeout = 5

    @Option(help: "Quantum-layer blocks per session (default: 4 for the reference, the file's blocks otherwise).")
    var blocks: Int?

    @Option(name: .customLong("rss-limit-mib"), help: "A node whose resident memory (VmRSS, sampled every 50 ms) passes this many MiB is a resource blow-up.")
    var rssLimit = 1024

    @Option(name: .customLong("fd-limit"), help: "A node holding more open file descriptors than this is a resource blow-up.")
    var fdLimit = 256

    @Option(name: .customLong("max-findings"), help: "Stop once this many findings are saved.")
    var maxFindings: Int?

    @Option(name: .customLong("max-sessions"), help: "Stop after this many fuzzed sessions.")
    var maxSessions: Int?

    @Option(help: "Where the reproducer directories go.")
    var findings = "fuzz-findings"

    @Option(help: "Reruns of a minimised finding; it is saved when every one of them shows it.")
    var reruns = 3

    @Option(name: .customLong("minimise-budget"), help: "Sessions (with --etsi014: requests) minimisation may spend on one finding (default 8; 40 with --etsi014).")
    var minimiseBudget: Int?

    @Option(help: "Replay a reproducer (reproducer.json of a finding) once and say whether it reproduces.")
    var reproduce: String?

    @Option(help: "With --reproduce: write the replayed session's control channel to this pcap file.")
    var pcap: String?

    @Option(help: "Write the JSON report here ('-': standard output).")
    var json: String?

    @Option(help: "Write a JUnit XML report here (a failing test case per finding).")
    var junit: String?

    @Option(help: "Write the self-contained HTML report here.")
    var html: String?

    @Option(help: "Write a SARIF 2.1.0 log here (a result per finding), for code-scanning dashboards.")
    var sarif: String?

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        if target != nil && !referenceBugs.isEmpty { throw ValidationError("--reference-bug applies to the reference stack only; leave out --target") }
        if target == "in-process" { throw ValidationError("the network fuzzer needs node processes (a crash must not take the harness down): leave out --target in-process") }
        if let hangTimeout, !(hangTimeout > 0 && hangTimeout <= 3600) { throw ValidationError("--hang-timeout must lie in (0, 3600] seconds") }
        guard (1...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must lie in 1 ... 86400 s") }
        if let blocks, !(1...1000).contains(blocks) { throw ValidationError("--blocks must lie in 1 ... 1000") }
        if let maxFindings, maxFindings < 1 { throw ValidationError("--max-findings must be at least 1") }
        if let maxSessions, maxSessions < 1 { throw ValidationError("--max-sessions must be at least 1") }
        guard rssLimit >= 1, fdLimit >= 3 else { throw ValidationError("--rss-limit-mib must be at least 1 and --fd-limit at least 3") }
        guard (1...20).contains(reruns) else { throw ValidationError("--reruns must lie in 1 ... 20") }
        if let minimiseBudget, !(0...100).contains(minimiseBudget) { throw ValidationError("--minimise-budget must lie in 0 ... 100") }
        if etsi014 {
            if !referenceBugs.isEmpty { throw ValidationError("--reference-bug switches on node bugs; with --etsi014 use --kme-bug (qkdspec kme serve --list-bugs)") }
            if hangTimeout != nil { throw ValidationError("--hang-timeout is for node sessions; with --etsi014 use --request-timeout") }
            if blocks != nil || maxSessions != nil { throw ValidationError("--blocks and --max-sessions are for node sessions; with --etsi014 use --max-requests") }
            if target != nil && !kmeBugs.isEmpty { throw ValidationError("--kme-bug applies to the reference KME pair only; leave out --target") }
        } else {
            if !kmeBugs.isEmpty { throw ValidationError("--kme-bug goes with --etsi014 (it plants a bug in the reference KME pair)") }
            if maxRequests != nil { throw ValidationError("--max-requests goes with --etsi014; node campaigns stop with --max-sessions") }
        }
        guard requestTimeout > 0 && requestTimeout <= 600 else { throw ValidationError("--request-timeout must lie in (0, 600] seconds") }
        if let maxRequests, maxRequests < 1 { throw ValidationError("--max-requests must be at least 1") }
        if pcap != nil && reproduce == nil { throw ValidationError("--pcap goes with --reproduce (a campaign saves a pcap per finding)") }
        _ = try Self.parseDuration(duration)
    }

    /// "90", "90s", "10m", "1h" as a duration.
    static func parseDuration(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = text, scale = 1.0
        for (suffix, s) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            scale = s
            break
        }
        guard let v = Double(number), v > 0, v * scale <= 7 * 86_400 else {
            throw ValidationError("--duration '\(text)': give a positive number of seconds, optionally with s, m or h (e.g. 60s, 10m), at most a week")
        }
        return .milliseconds(Int64(v * scale * 1000))
    }

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-fuzz-\(UUID().uuidString)").path
        do { try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true) } catch {
            throw UsageError("cannot create a scratch directory \(work): \(FileProblem.reason(error))")
        }
        defer { try? FileManager.default.removeItem(atPath: work) }
        if let reproduce {
            if KMEFuzzReproducer.isOne(path: reproduce) { return try await replayKME(reproduce) }
            return try await replay(reproduce, work: work)
        }
        if etsi014 { return try await runKME() }

        let outputs = ReportFiles(json: json, junit: junit, html: html, sarif: sarif)
        try outputs.check()
        if outputs.usesStandardOutput { ReportFiles.moveConsoleToStandardError() }
        let spec = try makeSpec()
        let findingsDir = RunCommand.absolute(findings)
        // The directory is made when the first finding is saved; it (or where it goes) must be writable now.
        let probe = FileManager.default.fileExists(atPath: findingsDir) ? "\(findingsDir)/reproducer.json" : findingsDir
        if let why = FileProblem.unwritable(probe) { throw UsageError("--findings \(findings) cannot be written: \(why)") }
        let runSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var options = NetworkFuzzer.Options(spec: spec, seed: runSeed, duration: try Self.parseDuration(duration), findingsDirectory: findingsDir,
                                            executable: ChildProcess.selfExecutable, workRoot: work)
        options.maxFindings = maxFindings
        options.maxSessions = maxSessions
        options.reruns = reruns
        options.minimiseBudget = minimiseBudget ?? 8
        let me = ChildProcess.selfExecutable
        let fuzzer = NetworkFuzzer(options: options) { file in
            [me, "fuzz", "--reproduce", file].map(ShellWord.quote).joined(separator: " ")
        }
        print("qkdspec fuzz: target \(spec.name), seed \(runSeed), duration \(duration), hang timeout \(spec.hangTimeoutSeconds) s, \(spec.blocks) blocks per session")
        print("  rerun this campaign: \(campaignLine(seed: runSeed))")
        let line = FuzzProgressLine(enabled: !quiet)
        let stop = StopRequest()
        let signals = SignalTrap(signals: [SIGINT, SIGTERM]) { _ in
            stop.request()
            ChildProcess.stopAll()
        }
        let task = Task { () throws -> NetworkFuzzReport in
            try await fuzzer.run(progress: { p in line.update(p) }, found: { f in
                line.clear()
                print("FINDING \(f.kind.rawValue) (\(f.node)): \(f.detail)")
                print("  mutations: \(f.mutations.map(\.description).joined(separator: "; "))")
                print("  reproduced \(f.reproduced)/\(f.reruns); reproducer: \(f.directory ?? "-")")
                print("  reproduce: \(f.reproduce)")
            })
        }
        stop.attach(task)
        let report: NetworkFuzzReport
        do { report = try await task.value } catch let e as HarnessError {
            line.clear()
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(ExitStatus.harnessFailure)
        }
        signals.cancel()
        line.clear()
        var final = report
        if stop.isRequested { final.interrupted = true }
        print("\(final.findings.isEmpty ? "no finding" : "\(final.findings.count) finding\(final.findings.count == 1 ? "" : "s")") in \(final.sessions) sessions (\(String(format: "%.2f", final.sessionsPerSecond)) sessions/s, \(final.behaviours) distinct behaviours, \(String(format: "%.0f", final.seconds)) s)\(final.interrupted ? " — interrupted" : "")")
        for u in final.unconfirmed { print("  not reproduced: \(u)") }
        try outputs.write(fuzz: final)
        if final.exitCode != 0 { throw ExitCode(final.exitCode) }
    }

    /// The target as the fuzzer runs it (and a reproducer records it).
    func makeSpec() throws -> FuzzTargetSpec {
        var spec = try baseSpec()
        spec.limits = ResourceLimits(residentMiB: rssLimit, openFiles: fdLimit)
        return spec
    }

    func baseSpec() throws -> FuzzTargetSpec {
        if let target {
            let path = RunCommand.absolute(target)
            let file: TargetFile
            do { file = try TargetFile.load(path: path) } catch { throw UsageError("\(error)") }
            let spec = FuzzTargetSpec(referenceBugs: nil, file: path, hangTimeoutSeconds: hangTimeout ?? file.sessionTimeoutSeconds ?? 60,
                                      idleTimeoutSeconds: idleTimeout, blocks: blocks ?? file.blocks ?? 12)
            do { _ = try spec.makeTarget(executable: ChildProcess.selfExecutable, workRoot: FileManager.default.temporaryDirectory.path) } catch {
                throw UsageError("\(error)")
            }
            return spec
        }
        let spec = FuzzTargetSpec(referenceBugs: referenceBugs.sorted { $0.rawValue < $1.rawValue }, file: nil, hangTimeoutSeconds: hangTimeout ?? 15,
                                  idleTimeoutSeconds: idleTimeout, blocks: blocks ?? 4)
        if Double(idleTimeout) >= spec.hangTimeoutSeconds {
            throw UsageError("--idle-timeout (\(idleTimeout) s) must be under --hang-timeout (\(spec.hangTimeoutSeconds) s): a node waiting on a peer the fuzzer silenced would count as hung")
        }
        return spec
    }

    /// The line that reruns this campaign with the same choices.
    func campaignLine(seed: UInt64) -> String {
        var words = [ChildProcess.selfExecutable, "fuzz", "--seed", String(seed), "--duration", duration]
        if let target { words += ["--target", RunCommand.absolute(target)] }
        words += referenceBugs.map(\.rawValue).sorted().flatMap { ["--reference-bug", $0] }
        if let hangTimeout { words += ["--hang-timeout", String(hangTimeout)] }
        if let blocks { words += ["--blocks", String(blocks)] }
        if etsi014 {
            words += ["--etsi014", "--request-timeout", String(requestTimeout)] + kmeBugs.sorted().flatMap { ["--kme-bug", $0] }
        }
        return words.map(ShellWord.quote).joined(separator: " ")
    }

    /// `--reproduce FILE`: one replay; exit 1 when the recorded finding shows again.
    func replay(_ path: String, work: String) async throws {
        let r: NetworkFuzzReproducer
        do { r = try NetworkFuzzReproducer.load(path: path) } catch { throw UsageError("\(error)") }
        print("replaying \(r.expectedKind.rawValue) (\(r.expectedNode)) on \(r.target.name), session seed \(r.sessionSeed): \(r.mutations.map(\.description).joined(separator: "; "))")
        let outcome: (finding: (kind: NetworkFinding.Kind, node: String, detail: String)?, matches: Bool)
        do {
            outcome = try await NetworkFuzzer.replay(r, executable: ChildProcess.selfExecutable, workRoot: work, capture: pcap.map(RunCommand.absolute))
        } catch let e as HarnessError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(ExitStatus.harnessFailure)
        }
        if outcome.matches, let f = outcome.finding {
            print("REPRODUCED \(f.kind.rawValue) (\(f.node)): \(f.detail)")
            throw ExitCode(ExitStatus.conformanceFailure)
        }
        if let f = outcome.finding {
            print("not reproduced as recorded; the session showed \(f.kind.rawValue) (\(f.node)) instead: \(f.detail)")
            throw ExitCode(ExitStatus.conformanceFailure)
        }
        print("not reproduced: the session showed no crash, hang or wrong acceptance")
    }
}

/// The campaign's progress line on standard error: rewritten in place on a terminal (at most
/// twice a second), a plain line every 10 s otherwise.
final class FuzzProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private var last = ContinuousClock.now - .seconds(60)
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: NetworkFuzzer.Progress) {
        guard enabled else { return }
        show(String(format: "%@: %d sessions, %.2f sessions/s, %d behaviours, %d findings, %.0f s", p.phase, p.sessions, p.sessionsPerSecond,
                    p.behaviours, p.findings, p.seconds))
    }

    /// The ETSI 014 campaign's line: requests instead of sessions.
    func update(_ p: KMEFuzzer.Progress) {
        show(String(format: "%@: %d requests, %.1f requests/s, %d behaviours, %d findings, %.0f s", p.phase, p.requests, p.requestsPerSecond,
                    p.behaviours, p.findings, p.seconds))
    }

    private func show(_ text: String) {
        guard enabled else { return }
        lock.withLock {
            let now = ContinuousClock.now
            guard now - last >= (terminal ? .milliseconds(500) : .seconds(10)) else { return }
            last = now
            FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
            shown = terminal
        }
    }

    func clear() {
        lock.withLock {
            if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            shown = false
        }
    }
}
