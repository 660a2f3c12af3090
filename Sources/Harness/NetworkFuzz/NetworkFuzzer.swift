import Foundation
import PostProcessing
import QuantumChannel
import Wire

/// The network fuzzer (`qkdspec fuzz`): live sessions of a stack through the harness's proxy,
/// each with a few structure-aware mutations of its control-channel frames (``WireMutation``),
/// scheduled toward new behaviour (``MutationScheduler``). A session whose node crashed, hung or
/// accepted what it must refuse is a suspect: it is minimised (mutations dropped one by one,
/// then each simplified), rerun, and — when every rerun shows it again — saved as a
/// reproducer: reproducer.json (seed and mutations), session.pcap (a rerun, as the proxy relayed
/// it) and reproduce.sh (the one line that replays it).
package struct NetworkFuzzer: Sendable {
    package struct Options: Sendable {
        package var spec: FuzzTargetSpec
        package var seed: UInt64
        package var duration: Duration
        /// Stop once this many findings are saved (nil: run for the whole duration).
        package var maxFindings: Int?
        /// Stop after this many fuzzed sessions (nil: no limit).
        package var maxSessions: Int?
        /// Where reproducer directories go (created when the first finding is saved).
        package var findingsDirectory: String
        /// Reruns of a minimised finding; it is saved when every one of them shows it.
        package var reruns = 3
        /// Sessions minimisation may spend on one finding.
        package var minimiseBudget = 8
        /// The executable that starts reference nodes and replays reproducers.
        package var executable: String
        /// Where session directories go.
        package var workRoot: String

        package init(spec: FuzzTargetSpec, seed: UInt64, duration: Duration, findingsDirectory: String, executable: String, workRoot: String) {
            self.spec = spec
            self.seed = seed
            self.duration = duration
            self.findingsDirectory = findingsDirectory
            self.executable = executable
            self.workRoot = workRoot
        }
    }

    /// How the campaign is doing, for the progress line.
    package struct Progress: Sendable {
        package var sessions: Int
        package var seconds: Double
        package var behaviours: Int
        package var findings: Int
        /// What the campaign is doing now ("fuzzing", "minimising crash/alice", …).
        package var phase: String
        package var sessionsPerSecond: Double { seconds > 0 ? Double(sessions) / seconds : 0 }
    }

    package let options: Options
    /// The one line that replays a reproducer file (the CLI knows its own executable and options).
    let reproduceLine: @Sendable (String) -> String

    package init(options: Options, reproduceLine: @escaping @Sendable (String) -> String) {
        self.options = options
        self.reproduceLine = reproduceLine
    }

    /// Runs the campaign until its duration is up (or its limits are reached, or the task is
    /// cancelled): progress as it goes, each finding as it is saved, the report at the end.
    package func run(progress: @Sendable (Progress) -> Void = { _ in }, found: @Sendable (NetworkFinding) -> Void = { _ in }) async throws -> NetworkFuzzReport {
        let started = ContinuousClock.now, startedAt = Date()
        let target = try options.spec.makeTarget(executable: options.executable, workRoot: options.workRoot)
        var recording = target
        recording.keepsEvidence = true
        let runner = SessionRunner(target: target, recording: recording, blocks: options.spec.blocks, limits: options.spec.limits)

        // A clean session first: the stack must work before its failures mean anything, and its
        // frame counts tell the scheduler where mutations can land.
        progress(Progress(sessions: 0, seconds: 0, behaviours: 0, findings: 0, phase: "calibrating"))
        // Twice before giving up: on a loaded machine a node may give up on a peer the harness
        // was slow to feed; two failures in a row are the stack's.
        var calibration = try await runner.calibrate(seed: options.seed)
        if calibration.suspect != nil { calibration = try await runner.calibrate(seed: options.seed &+ 1) }
        if let s = calibration.suspect {
            throw HarnessError("the target failed a clean session, before any mutation (\(s.detail)); fix that first (qkdspec run)")
        }
        var scheduler = MutationScheduler(seed: options.seed, frames: calibration.frames, framed: runner.framed)
        _ = scheduler.record(BehaviourSignature(calibration.session), mutations: [])

        var sessions = 0, reported = Set<String>(), findings: [NetworkFinding] = [], unconfirmed: [String] = [], harnessErrors: [String] = []
        var interrupted = false
        func elapsed() -> Double { Self.seconds(ContinuousClock.now - started) }
        func report(_ phase: String) {
            progress(Progress(sessions: sessions, seconds: elapsed(), behaviours: scheduler.behaviours, findings: findings.count, phase: phase))
        }
        while ContinuousClock.now - started < options.duration {
            if Task.isCancelled { interrupted = true; break }
            if let max = options.maxSessions, sessions >= max { break }
            if let max = options.maxFindings, findings.count >= max { break }
            let mutations = scheduler.next(), seed = scheduler.sessionSeed()
            let outcome: SessionRunner.Outcome
            do { outcome = try await runner.run(mutations, seed: seed) } catch {
                if Task.isCancelled { interrupted = true; break }
                harnessErrors.append("\(error)")
                if harnessErrors.count >= 5 { throw HarnessError("the harness could not run 5 sessions; the last: \(error)") }
                continue
            }
            // An interrupt kills the nodes (SIGKILL): that session says nothing about the stack.
            if Task.isCancelled { interrupted = true; break }
            sessions += 1
            _ = scheduler.record(BehaviourSignature(outcome.session), mutations: mutations)
            report("fuzzing")
            // A suspect that three times failed to reproduce is not chased again (a slow machine's
            // timeouts, a race): the campaign's time goes to new ground.
            guard let suspect = outcome.suspect, !reported.contains(suspect.key), unconfirmed.filter({ $0.hasPrefix(suspect.key + " ") }).count < 3
            else { continue }
            let foundAt = elapsed(), foundIn = sessions
            report("minimising \(suspect.key)")
            var detail = suspect.detail
            if suspect.kind != .wrongAcceptance {
                // Does the stack still work? (A node that crashed may have left its state broken.)
                let sanity = try? await runner.run([], seed: seed &+ 1)
                detail += sanity.map { $0.suspect == nil && !$0.session.bobKeys.isEmpty
                    ? "; a clean session right after delivered \($0.session.bobKeys.count) keys"
                    : "; a clean session right after FAILED too (\($0.suspect?.detail ?? "no key delivered"))" } ?? ""
            }
            let minimal = await minimise(mutations, seed: seed, suspect: suspect, runner: runner)
            report("reproducing \(suspect.key)")
            var reproduced = 0, capture: String?, rerunDetail: String?
            for _ in 0..<options.reruns {
                guard let again = try? await runner.run(minimal, seed: seed, recording: true) else { continue }
                if let s = again.suspect, s.kind == suspect.kind, s.node == suspect.node {
                    reproduced += 1
                    if capture == nil, let path = again.session.capturePath {
                        let kept = "\(options.workRoot)/capture-\(findings.count)-\(UUID().uuidString.prefix(6)).pcap"
                        if (try? FileManager.default.copyItem(atPath: path, toPath: kept)) != nil { capture = kept }
                        rerunDetail = s.detail
                    }
                }
                target.release(again.session)
            }
            guard reproduced == options.reruns else {
                unconfirmed.append("\(suspect.key) in session \(foundIn) showed in \(reproduced) of \(options.reruns) reruns: \(suspect.detail)")
                continue
            }
            reported.insert(suspect.key)
            var finding = NetworkFinding(kind: suspect.kind, node: suspect.node == .alice ? "alice" : "bob",
                                         detail: detail + (rerunDetail.map { minimal != mutations ? "; minimised: \($0)" : "" } ?? ""),
                                         mutations: minimal, foundWith: mutations, sessionSeed: seed, reproduced: reproduced, reruns: options.reruns,
                                         secondsToFind: foundAt, session: foundIn, directory: nil, reproduce: "")
            finding = try save(finding, capture: capture, index: findings.count + 1)
            findings.append(finding)
            found(finding)
            report("fuzzing")
        }
        let seconds = elapsed()
        return NetworkFuzzReport(
            target: options.spec.name, seed: options.seed, startedAt: ISO8601DateFormatter().string(from: startedAt), seconds: seconds,
            durationSeconds: Self.seconds(options.duration), sessions: sessions, behaviours: scheduler.behaviours, findings: findings,
            unconfirmed: unconfirmed, harnessErrors: harnessErrors, interrupted: interrupted)
    }

    /// The smallest variant of `mutations` that still shows `suspect`: each mutation dropped in
    /// turn, then each moved to an earlier frame and its parameter shrunk, within the budget.
    func minimise(_ mutations: [WireMutation], seed: UInt64, suspect: FuzzSuspect, runner: SessionRunner) async -> [WireMutation] {
        var best = mutations, budget = options.minimiseBudget
        func shows(_ candidate: [WireMutation]) async -> Bool {
            guard budget > 0, candidate != best, !candidate.isEmpty else { return false }
            budget -= 1
            guard let o = try? await runner.run(candidate, seed: seed) else { return false }
            runner.target.release(o.session)
            return o.suspect?.kind == suspect.kind && o.suspect?.node == suspect.node
        }
        var i = best.count - 1
        while i >= 0, best.count > 1 {
            var fewer = best
            fewer.remove(at: i)
            if await shows(fewer) { best = fewer }
            i -= 1
        }
        for i in best.indices {
            for simpler in Self.simplifications(of: best[i]) {
                var candidate = best
                candidate[i] = simpler
                if await shows(candidate) { best = candidate }
            }
        }
        return best
    }

    /// Simpler forms of one mutation, most drastic first: the side's first frame, halfway there,
    /// the parameter shrunk (a length just past the limit, a cut inside the header, a one-byte
    /// resize, a step of one), no re-authentication.
    static func simplifications(of m: WireMutation) -> [WireMutation] {
        var out: [WireMutation] = []
        func with(_ change: (inout WireMutation) -> Void) {
            var c = m
            change(&c)
            if c != m, !out.contains(c) { out.append(c) }
        }
        with { $0.index = 0 }
        with { $0.index = m.index / 2 }
        switch m.kind {
        case .length: with { $0.value = min(m.value, UInt64(Frame.maximumPayload) + 1) }
        case .truncate:
            with { $0.value = 1 }
            with { $0.value = UInt64(Frame.headerBytes / 2) }
        case .payloadResize: with { $0.detail = m.detail >= 0 ? 1 : -1 }
        case .sequence: with { $0.value = 1 }
        case .splice: with { $0.detail = 0 }
        default: break
        }
        with { $0.reauthenticate = false }
        return out
    }

    /// Writes a finding's reproducer directory and fills in where it is and how to replay it.
    func save(_ finding: NetworkFinding, capture: String?, index: Int) throws -> NetworkFinding {
        var f = finding
        let dir = "\(options.findingsDirectory)/\(index)-\(f.kind.rawValue)-\(f.node)"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let reproducer = NetworkFuzzReproducer(target: options.spec, campaignSeed: options.seed, sessionSeed: f.sessionSeed,
                                                   mutations: f.mutations, expectedKind: f.kind, expectedNode: f.node, detail: f.detail)
            let file = "\(dir)/reproducer.json"
            try reproducer.data().write(to: URL(fileURLWithPath: file))
            f.directory = dir
            f.reproduce = reproduceLine(file)
            try Data("#!/bin/sh\n# Replays finding \(index) (\(f.kind.rawValue) of \(f.node)); exits 1 when it reproduces.\n\(f.reproduce)\n".utf8)
                .write(to: URL(fileURLWithPath: "\(dir)/reproduce.sh"))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/reproduce.sh")
            if let capture {
                try? FileManager.default.removeItem(atPath: "\(dir)/session.pcap")
                try FileManager.default.moveItem(atPath: capture, toPath: "\(dir)/session.pcap")
            }
        } catch {
            throw HarnessError("cannot write the reproducer in \(dir): \(FileProblem.reason(error))")
        }
        return f
    }

    /// Replays a reproducer once: the session's suspect (nil: it did not show anything) and the
    /// session. `capture`, when given, receives the session's pcap.
    package static func replay(_ r: NetworkFuzzReproducer, executable: String, workRoot: String, capture: String? = nil) async throws
        -> (finding: (kind: NetworkFinding.Kind, node: String, detail: String)?, matches: Bool) {
        let target = try r.target.makeTarget(executable: executable, workRoot: workRoot)
        var recording = target
        recording.keepsEvidence = true
        let runner = SessionRunner(target: target, recording: recording, blocks: r.target.blocks, limits: r.target.limits)
        let o = try await runner.run(r.mutations, seed: r.sessionSeed, recording: capture != nil)
        if let capture, let path = o.session.capturePath {
            try? FileManager.default.removeItem(atPath: capture)
            try? FileManager.default.copyItem(atPath: path, toPath: capture)
        }
        target.release(o.session)
        guard let s = o.suspect else { return (nil, false) }
        let node = s.node == .alice ? "alice" : "bob"
        return ((s.kind, node, s.detail), s.kind == r.expectedKind && node == r.expectedNode)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

/// Runs the fuzzer's sessions on one target: the faults built from a mutation list, the verdict
/// on what came out.
struct SessionRunner: Sendable {
    struct Outcome: Sendable {
        var session: Session
        var landed: [MutationFaults.Landing]
        var suspect: FuzzSuspect?
    }

    let target: ProcessTarget
    let recording: ProcessTarget
    let blocks: Int
    let limits: ResourceLimits
    let pool: AuthenticationKeyPool?
    var framed: Bool { target.channel == .reference }

    init(target: ProcessTarget, recording: ProcessTarget, blocks: Int, limits: ResourceLimits) {
        self.target = target
        self.recording = recording
        self.blocks = blocks
        self.limits = limits
        pool = target.authenticationKey.flatMap { try? AuthenticationKeyPool(material: $0) }
    }

    /// One session with `mutations` (the session's directory is released unless `recording`,
    /// whose caller releases it once it took the capture).
    func run(_ mutations: [WireMutation], seed: UInt64, recording record: Bool = false) async throws -> Outcome {
        let faults = MutationFaults(mutations, framed: framed, key: pool)
        let plan = SessionPlan(scenario: Catalogue.honest(), seed: seed, aliceFault: faults.fault(for: .alice), bobFault: faults.fault(for: .bob),
                               blocks: blocks)
        let session = try await (record ? recording : target).run(plan)
        let landed = faults.landed
        return Outcome(session: session, landed: landed, suspect: FuzzSuspect.judge(session, landed: landed, limits: limits))
    }

    /// A clean session that counts each side's frames (or chunks).
    func calibrate(seed: UInt64) async throws -> (session: Session, frames: [Role: Int], suspect: FuzzSuspect?) {
        let counter = UnitCounter()
        let plan = SessionPlan(scenario: Catalogue.honest(), seed: seed,
                               aliceFault: { _, b in counter.count(.alice); return [.send(b)] },
                               bobFault: { _, b in counter.count(.bob); return [.send(b)] }, blocks: blocks)
        let session = try await target.run(plan)
        var suspect = FuzzSuspect.judge(session, landed: [], limits: limits)
        if suspect == nil, session.aliceEnding != .exited(0) || session.bobEnding != .exited(0) || session.bobKeys.isEmpty {
            suspect = FuzzSuspect(kind: .crash, node: session.aliceEnding != .exited(0) ? .alice : .bob,
                                  detail: "Alice \(session.aliceEnding.map { "\($0)" } ?? "?"), Bob \(session.bobEnding.map { "\($0)" } ?? "?"), \(session.bobKeys.count) keys; \(session.aliceFailure ?? session.bobFailure ?? "")")
        }
        return (session, counter.counts, suspect)
    }
}

/// Frames (or chunks) each side sent, counted by the calibration session's faults.
final class UnitCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var units: [Role: Int] = [:]
    func count(_ side: Role) { lock.withLock { units[side, default: 0] += 1 } }
    var counts: [Role: Int] { lock.withLock { units } }
}
