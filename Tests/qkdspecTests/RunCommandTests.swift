import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("qkdspec run and list", .serialized)
struct RunCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("a passing selection exits 0 and writes a JSON report with the seed and a reproduce line per case")
    func passing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-run-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try QKDSpecBinary.run(["run", "--include", "auth/*", "--seed", "5", "--json", path], timeout: 300)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("PASS") && r.stdout.contains("4 cases"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(report["seed"] as? Int == 5 && report["exit_code"] as? Int == 0)
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(results.count == 4)
        #expect(results.allSatisfy { ($0["reproduce"] as? String)?.contains("--case") == true && $0["verdict"] as? String == "pass" })
    }

    @Test("a reference bug fails the run with exit 1 and names the failed case")
    func failing() throws {
        let r = try QKDSpecBinary.run(["run", "--reference-bug", "reuse-key-id", "--include", "bb84/keys/unique-*", "--seed", "5"], timeout: 300)
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL") && r.stdout.contains("bb84/keys/unique-key-ids"))
        // The executable that ran (qkdspec need not be on PATH), with the profile and the knob.
        // (--vectors: the directory the run used, ./vectors of the working directory.)
        #expect(r.stdout.contains("reproduce: \(QKDSpecBinary.url.standardizedFileURL.path) run --profile quick --reference-bug reuse-key-id --vectors "))
        #expect(r.stdout.contains(" --case bb84/keys/unique-key-ids --seed 5"))
    }

    @Test("--junit writes XML the CI readers take: a failure element per failed case, seed in the properties")
    func junit() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-junit-\(UUID().uuidString).xml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try QKDSpecBinary.run(["run", "--reference-bug", "reuse-key-id", "--include", "bb84/keys/unique-*", "--include", "auth/replayed*",
                                       "--seed", "9", "--junit", path], timeout: 300)
        #expect(r.status == 1)
        let xml = try String(contentsOfFile: path, encoding: .utf8)
        let doc = try XMLDocument(xmlString: xml)
        #expect(try doc.nodes(forXPath: "//testcase").count == 2)
        #expect(try doc.nodes(forXPath: "//testcase/failure").count == 1)
        #expect(try doc.nodes(forXPath: "//testsuite[@tests='2'][@failures='1']").count == 1)
        #expect(try doc.nodes(forXPath: "//property[@name='seed'][@value='9']").count == 1)
        #expect(try doc.nodes(forXPath: "//testcase[@name='bb84/keys/unique-key-ids']/failure").count == 1)
    }

    @Test("no case selected is a usage error (exit 2), never a pass")
    func emptySelection() throws {
        let r = try QKDSpecBinary.run(["run", "--include", "no-such-case/*"])
        #expect(r.status == 2 && r.stderr.contains("no case selected"))
        let bad = try QKDSpecBinary.run(["run", "--reference-bug", "nope"])
        #expect(bad.status == 2 && bad.stderr.contains("nope"))
    }

    @Test("docs/test-catalogue.md is the current output of qkdspec list")
    func catalogueCurrent() throws {
        let r = try QKDSpecBinary.run(["list", "--format", "markdown"])
        #expect(r.status == 0)
        let committed = try String(contentsOf: Self.repository.appendingPathComponent("docs/test-catalogue.md"), encoding: .utf8)
        #expect(committed == r.stdout, "regenerate with: qkdspec list --format markdown > docs/test-catalogue.md")
        let json = try QKDSpecBinary.run(["list", "--format", "json"])
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(cases.count >= 21 && cases.allSatisfy { ["MUST", "SHOULD", "MAY"].contains($0["level"] as? String ?? "") })
        #expect(cases.allSatisfy { ($0["profiles"] as? [String])?.contains("full") == true })
    }

    @Test("--html, --evidence and a baseline: the page is written, evidence for the failure, and the baseline turns exit 1 into 0")
    func reportsAndBaseline() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = ["run", "--reference-bug", "reuse-key-id", "--include", "bb84/keys/unique-*", "--include", "bb84/estimate/*", "--seed", "4"]
        let first = try QKDSpecBinary.run(args + ["--html", "\(dir)/r.html", "--evidence", "\(dir)/ev", "--write-expected", "\(dir)/base.json"],
                                          timeout: 300)
        #expect(first.status == 1)
        let page = try String(contentsOfFile: "\(dir)/r.html", encoding: .utf8)
        #expect(page.contains("keys/unique-key-ids") && page.contains("<svg"))
        let evidence = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ev")
        #expect(evidence == ["bb84__keys__unique-key-ids"])
        #expect(FileManager.default.fileExists(atPath: "\(dir)/ev/bb84__keys__unique-key-ids/control.pcap"))
        let second = try QKDSpecBinary.run(args + ["--expected", "\(dir)/base.json"], timeout: 300)
        #expect(second.status == 0, "\(second.stdout)")
        #expect(second.stdout.contains("known failure"))
    }

    @Test("shards run apart and merge into one report with the whole selection")
    func shardAndMerge() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-shard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = ["run", "--target", "in-process", "--include", "bb84/abort/*", "--seed", "3"]
        let one = try QKDSpecBinary.run(args + ["--shard", "1/2", "--json", "\(dir)/1.json"], timeout: 300)
        let two = try QKDSpecBinary.run(args + ["--json", "\(dir)/2.json"], timeout: 300, environment: ["TEST_TOTAL_SHARDS": "2", "TEST_SHARD_INDEX": "1"])
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)\(two.stderr)")
        let merged = try QKDSpecBinary.run(["merge", "\(dir)/1.json", "\(dir)/2.json", "--json", "\(dir)/all.json", "--junit", "\(dir)/all.xml"])
        #expect(merged.status == 0, "\(merged.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/all.json"))) as? [String: Any])
        let ids = (report["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        // The quick profile's abort family, whole: every case once, from one shard or the other.
        #expect(Set(ids) == Set(["bb84/abort/qber-above-threshold/intercept-resend", "bb84/abort/qber-above-threshold/intercept-resend-half",
                                 "bb84/abort/qber-above-threshold/noise", "bb84/abort/declared-threshold-sound",
                                 "bb84/abort/decoy-statistics/photon-number-splitting", "bb84/abort/threshold-relative/above",
                                 "bb84/abort/every-frame/attack-from-mid-session"]) && ids.count == Set(ids).count)
        let bad = try QKDSpecBinary.run(["merge", "\(dir)/1.json", "\(dir)/1.json"])
        #expect(bad.status == 2 && bad.stderr.contains("shard 1/2 is given twice"))
    }

    @Test("--self-test builds the kill matrix and fails when a knob escapes the selected cases")
    func selfTest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-selftest-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Two cases catch two knobs; the other eight escape them, and the self-test must say so.
        let r = try QKDSpecBinary.run(["run", "--self-test", "--target", "in-process", "--seed", "2", "--html", path,
                                       "--include", "keys/unique-key-ids", "--include", "auth/replayed-frame-rejected"], timeout: 600)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("knob reuse-key-id: caught by bb84/keys/unique-key-ids"))
        #expect(r.stdout.contains("knob accept-replayed-frame: caught by auth/replayed-frame-rejected"))
        #expect(r.stdout.contains("knob skip-verification: NOT CAUGHT"))
        #expect(r.stdout.contains("self-test: NOT caught: ignore-qber-threshold, skip-verification"))
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page.contains("Kill matrix") && page.contains("Not caught: ignore-qber-threshold"))
    }

    @Test("SIGINT stops the run between cases: exit 130, and the JSON report holds the cases that ran")
    func interrupted() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-int-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = QKDSpecBinary.url
        process.arguments = ["run", "--target", "in-process", "--case", "bb84/keys/agreement", "--repeat", "500", "--seed", "1", "--json", path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for the first verdict, then interrupt.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("[1/500]") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(results.count >= 1 && results.count < 500)
    }
}
