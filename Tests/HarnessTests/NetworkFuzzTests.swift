import Foundation
import Node
import PostProcessing
import Reports
import Testing
import Wire
@testable import Harness

/// The network fuzzer (`qkdspec fuzz`): its mutations byte by byte (known answers worked out by
/// hand from docs/protocol.md), and campaigns against the reference node's processes — it must
/// find the two robustness knobs and write reproducers whose one line replays them, and find
/// nothing on the clean node.
@Suite("Network fuzzer", .serialized)
struct NetworkFuzzTests {
    /// The KEEPALIVE of docs/protocol.md (session 1122334455667788, sequence 5, nonce 01…08),
    /// tagged as Alice's with the reference key.
    static let keepalive: [UInt8] = {
        let frame = Frame(sessionID: 0x1122_3344_5566_7788, sequence: 5, message: .keepalive(nonce: 0x0102_0304_0506_0708))
        return DefaultAuthenticationKey.retagged(frame)!
    }()

    static let pool = try! AuthenticationKeyPool(material: ReferenceNodeCommand.authenticationKey)

    func apply(_ m: WireMutation, previous: [UInt8]? = nil) -> MutatedUnit {
        m.apply(to: Self.keepalive, previous: previous, framed: true, key: Self.pool)
    }

    /// Whether `bytes` decodes as a frame whose tag verifies as Alice's.
    func verifies(_ bytes: [UInt8]) -> Bool {
        guard let d = try? FrameDecoder.decode(bytes) else { return false }
        var wc = WegmanCarter(pool: Self.pool)
        return (try? wc.verify(d.authenticatedBytes, tag: d.frame.tag, direction: .aliceToBob, sequence: d.frame.sequence)) != nil
    }

    @Test("header mutations land on the documented offsets")
    func headerMutations() {
        let k = Self.keepalive
        #expect(k.count == 44 && Array(k[24..<28]) == [0, 0, 0, 8] && verifies(k))
        let long = apply(WireMutation(side: .alice, index: 0, kind: .length, value: 0x7FFF_FFFF)).bytes
        #expect(Array(long[24..<28]) == [0x7F, 0xFF, 0xFF, 0xFF] && Array(long[..<24]) == Array(k[..<24]) && long.count == k.count)
        let type = apply(WireMutation(side: .alice, index: 0, kind: .type, value: 0x99)).bytes
        #expect(type[5] == 0x99 && !verifies(type))
        let flags = apply(WireMutation(side: .alice, index: 0, kind: .flags, value: 0x8001)).bytes
        #expect(Array(flags[6..<8]) == [0x80, 0x01])
        // −1 on sequence 5 is 4; re-authenticated, the tag is the one for sequence 4.
        let back = apply(WireMutation(side: .alice, index: 0, kind: .sequence, value: .max, reauthenticate: true)).bytes
        #expect(Array(back[16..<24]) == [0, 0, 0, 0, 0, 0, 0, 4] && verifies(back))
        let session = apply(WireMutation(side: .alice, index: 0, kind: .sessionID, value: 0xFF)).bytes
        #expect(session[15] == 0x88 ^ 0xFF && session[8] == 0x11)
        let version = apply(WireMutation(side: .alice, index: 0, kind: .version, value: 2)).bytes
        #expect(version[4] == 2)
    }

