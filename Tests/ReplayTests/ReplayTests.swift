import Capture
import Foundation
import Harness
import Node
import Testing
import Wire

/// The built qkdspec executable (the live Bob runs as a `qkdspec node` process).
enum Executable {
    static var path: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("qkdspec").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/qkdspec"
    }

    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("captures").path
}

/// Replays the recordings in captures/ to reference node processes: a clean node matches them;
/// a node with a bug knob that the replayed Alice reaches diverges at the message the knob
/// changes. The expected messages come from the protocol (docs/protocol.md), not from a replay.
@Suite("Replay", .serialized)
struct ReplayTests {
    func replay(_ file: String, bugs: Set<BugKnob> = []) async throws -> (PreparedReplay, ReplayReport) {
        let prepared = try CaptureReplay.prepare(capture: "\(Executable.captures)/\(file)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("replay-test-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let bob = ReferenceNodeCommand(executable: Executable.path, bugs: bugs).targetFile
        let report = try await CaptureReplay.run(prepared, bob: bob, executable: Executable.path, workRoot: work, idleTimeout: 15)
        return (prepared, report)
    }

    /// The recorded Bob frame of `type` number `rank` (0-based), for the packet a divergence must name.
    func recordedBob(_ prepared: PreparedReplay, _ type: MessageType, rank: Int = 0) -> RecordedFrame? {
        prepared.recorded.sent(by: .bob).filter { $0.frame.message.type == type.rawValue }.dropFirst(rank).first
    }

    @Test("the clean recording replayed to a clean reference Bob matches, with its two keys")
    func cleanMatches() async throws {
        let (prepared, report) = try await replay("recording-clean.pcap")
        #expect(report.divergence == nil, "\(report.detail)")
        // captures/manifest.json: 2 keys confirmed in this recording.
        #expect(prepared.outcome.keys.count == 2)
        #expect(Set(report.liveKeys.map(\.keyID)) == Set(prepared.outcome.keys.map(\.keyID)))
        #expect(report.liveEnding == "exit 0")
    }

    @Test("a capture that carries Bob's QLI stream replays without a sidecar: his records come from the capture, and a clean Bob matches")
    func recordsFromTheCapture() async throws {
        let file = "recording-clean-records.pcap"
        #expect(!FileManager.default.fileExists(atPath: ReplaySidecar.path(forCapture: "\(Executable.captures)/\(file)")))
        let (prepared, report) = try await replay(file)
        #expect(prepared.sidecar == nil)
        // captures/manifest.json: 4 blocks of Bob's records, 2 keys confirmed.
        #expect(prepared.bobBlocks.count == 4 && prepared.bobBlocks.allSatisfy { $0.kind == .bob })
        #expect(prepared.recordsSource.contains("the capture's QLI stream"))
        #expect(report.divergence == nil, "\(report.detail)")
        #expect(report.liveKeys.count == 2 && report.liveEnding == "exit 0")
    }

    @Test("records that differ from the recorded SIFTING_BASES by one detection are named as not the recorded Bob's")
    func recordsMismatch() throws {
        let prepared = try CaptureReplay.prepare(capture: "\(Executable.captures)/recording-clean-records.pcap")
        #expect(CaptureReplay.mismatch(of: prepared.bobBlocks, with: prepared.recorded) == nil)
        var moved = prepared.bobBlocks
        var block = moved[2]
        let last = block.offsets.count - 1
        block.offsets[last] = block.offsets[last] + 1  // one detection one slot later
        moved[2] = block
        let problem = CaptureReplay.mismatch(of: moved, with: prepared.recorded)
        #expect(problem?.contains("block 2") == true && problem?.contains("other offsets") == true, "\(problem ?? "none")")
        #expect(CaptureReplay.mismatch(of: Array(moved.prefix(2)), with: prepared.recorded)?.contains("do not hold") == true)
    }

    @Test("keep-sample-bits: Bob reconciles all n bits, so his first CASCADE_REQUEST differs")
    func keepSampleBitsDiverges() async throws {
        let (prepared, report) = try await replay("recording-clean.pcap", bugs: [.keepSampleBits])
        let d = try #require(report.divergence, "\(report.detail)")
        let first = try #require(recordedBob(prepared, .cascadeRequest))
        #expect(d.packet == first.packet)
        #expect(d.field.hasPrefix("CASCADE_REQUEST.entries[0]"), "\(d.description)")
    }

    @Test("the intercept-resend recording replayed to a clean reference Bob matches: both frames aborted at estimation")
    func eveMatches() async throws {
        let (prepared, report) = try await replay("recording-clean-eve.pcap")
        #expect(report.divergence == nil, "\(report.detail)")
        #expect(prepared.outcome.framesAbortedAtEstimation == [0, 1])
        #expect(report.liveKeys.isEmpty)
    }

    @Test("ignore-qber-threshold: Bob proceeds with frame 0 at about 26 % QBER")
    func ignoreQBERThresholdDiverges() async throws {
        let (prepared, report) = try await replay("recording-clean-eve.pcap", bugs: [.ignoreQBERThreshold])
        let d = try #require(report.divergence, "\(report.detail)")
        #expect(d.packet == recordedBob(prepared, .estimationResult, rank: 0)?.packet)
        #expect(d.field == "ESTIMATION_RESULT.proceed")
        #expect(d.recorded == "false" && d.live == "true")
    }

    @Test("first-frame-only-check: Bob judges frame 0 and lets frame 1 through")
    func firstFrameOnlyDiverges() async throws {
        let (prepared, report) = try await replay("recording-clean-eve.pcap", bugs: [.firstFrameOnlyCheck])
        let d = try #require(report.divergence, "\(report.detail)")
        #expect(d.packet == recordedBob(prepared, .estimationResult, rank: 1)?.packet)
        #expect(d.message == "ESTIMATION_RESULT frame 1")
        #expect(d.field == "ESTIMATION_RESULT.proceed")
    }

    @Test("a Bob with another Cascade schedule (the Python stack) is not judged once his queries differ, unless he declares the reference's schedule")
    func otherCascadeSchedule() async throws {
        let prepared = try CaptureReplay.prepare(capture: "\(Executable.captures)/recording-clean.pcap")
        let repository = URL(fileURLWithPath: Executable.captures).deletingLastPathComponent().path
        let file = try TargetFile.load(path: "\(repository)/examples/targets/python-stack.json")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("replay-python-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let report = try await CaptureReplay.run(prepared, bob: file, executable: Executable.path, workRoot: work, idleTimeout: 15)
        let d = try #require(report.divergence, "\(report.detail)")
        // His queries differ from the reference Bob's at some CASCADE_REQUEST (his block order is his own).
        #expect(d.message.hasPrefix("CASCADE_REQUEST") && d.field.hasPrefix("CASCADE_REQUEST.entries"), "\(d.description)")
        #expect(Catalogue.replayVerdict(report, declared: file.declared).verdict == .unimplemented)
        var declaring = file.declared
        declaring.features.append(Catalogue.referenceCascadeSchedule)
        let judged = Catalogue.replayVerdict(report, declared: declaring)
        #expect(judged.verdict == nil && !judged.holds)
    }

    @Test("every recording the manifest calls replayable has its records (a sidecar that regenerates them, or its own QLI stream), and shows the manifest's outcome")
    func manifestRecordings() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Executable.captures)/manifest.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let files = try #require(root["files"] as? [[String: Any]])
        var replayable = 0
        for entry in files {
            guard let file = entry["file"] as? String, let replay = entry["replay"] as? [String: Any], replay["replayable"] as? Bool == true else { continue }
            replayable += 1
            let prepared = try CaptureReplay.prepare(capture: "\(Executable.captures)/\(file)")
            let expectation = try ReplayExpectation.load(manifest: "\(Executable.captures)/manifest.json", file: file)
            #expect(expectation.mismatch(prepared.outcome) == nil, "\(file)")
        }
        #expect(replayable >= 2)
    }

