import Foundation
import Node

// Replay: recorded sessions played back to the stack under test (docs/captures.md, "Replay").
extension Catalogue {
    /// The recordings in captures/ that the replay cases play, each with what its manifest entry
    /// says a correct stack must show (captures/manifest.json, `replay`).
    static let replayRecordings: [(file: String, title: String, profiles: Set<Profile>)] = [
        ("recording-clean.pcap", "A recorded clean session replayed to the stack's Bob delivers the recorded keys", [.ci, .full]),
        ("recording-clean-records.pcap", "A recorded session that carries its own quantum-layer records, replayed to the stack's Bob, delivers the recorded keys",
         [.full]),
        ("recording-clean-eve.pcap", "A recorded session under intercept-resend replayed to the stack's Bob aborts both frames", [.ci, .full]),
        ("recording-fault-replayed-frame.pcap", "A recorded session with a replayed frame replayed to the stack's Bob is rejected there", [.ci, .full]),
        ("recording-fault-tampered-tag.pcap", "A recorded session with a tampered tag replayed to the stack's Bob aborts there", [.ci, .full]),
    ]

    static let captureReplay: [ConformanceCase] = replayRecordings.map { r in
        let name = (r.file as NSString).deletingPathExtension
        return ConformanceCase(
            id: "capture/replay/\(name)", title: r.title,
            requirement: """
                Given the recorded Alice's messages of captures/\(r.file) (re-authenticated with the target's key) and the \
                recorded Bob's quantum-layer records (from the capture's own QLI stream when it carries one, otherwise regenerated \
                from the recording's sidecar), the stack's Bob must answer \
                as the recorded reference Bob did, message by message under the equivalence rules of docs/captures.md, and \
                come to the outcome captures/manifest.json states for the recording.
                """,
            level: .must, reference: "docs/captures.md (Replay); captures/manifest.json", tags: ["capture", "replay"], profiles: r.profiles
        ) { ctx in
            try await replayOutcome(ctx, file: r.file)
        }
    }

