import Foundation
import Testing
@testable import Harness
@testable import KeyDelivery

/// The ETSI 014 fuzzer (`qkdspec fuzz --etsi014`): its oracle on requests worked out by hand
/// from clauses 5 and 6 and RFC 3986, and campaigns against the reference KME pair over real
/// TLS on 127.0.0.1 — it must find the planted knobs and write reproducers whose one line
/// replays them, and find nothing on the clean pair.
@Suite("ETSI 014 fuzzer", .serialized)
struct ETSI014FuzzTests {
    /// The reference pair's declaration (KMELimits defaults, the test PKI's SAE names).
    static let declared = KMEDeclaration(keySize: 256, minKeySize: 64, maxKeySize: 4096, maxKeyPerRequest: 128, maxSAEIDCount: 0,
                                         multiplesOf8Only: true, masterSAEID: "SAE_1", slaveSAEID: "SAE_2", unattachedSAEID: "SAE_9")

    func post(_ body: String, path: String = "/api/v1/keys/SAE_2/enc_keys", kme: KMEFuzzRequest.KME = .master,
              caller: KMEFuzzRequest.Caller = .masterSAE) -> KMEFuzzRequest {
        KMEFuzzRequest(kme: kme, caller: caller, method: "POST", path: path, contentType: "application/json", body: Array(body.utf8))
    }

    func get(_ path: String, kme: KMEFuzzRequest.KME = .master, caller: KMEFuzzRequest.Caller = .masterSAE) -> KMEFuzzRequest {
        KMEFuzzRequest(kme: kme, caller: caller, method: "GET", path: path, contentType: nil, body: nil)
    }

    func refuses(_ r: KMEFuzzRequest, keyIDs: [String] = []) -> Bool { KMERequestOracle.mustRefuse(r, declared: Self.declared, keyIDs: keyIDs) != nil }

    @Test("the oracle: what the standard lets a KME serve and what it must refuse")
    func oracleOnRequests() {
        // Served: the defaults, bounds met exactly, 3.0 (an integer in JSON's grammar).
        #expect(!refuses(post("")))
        #expect(!refuses(post("{\"number\":128,\"size\":4096}")))
        #expect(!refuses(post("{\"number\":3.0,\"size\":64}")))
        #expect(!refuses(get("/api/v1/keys/SAE_2/enc_keys?number=2&size=256")))
        // Refused: one past each bound, a size not a multiple of 8, zero keys.
        #expect(refuses(post("{\"number\":129}")))
        #expect(refuses(post("{\"size\":4104}")))
        #expect(refuses(post("{\"size\":56}")))
        #expect(refuses(post("{\"size\":260}")))
        #expect(refuses(post("{\"number\":0}")))
        #expect(refuses(get("/api/v1/keys/SAE_2/enc_keys?number=129")))
        #expect(refuses(get("/api/v1/keys/SAE_2/enc_keys?size=1e309")))
        #expect(refuses(get("/api/v1/keys/SAE_2/enc_keys?number=1.5")))
        // Malformed JSON, wrong types, an unknown mandatory extension, multicast with max_SAE_ID_count 0.
        #expect(refuses(post("{\"number\":")))
        #expect(refuses(post("{\"number\":\"2\"}")))
        #expect(refuses(post("{\"extension_mandatory\":[{\"qkdspec_fuzz_ext_1\":true}]}")))
        #expect(refuses(post("{\"additional_slave_SAE_IDs\":[\"SAE_3\"]}")))
        // A member named twice is left to the reader (RFC 8259): not judged.
        #expect(!refuses(post("{\"number\":2,\"number\":129}")))
        // Another SAE's certificate, or a path naming the caller itself: refused.
        #expect(refuses(get("/api/v1/keys/SAE_2/status", caller: .slaveSAE)))
        #expect(refuses(get("/api/v1/keys/SAE_1/status")))
        // Dot segments resolve (RFC 3986 5.2.4, %2E is '.'): these name SAE_2 after all; an encoded slash does not resolve.
        #expect(!refuses(get("/api/v1/keys/SAE_2/../SAE_2/status")))
        #expect(!refuses(get("/api/v1/keys/x/%2e%2e/SAE_2/status")))
        #expect(refuses(get("/api/v1/keys/SAE_2%2F..%2FSAE_2/status")))
        #expect(refuses(get("/api/v1/keys/%C0%AE%C0%AE/status")))
        // dec_keys: only keys delivered for this request, only at the slave KME.
        let id = "0f8c2b46-0a2e-4d7f-9c55-0c1d9a3b2e71"
        let dec = post("{\"key_IDs\":[{\"key_ID\":\"\(id)\"}]}", path: "/api/v1/keys/SAE_1/dec_keys", kme: .slave, caller: .slaveSAE)
        #expect(!refuses(dec, keyIDs: [id]))
        #expect(refuses(dec, keyIDs: []))
        #expect(refuses(get("/api/v1/keys/SAE_1/dec_keys?key_ID=\(id)", kme: .master, caller: .masterSAE), keyIDs: [id]))
    }