    @Test("a damaged capture, several sessions without --session, an unknown session, no sidecar and a sidecar of another seed are refused before any node starts")
    func unreplayable() throws {
        #expect(throws: UnreplayableRecording.self) { try CaptureReplay.prepare(capture: "\(Executable.captures)/damaged-frame.pcap") }
        #expect(throws: UnreplayableRecording.self) { try CaptureReplay.prepare(capture: "\(Executable.captures)/malformed-empty.pcap") }
        do {
            _ = try CaptureReplay.prepare(capture: "\(Executable.captures)/damaged-frame.pcap")
        } catch {
            #expect(error.description.contains("damaged"), "\(error.description)")
        }
        // 24 sessions (captures/manifest.json): one must be chosen; an ID not in the capture is named.
        do {
            _ = try CaptureReplay.prepare(capture: "\(Executable.captures)/edge-interleaved.pcap")
            Issue.record("a capture of several sessions was replayed without --session")
        } catch {
            #expect(error.description.contains("holds 24 sessions"), "\(error.description)")
        }
        do {
            _ = try CaptureReplay.prepare(capture: "\(Executable.captures)/edge-interleaved.pcap", session: 0xdead_beef)
            Issue.record("a session not in the capture was accepted")
        } catch {
            #expect(error.description.contains("no session 00000000deadbeef"), "\(error.description)")
        }
        // The clean recording with a sidecar whose seed is not the recording's.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replay-sidecar-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = "\(dir)/clean.pcap"
        try FileManager.default.copyItem(atPath: "\(Executable.captures)/recording-clean.pcap", toPath: capture)
        do {
            _ = try CaptureReplay.prepare(capture: capture)
            Issue.record("a capture without a sidecar was accepted")
        } catch {
            #expect(error.description.contains("no replay sidecar"), "\(error.description)")
        }
        var sidecar = try ReplaySidecar.load(path: ReplaySidecar.path(forCapture: "\(Executable.captures)/recording-clean.pcap"))
        sidecar.seed += 1
        try sidecar.write(to: ReplaySidecar.path(forCapture: capture))
        do {
            _ = try CaptureReplay.prepare(capture: capture)
            Issue.record("a sidecar of another seed was accepted")
        } catch {
            #expect(error.description.contains("does not regenerate"), "\(error.description)")
        }
    }

    @Test("qkdspec replay exits 2 on a damaged capture and on --as alice, 0 on the clean recording, 1 on a divergence")
    func commandLine() throws {
        func run(_ arguments: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Executable.path)
            p.arguments = arguments
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let damaged = try run(["replay", "\(Executable.captures)/damaged-frame.pcap"])
        #expect(damaged.0 == 2, "\(damaged.1)")
        #expect(damaged.1.contains("damaged"), "\(damaged.1)")
        let alice = try run(["replay", "\(Executable.captures)/recording-clean.pcap", "--as", "alice"])
        #expect(alice.0 == 2, "\(alice.1)")
        let clean = try run(["replay", "\(Executable.captures)/recording-clean-eve.pcap"])
        #expect(clean.0 == 0, "\(clean.1)")
        let bug = try run(["replay", "\(Executable.captures)/recording-clean-eve.pcap", "--reference-bug", "ignore-qber-threshold"])
        #expect(bug.0 == 1, "\(bug.1)")
        #expect(bug.1.contains("ESTIMATION_RESULT.proceed"), "\(bug.1)")
    }
}