    @Test("payload and tag mutations, with and without re-authentication")
    func payloadMutations() throws {
        // Bit 3 of the payload is bit 3 of its first byte: 0x01 → 0x09.
        let flipped = apply(WireMutation(side: .alice, index: 0, kind: .payloadBit, value: 3)).bytes
        #expect(flipped[28] == 0x09 && !verifies(flipped))
        let reauthenticated = apply(WireMutation(side: .alice, index: 0, kind: .payloadBit, value: 3, reauthenticate: true)).bytes
        #expect(reauthenticated[28] == 0x09 && verifies(reauthenticated))
        #expect(try FrameDecoder.decode(reauthenticated).frame.message == .keepalive(nonce: 0x0902_0304_0506_0708))
        let tag = apply(WireMutation(side: .alice, index: 0, kind: .tagBit, value: 0)).bytes
        #expect(tag[43] == Self.keepalive[43] ^ 1 && Array(tag[..<43]) == Array(Self.keepalive[..<43]) && !verifies(tag))
        // A 32-bit field at payload byte 4, all ones: nonce 01020304 ffffffff.
        let field = apply(WireMutation(side: .alice, index: 0, kind: .payloadField, value: 4,
                                       detail: PayloadField.detail(widthCode: 2, choice: 2), reauthenticate: true)).bytes
        #expect(Array(field[32..<36]) == [0xFF, 0xFF, 0xFF, 0xFF] && verifies(field))
        // Two bytes more: length 10, 46 bytes in all; the decoder must then refuse the payload.
        let grown = apply(WireMutation(side: .alice, index: 0, kind: .payloadResize, value: 0, detail: 2, reauthenticate: true)).bytes
        #expect(grown.count == 46 && Array(grown[24..<28]) == [0, 0, 0, 10])
        #expect(throws: WireError.self) { try FrameDecoder.decode(grown) }
    }

    @Test("truncation closes the connection; splicing joins two frames; an unchanged frame does not count")
    func framingMutations() {
        let cut = apply(WireMutation(side: .alice, index: 0, kind: .truncate, value: 12))
        #expect(cut.bytes == Array(Self.keepalive.prefix(12)) && cut.close)
        let previous = [UInt8](repeating: 0xAB, count: 20)
        let spliced = apply(WireMutation(side: .alice, index: 0, kind: .splice, value: 10, detail: 4), previous: previous).bytes
        #expect(spliced == Array(Self.keepalive.prefix(10)) + [UInt8](repeating: 0xAB, count: 16))
        #expect(apply(WireMutation(side: .alice, index: 0, kind: .version, value: 1)).unchanged)
        #expect(WireMutation(side: .bob, index: 0, kind: .tagBit, value: 1).mustBeRefused)
        #expect(!WireMutation(side: .bob, index: 0, kind: .payloadBit, value: 1, reauthenticate: true).mustBeRefused)
        #expect(WireMutation(side: .bob, index: 0, kind: .payloadBit, value: 1).mustBeRefused)
    }

    @Test("a mutation list round-trips through a reproducer file")
    func reproducerRoundTrip() throws {
        let m = [WireMutation(side: .bob, index: 3, kind: .payloadField, value: 7, detail: PayloadField.detail(widthCode: 3, choice: 4), reauthenticate: true)]
        let spec = FuzzTargetSpec(referenceBugs: [.crashOnOversizedFrame], file: nil, hangTimeoutSeconds: 10, idleTimeoutSeconds: 3, blocks: 2)
        let r = NetworkFuzzReproducer(target: spec, campaignSeed: 1, sessionSeed: 2, mutations: m, expectedKind: .crash, expectedNode: "alice", detail: "d")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reproducer-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try r.data().write(to: URL(fileURLWithPath: path))
        let back = try NetworkFuzzReproducer.load(path: path)
        #expect(back.mutations == m && back.target == spec && back.sessionSeed == 2)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"bob\"", with: "\"carol\"").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: HarnessError.self) { try NetworkFuzzReproducer.load(path: path) }
    }

    /// A campaign against the reference stack with `bugs`.
    func campaign(_ bugs: [BugKnob], hangTimeout: Double = 8, idle: Int = 2, seconds: Int, maxFindings: Int? = 1, maxSessions: Int? = nil,
                  findings: String) async throws -> NetworkFuzzReport {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-fuzz-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let spec = FuzzTargetSpec(referenceBugs: bugs, file: nil, hangTimeoutSeconds: hangTimeout, idleTimeoutSeconds: idle, blocks: 4)
        var options = NetworkFuzzer.Options(spec: spec, seed: 7, duration: .seconds(seconds), findingsDirectory: findings,
                                            executable: QKDSpecExecutable.path, workRoot: work)
        options.maxFindings = maxFindings
        options.maxSessions = maxSessions
        options.minimiseBudget = 3
        let exe = QKDSpecExecutable.path
        return try await NetworkFuzzer(options: options) { [exe, "fuzz", "--reproduce", $0].joined(separator: " ") }.run()
    }

    /// Runs a reproducer's one line through the shell: its exit status and output.
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