    @Test("the oracle's verdicts: 500 is a server error, 503 is not; a 200 that breaks Table 11 is malformed")
    func oracleOnAnswers() {
        let r = post("{\"number\":2}")
        func answer(_ status: Int, _ body: String) -> KMEOutcome { .answered(KMEResponse(status: status, contentType: nil, body: Array(body.utf8))) }
        #expect(KMERequestOracle.judge(r, answer(500, "internal error"), declared: Self.declared, keyIDs: [])?.kind == .serverError)
        #expect(KMERequestOracle.judge(r, answer(503, "{\"message\":\"no keys\"}"), declared: Self.declared, keyIDs: []) == nil)
        // A 400 without an Error body, a 200 with one key where two were asked for.
        #expect(KMERequestOracle.judge(r, answer(400, "bad"), declared: Self.declared, keyIDs: [])?.kind == .malformedResponse)
        let oneKey = "{\"keys\":[{\"key_ID\":\"0f8c2b46-0a2e-4d7f-9c55-0c1d9a3b2e71\",\"key\":\"\(Data(count: 32).base64EncodedString())\"}]}"
        #expect(KMERequestOracle.judge(r, answer(200, oneKey), declared: Self.declared, keyIDs: [])?.kind == .malformedResponse)
        #expect(KMERequestOracle.judge(post("{\"number\":1}"), answer(200, oneKey), declared: Self.declared, keyIDs: []) == nil)
        #expect(KMERequestOracle.judge(r, .timedOut("deadline"), declared: Self.declared, keyIDs: [])?.kind == .hang)
        #expect(KMERequestOracle.judge(r, .failed("reset"), declared: Self.declared, keyIDs: [])?.kind == .crash)
    }

    @Test("mutations build the bytes they describe")
    func mutationsBuildRequests() {
        let base = KMEFuzzBase.encKeysPost
        #expect(String(decoding: base.request([], declared: Self.declared).body ?? [], as: UTF8.self) == "{\"number\":2,\"size\":256}")
        let nested = base.request([KMEMutation(.jsonNest, field: "number", count: 2), KMEMutation(.jsonDuplicate, field: "size", value: "7")],
                                  declared: Self.declared)
        #expect(String(decoding: nested.body ?? [], as: UTF8.self) == "{\"number\":[[2]],\"size\":256,\"size\":7}")
        let cut = base.request([KMEMutation(.truncateBody, count: 5)], declared: Self.declared)
        #expect(cut.body == Array("{\"num".utf8))
        let query = KMEFuzzBase.encKeysGet.request([KMEMutation(.queryRepeat, field: "size", value: "7"), KMEMutation(.saeID, value: "%2e%2e")],
                                                   declared: Self.declared)
        #expect(query.path == "/api/v1/keys/%2e%2e/enc_keys?number=2&size=256&size=7")
        let ids = KMEFuzzBase.decKeysPost.request([KMEMutation(.keyIDList, value: "{\"key_ID\":\"{{key_ID_{{i}}}}\"}", count: 3)], declared: Self.declared)
        let filled = ids.filled(keyIDs: ["a", "b"])
        #expect(String(decoding: filled.body ?? [], as: UTF8.self) == "{\"key_IDs\":[{\"key_ID\":\"a\"},{\"key_ID\":\"b\"},{\"key_ID\":\"a\"}]}")
    }