    /// Runs the replay of `file` (in the run's captures directory) against the target's Bob.
    static func replayOutcome(_ ctx: CaseContext, file: String) async throws -> CaseOutcome {
        guard ctx.target.channel == .reference else {
            return .unimplemented("the target's control channel is not the reference protocol: recorded sessions cannot be replayed to it")
        }
        guard let captures = ctx.captures else {
            return CaseOutcome(holds: false, detail: "no captures directory (run from the repository, or give --captures DIR)", verdict: .skipped)
        }
        guard let bob = replayTargetFile(ctx.target) else {
            return .unimplemented("replay starts the target's Bob from a target file; \(ctx.target.name) has none")
        }
        let expectation = try ReplayExpectation.load(manifest: "\(captures)/manifest.json", file: file)
        let prepared: PreparedReplay
        do { prepared = try CaptureReplay.prepare(capture: "\(captures)/\(file)") } catch {
            throw HarnessError("\(error)")
        }
        if let mismatch = expectation.mismatch(prepared.outcome) {
            throw HarnessError("captures/\(file) does not show what its manifest entry says: \(mismatch)")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-replay-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let report = try await CaptureReplay.run(prepared, bob: bob.file, executable: bob.executable, workRoot: work, idleTimeout: 10)
        return replayVerdict(report, declared: bob.file.declared)
    }

    /// The feature a target declares when its Bob asks the reference Bob's Cascade queries
    /// (docs/postprocessing.md): only then is a different CASCADE_REQUEST a divergence that fails.
    package static let referenceCascadeSchedule = "reference-cascade-schedule"

    /// The verdict of a replay: pass when the live Bob matched, fail when he diverged — except
    /// that a different CASCADE_REQUEST from a Bob that does not declare the reference's Cascade
    /// schedule is not judged (which queries to ask is Bob's own choice, docs/protocol.md; the
    /// recorded Alice's replies answer only the recorded queries).
    package static func replayVerdict(_ report: ReplayReport, declared: DeclaredParameters) -> CaseOutcome {
        var measurements = ["frames_sent": Double(report.framesSent), "messages_compared": Double(report.messagesCompared),
                            "keys": Double(report.liveKeys.count)]
        if let p = report.divergence?.packet { measurements["divergence_packet"] = Double(p) }
        if let d = report.divergence, d.field.hasPrefix("CASCADE_REQUEST."), !declared.features.contains(referenceCascadeSchedule) {
            return CaseOutcome(holds: false, detail: report.detail + ". Not judged: which Cascade queries Bob asks is his own choice "
                               + "(docs/protocol.md), the target does not declare '\(referenceCascadeSchedule)', and the recorded replies answer "
                               + "only the recorded queries (docs/captures.md)", measurements: measurements, verdict: .unimplemented)
        }
        return CaseOutcome(holds: report.passed, detail: report.detail, measurements: measurements)
    }

    /// The target file whose Bob a replay starts: a process target's own file, or the reference
    /// node's (with the in-process target's bug knobs) when the executable is known.
    package static func replayTargetFile(_ target: any SessionTarget) -> (file: TargetFile, executable: String)? {
        if let t = target as? ProcessTarget { return (t.file, t.executable) }
        if let t = target as? InProcessTarget, let executable = t.executable {
            return (ReferenceNodeCommand(executable: executable, bugs: t.bugs).targetFile, executable)
        }
        return nil
    }
}

/// What captures/manifest.json says a correct stack must show when a recording is replayed to it
/// (its `replay` object): the keys delivered, the frames aborted at parameter estimation, and the
/// ABORTs and ERRORs (sender, kind, code) the session ends with.
package struct ReplayExpectation: Sendable, Equatable {
    package var keys: Int
    package var framesAbortedAtEstimation: [UInt64]
    /// "bob abort 2", "bob error 7", …
    package var endings: [String]

    /// Reads the `replay` object of `file`'s entry; a recording the manifest calls unreplayable,
    /// or an entry that is missing or malformed, is a ``HarnessError`` naming it.
    package static func load(manifest: String, file: String) throws -> ReplayExpectation {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: manifest)) } catch {
            throw HarnessError("cannot read \(manifest): \(FileProblem.reason(error))")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let files = root["files"] as? [[String: Any]] else {
            throw HarnessError("\(manifest): not a captures manifest (an object with \"files\")")
        }
        guard let entry = files.first(where: { $0["file"] as? String == file }) else { throw HarnessError("\(manifest) has no entry for \(file)") }
        guard let replay = entry["replay"] as? [String: Any], replay["replayable"] as? Bool == true else {
            throw HarnessError("\(manifest): \(file) is not marked replayable (\"replay\": {\"replayable\": true, …})")
        }
        func whole(_ v: Any?) -> Int? { (v as? Int) ?? (v as? NSNumber).map(\.intValue) }
        guard let keys = whole(replay["keys"]) else { throw HarnessError("\(manifest): \(file): replay.keys must be a whole number") }
        let aborted = ((replay["frames_aborted_at_estimation"] as? [Any]) ?? []).compactMap(whole).map { UInt64(max(0, $0)) }
        let endings = replay["endings"] as? [String] ?? []
        return ReplayExpectation(keys: keys, framesAbortedAtEstimation: aborted, endings: endings)
    }

    /// How `outcome` (what the recording shows) differs from this, or nil.
    package func mismatch(_ outcome: ReplayOutcome) -> String? {
        if outcome.keys.count != keys { return "\(outcome.keys.count) keys delivered, the manifest says \(keys)" }
        if outcome.framesAbortedAtEstimation != framesAbortedAtEstimation {
            return "frames \(outcome.framesAbortedAtEstimation) aborted at estimation, the manifest says \(framesAbortedAtEstimation)"
        }
        let shown = outcome.endings.map { e in "\(e.from) \(e.kind) \(e.code.split(separator: " ").first ?? "")" }
        if shown != endings { return "the session ends with \(shown), the manifest says \(endings)" }
        return nil
    }
}