    func checkReproducer(_ f: NetworkFinding) throws {
        let dir = try #require(f.directory)
        for file in ["reproducer.json", "session.pcap", "reproduce.sh"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(file)"), "\(file) missing")
        }
        // A real pcap (libpcap's magic, either byte order) with more than its global header.
        let pcap = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/session.pcap"))
        #expect(pcap.count > 24 && [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4]].contains(Array(pcap.prefix(4))))
        #expect(f.reproduced == f.reruns && f.mutations.count <= f.foundWith.count)
        let (status, out) = try runLine(f.reproduce)
        #expect(status == 1, "exit \(status): \(out)")
        #expect(out.contains("REPRODUCED \(f.kind.rawValue)"), "exit \(status): \(out); finding: \(f.detail); \(f.mutations)")
    }

    @Test("finds crash-on-oversized-frame, minimises it, and its one-line reproducer reproduces it")
    func findsOversizedCrash() async throws {
        let findings = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-findings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: findings) }
        let report = try await campaign([.crashOnOversizedFrame], seconds: 600, findings: findings)
        let f = try #require(report.findings.first, "no finding in \(report.sessions) sessions: \(report.unconfirmed)")
        // The opening sweep tries every kind on each side within its first 24 sessions.
        #expect(f.session <= 2 * WireMutation.Kind.allCases.count, "found in session \(f.session)")
        #expect(f.kind == .crash && f.detail.contains("signal 6"), "\(f.detail)")
        // What crashes it is a length past the 16 MiB limit.
        #expect(f.mutations.contains { $0.kind == .length && $0.value > UInt64(Frame.maximumPayload) }, "\(f.mutations)")
        try checkReproducer(f)
    }

    @Test("finds hang-on-truncated-frame, and its one-line reproducer reproduces it")
    func findsTruncationHang() async throws {
        let findings = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-findings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: findings) }
        let report = try await campaign([.hangOnTruncatedFrame], seconds: 600, findings: findings)
        let f = try #require(report.findings.first, "no finding in \(report.sessions) sessions: \(report.unconfirmed)")
        #expect(f.session <= 2 * WireMutation.Kind.allCases.count, "found in session \(f.session)")
        #expect(f.kind == .hang, "\(f.detail)")
        try checkReproducer(f)
    }

    @Test("a short campaign against the clean reference finds nothing")
    func cleanFindsNothing() async throws {
        let findings = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-findings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: findings) }
        let report = try await campaign([], seconds: 40, maxFindings: nil, findings: findings)
        #expect(report.findings.isEmpty, "\(report.findings.map(\.detail))")
        #expect(report.sessions >= 5 && report.behaviours >= 2, "\(report.sessions) sessions, \(report.behaviours) behaviours")
        #expect(!FileManager.default.fileExists(atPath: findings))
    }

    @Test("the SARIF logs of fuzz and run carry what SARIF 2.1.0 requires")
    func sarifShape() throws {
        let m = [WireMutation(side: .bob, index: 0, kind: .length, value: 0x0100_0001)]
        let finding = NetworkFinding(kind: .crash, node: "alice", detail: "Alice's node died of signal 6", mutations: m, foundWith: m, sessionSeed: 3,
                                     reproduced: 3, reruns: 3, secondsToFind: 2, session: 1, directory: "fuzz-findings/1-crash-alice",
                                     reproduce: "qkdspec fuzz --reproduce fuzz-findings/1-crash-alice/reproducer.json")
        let report = NetworkFuzzReport(target: "reference", seed: 1, startedAt: "2026-01-01T00:00:00Z", seconds: 5, durationSeconds: 60, sessions: 4,
                                       behaviours: 3, findings: [finding], unconfirmed: [], harnessErrors: [], interrupted: false)
        func check(_ log: SARIFReport, results: Int) throws {
            let object = try #require(try JSONSerialization.jsonObject(with: log.render()) as? [String: Any])
            #expect(object["version"] as? String == "2.1.0")
            #expect((object["$schema"] as? String)?.contains("sarif") == true)
            let runs = try #require(object["runs"] as? [[String: Any]])
            #expect(runs.count == 1)
            let driver = try #require((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
            #expect(driver["name"] is String)
            let rules = try #require(driver["rules"] as? [[String: Any]])
            let ruleIDs = Set(rules.compactMap { $0["id"] as? String })
            let found = try #require(runs[0]["results"] as? [[String: Any]])
            #expect(found.count == results)
            for r in found {
                let id = try #require(r["ruleId"] as? String)
                #expect(ruleIDs.contains(id))
                #expect(["error", "warning", "note", "none"].contains(r["level"] as? String ?? ""))
                #expect(((r["message"] as? [String: Any])?["text"] as? String)?.isEmpty == false)
                let location = try #require((r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
                #expect(((location["artifactLocation"] as? [String: Any])?["uri"] as? String)?.isEmpty == false)
            }
        }
        try check(report.sarif(version: "test"), results: 1)
        #expect(String(decoding: report.sarif(version: "t").render(), as: UTF8.self).contains("qkdspec.fuzz/crash"))
        // run: a result per failed case, none for a pass.
        func result(_ id: String, _ verdict: Verdict) -> CaseResult {
            CaseResult(id: id, title: "t", level: .must, reference: "docs/protocol.md (limits)", requirement: "r", verdict: verdict, detail: "d", seed: 1,
                       iteration: 1, seconds: 0, measurements: [:], reproduce: "qkdspec run --case \(id)", expectedFailure: false, unexpectedPass: false)
        }
        let run = RunReport(version: "t", target: "reference", profile: "quick", seed: 1, shard: nil, startedAt: "s", seconds: 1,
                            results: [result("a/pass", .pass), result("a/fail", .fail), result("a/crash", .crash)], counts: [:], exitCode: 1)
        try check(run.sarif(), results: 2)
    }
}