    /// A campaign against the reference pair with `bugs`.
    func campaign(_ bugs: [KMEBugKnob], seconds: Int, maxFindings: Int? = 1, findings: String) async throws -> KMEFuzzReport {
        let spec = KMEFuzzTargetSpec(referenceBugs: bugs, file: nil, requestTimeoutSeconds: 10)
        var options = KMEFuzzer.Options(spec: spec, seed: 1, duration: .seconds(seconds), findingsDirectory: findings)
        options.maxFindings = maxFindings
        let exe = Self.executable ?? "qkdspec"
        return try await KMEFuzzer(options: options) { [exe, "fuzz", "--reproduce", $0].joined(separator: " ") }.run()
    }

    /// The built qkdspec (swift test builds it beside the test bundle).
    static var executable: String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("qkdspec").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return FileManager.default.isExecutableFile(atPath: ".build/debug/qkdspec") ? ".build/debug/qkdspec" : nil
    }

    func runLine(_ line: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", line]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, out)
    }

    @Test("finds each planted KME knob; the reproducer replays it and a clean pair does not show it",
          arguments: [(KMEBugKnob.crashOnBadJSON, KMEFinding.Kind.serverError), (.oversizeNumber200, .wrongAcceptance),
                      (.mandatoryExtensionIgnored, .wrongAcceptance), (.oddSizeAccepted, .wrongAcceptance)])
    func findsKnob(_ knob: KMEBugKnob, _ kind: KMEFinding.Kind) async throws {
        let findings = FileManager.default.temporaryDirectory.appendingPathComponent("etsi014-findings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: findings) }
        let report = try await campaign([knob], seconds: 40, findings: findings)
        let f = try #require(report.findings.first, "no finding in \(report.requests) requests: \(report.unconfirmed) \(report.harnessErrors)")
        #expect(f.kind == kind, "\(f.kind): \(f.detail)")
        #expect(f.reproduced == 3 && f.reruns == 3)
        #expect(f.kind.ruleID == "qkdspec.fuzz.etsi014/\(kind.rawValue)")
        // What each knob is about shows in the minimised request.
        let body = String(decoding: f.request.body ?? [], as: UTF8.self)
        switch knob {
        case .oversizeNumber200: #expect(f.detail.contains("above max_key_per_request"), "\(f.detail)")
        case .mandatoryExtensionIgnored: #expect(body.contains("extension_mandatory"), "\(body)")
        case .oddSizeAccepted: #expect(f.detail.contains("not a multiple of 8"), "\(f.detail)")
        default: #expect(f.detail.contains("HTTP 500"), "\(f.detail)")
        }
        let dir = try #require(f.directory)
        let script = try String(contentsOfFile: "\(dir)/reproduce.sh", encoding: .utf8)
        #expect(script.contains("fuzz --reproduce \(dir)/reproducer.json"))
        // Replayed in this process: it shows again on a pair with the knob, not on a clean one.
        var r = try KMEFuzzReproducer.load(path: "\(dir)/reproducer.json")
        #expect(r.expectedKind == kind && r.target.referenceBugs == [knob])
        #expect(try await KMEFuzzer.replay(r).matches)
        r.target.referenceBugs = []
        #expect(try await KMEFuzzer.replay(r).finding == nil)
        // The one line, as a user runs it: exit 1, "REPRODUCED".
        if Self.executable != nil {
            let (status, out) = try runLine(f.reproduce)
            #expect(status == 1 && out.contains("REPRODUCED \(kind.rawValue)"), "exit \(status): \(out)")
        } else {
            Issue.record("the qkdspec executable was not found beside the tests; the one-line reproducer was not run")
        }
    }

    @Test("a short campaign against the clean reference pair finds nothing")
    func cleanFindsNothing() async throws {
        let findings = FileManager.default.temporaryDirectory.appendingPathComponent("etsi014-findings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: findings) }
        let report = try await campaign([], seconds: 15, maxFindings: nil, findings: findings)
        #expect(report.findings.isEmpty, "\(report.findings.map(\.detail))")
        #expect(report.unconfirmed.isEmpty && report.harnessErrors.isEmpty, "\(report.unconfirmed) \(report.harnessErrors)")
        // The opening sweep alone is every kind on every base (about 60 requests).
        #expect(report.requests >= 60 && report.behaviours >= 15, "\(report.requests) requests, \(report.behaviours) behaviours")
        #expect(!FileManager.default.fileExists(atPath: findings))
    }
}
