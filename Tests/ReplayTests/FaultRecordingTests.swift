import Foundation
import Harness
import Node
import QuantumChannel
import Testing
import Wire

/// Recordings of a replayed and of a tampered frame, made at test time the way an evidence bundle
/// is (the proxy's capture of a reference session with a fault on Alice's frames, the harness's
/// reference key, its sidecar), then replayed: a clean Bob refuses as the recorded one did, a Bob
/// whose knob lets the fault through diverges at the refusal.
@Suite("Replay of faulted recordings", .serialized)
struct FaultRecordingTests {
    /// Records one session of the reference nodes with `fault` on Alice's frames; returns the capture.
    /// With QKDSPEC_RECORD_CAPTURES set, the capture and its sidecar are also copied to
    /// captures/`name` (how captures/recording-fault-*.pcap are made; captures/README.md).
    func record(_ name: String, _ fault: @escaping ChannelFault, in dir: String) async throws -> String {
        var target = try ProcessTarget(file: ReferenceNodeCommand(executable: Executable.path).targetFile, executable: Executable.path, workRoot: dir)
        target.keepsEvidence = true
        let plan = SessionPlan(scenario: .gys(distanceKm: 10), seed: 3, aliceFault: fault, blocks: 2)
        let session = try await target.run(plan)
        let capture = try #require(session.capturePath)
        let sidecar = ReplaySidecar(plan: plan, blocks: 2, blockPulses: target.blockPulses, authenticationKey: ReplaySidecar.referenceKeyName,
                                    madeBy: "FaultRecordingTests")
        try sidecar.write(to: ReplaySidecar.path(forCapture: capture))
        if ProcessInfo.processInfo.environment["QKDSPEC_RECORD_CAPTURES"] != nil {
            let destination = "\(Executable.captures)/\(name)"
            for (from, to) in [(capture, destination), (ReplaySidecar.path(forCapture: capture), ReplaySidecar.path(forCapture: destination))] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        return capture
    }

    func replay(_ capture: String, bugs: Set<BugKnob>, dir: String) async throws -> (PreparedReplay, ReplayReport) {
        let prepared = try CaptureReplay.prepare(capture: capture)
        let bob = ReferenceNodeCommand(executable: Executable.path, bugs: bugs).targetFile
        return (prepared, try await CaptureReplay.run(prepared, bob: bob, executable: Executable.path, workRoot: dir, idleTimeout: 5))
    }

    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replay-fault-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a replayed frame: the clean Bob refuses it with ERROR 7 as recorded; accept-replayed-frame diverges there")
    func replayedFrame() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Alice's third frame (her first SIFTING_RESULT) sent twice, with its valid tag.
        let capture = try await record("recording-fault-replayed-frame.pcap", { i, bytes in i == 2 ? [.send(bytes), .send(bytes)] : [.send(bytes)] }, in: dir)
        let (prepared, clean) = try await replay(capture, bugs: [], dir: dir)
        // docs/protocol.md: a wrong sequence number gets ERROR 7 and ends the session.
        let refusal = try #require(prepared.outcome.endings.first)
        #expect(refusal.from == "bob" && refusal.kind == "error" && refusal.code.hasPrefix("7 "), "\(prepared.outcome.summary)")
        #expect(clean.divergence == nil, "\(clean.detail)")
        let (_, buggy) = try await replay(capture, bugs: [.acceptReplayedFrame], dir: dir)
        let d = try #require(buggy.divergence, "\(buggy.detail)")
        #expect(d.packet == refusal.packet, "\(d.description)")
    }

    @Test("a tampered tag: the clean Bob aborts (reason 2) as recorded; ignore-auth-tag and partial-tag-check diverge there")
    func tamperedTag() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The top bit of the tag of Alice's third frame flipped: in the tag's high 32 bits, which
        // a Bob comparing only the low half (partial-tag-check) misses.
        let capture = try await record("recording-fault-tampered-tag.pcap", { i, bytes in
            guard i == 2 else { return [.send(bytes)] }
            var b = bytes
            b[b.count - 8] ^= 0x80
            return [.send(b)]
        }, in: dir)
        let (prepared, clean) = try await replay(capture, bugs: [], dir: dir)
        let abort = try #require(prepared.outcome.endings.first)
        #expect(abort.from == "bob" && abort.kind == "abort" && abort.code.hasPrefix("2 "), "\(prepared.outcome.summary)")
        #expect(clean.divergence == nil, "\(clean.detail)")
        for knob in [BugKnob.ignoreAuthTag, .partialTagCheck] {
            let (_, buggy) = try await replay(capture, bugs: [knob], dir: dir)
            let d = try #require(buggy.divergence, "\(knob): \(buggy.detail)")
            #expect(d.packet == abort.packet, "\(knob): \(d.description)")
        }
    }
}