extension NetworkFuzzTests {
    @Test("a reproducer's SARIF location is relative to the working directory when under it, else a file URI")
    func sarifLocation() {
        #expect(NetworkFuzzReport.uri("/repo/fuzz-findings/1-crash-bob/reproducer.json", base: "/repo") == "fuzz-findings/1-crash-bob/reproducer.json")
        #expect(NetworkFuzzReport.uri("/tmp/f/reproducer.json", base: "/repo") == "file:///tmp/f/reproducer.json")
    }
}

extension NetworkFuzzTests {
    @Test("a campaign's HTML, JUnit and exit code: one finding fails, none passes, an interruption is 130")
    func campaignReports() throws {
        let m = [WireMutation(side: .alice, index: 2, kind: .length, value: 7)]
        let finding = NetworkFinding(kind: .hang, node: "bob", detail: "Bob's node was still running after 10 s", mutations: m, foundWith: m, sessionSeed: 9,
                                     reproduced: 3, reruns: 3, secondsToFind: 4, session: 2, directory: nil, reproduce: "qkdspec fuzz --reproduce r.json")
        let found = NetworkFuzzReport(target: "t<1>", seed: 5, startedAt: "2026-01-01T00:00:00Z", seconds: 10, durationSeconds: 60, sessions: 20,
                                      behaviours: 4, findings: [finding], unconfirmed: ["a flaky <one>"], harnessErrors: [], interrupted: false)
        let html = found.html()
        #expect(html.contains("1 FINDING</b>") && html.contains("class=\"banner FOUND\"") && html.contains("t&lt;1&gt;"))
        #expect(html.contains("<td>sessions</td><td>20 (2.00/s), 4 distinct behaviours</td>"))
        #expect(html.contains("<h2>hang — bob</h2>") && html.contains("a flaky &lt;one&gt;") && !html.contains("Harness errors"))
        #expect(found.exitCode == 1)
        let junit = found.junit()
        #expect(junit.cases.count == 2 && junit.cases.last?.name == "campaign" && junit.cases.last?.detail == "20 sessions, 4 behaviours, 1 findings")
        var clean = found
        clean.findings = []
        #expect(clean.exitCode == 0 && clean.html().contains("NO FINDING") && clean.html().contains("class=\"banner CLEAN\""))
        clean.interrupted = true
        #expect(clean.exitCode == 130 && clean.html().contains(" (interrupted)") && clean.junit().cases.last?.outcome == .error)
    }
}
