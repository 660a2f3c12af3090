import Foundation
import Testing
@testable import Harness

/// An opaque stack that declares its message framing is judged on replayed messages and on
/// every byte of its tag; the same stack with the defect planted fails those cases. The stack is
/// the reference node taken as opaque (examples/targets/opaque-framed.json): the harness decodes
/// nothing of it, only cuts its stream where the declared length field says.
@Suite("Opaque protocols with a declared framing", .serialized)
struct OpaqueFramingTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-framing-\(UUID().uuidString)").path
    static let cases = ["auth/replayed-frame-rejected", "auth/replayed-earlier-frame-rejected", "auth/tampered-tag-aborts"]

    func verdicts(bugs: [String]) async throws -> [String: (Verdict, String)] {
        var file = try TargetFile.load(path: QKDSpecExecutable.repository.appendingPathComponent("examples/targets/opaque-framed.json").path)
        #expect(file.framing?.tagBytes == 8)
        for bug in bugs {
            file.alice.command? += ["--bug", bug]
            file.bob.command? += ["--bug", bug]
        }
        let t = try ProcessTarget(file: file, executable: QKDSpecExecutable.path, workRoot: work)
        let r = Runner(target: t, profile: .full, include: bugs.isEmpty ? Self.cases : ["auth/tampered-tag-aborts"], exclude: [], seed: 4, version: "test")
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        return Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, ($0.verdict, $0.detail)) })
    }

    @Test("the clean stack passes the replay and tag cases on its messages (judged, not unimplemented)")
    func cleanPasses() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let v = try await verdicts(bugs: [])
        for id in Self.cases { #expect(v[id]?.0 == .pass, "\(id): \(v[id].map { "\($0.0): \($0.1)" } ?? "missing")") }
    }

    @Test("partial-tag-check and ignore-auth-tag fail the tag case on the declared tag bytes")
    func tagKnobsCaught() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        // accept-replayed-frame is not among them: on an opaque protocol the harness can see only
        // that Bob ended the session with an error, and the knob's Bob still refuses the duplicate
        // message in his state machine (an unexpected message), which is a refusal of the replay.
        for knob in ["partial-tag-check", "ignore-auth-tag"] {
            let v = try await verdicts(bugs: [knob])
            #expect(v["auth/tampered-tag-aborts"]?.0 == .fail, "\(knob): \(v["auth/tampered-tag-aborts"].map { "\($0.0): \($0.1)" } ?? "missing")")
        }
    }
}
