import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite("qkdspec run and list", .serialized)
struct RunCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("a passing selection exits 0 and writes a JSON report with the seed and a reproduce line per case")
    func passing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-run-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try QKDSpecBinary.run(["run", "--include", "auth/*", "--seed", "5", "--json", path], timeout: 300)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("PASS") && r.stdout.contains("3 cases"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(report["seed"] as? Int == 5 && report["exit_code"] as? Int == 0)
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(results.count == 3)
        #expect(results.allSatisfy { ($0["reproduce"] as? String)?.contains("--case") == true && $0["verdict"] as? String == "pass" })
    }

    @Test("a reference bug fails the run with exit 1 and names the failed case")
    func failing() throws {
        let r = try QKDSpecBinary.run(["run", "--reference-bug", "reuse-key-id", "--include", "keys/*", "--seed", "5"], timeout: 300)
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL") && r.stdout.contains("keys/unique-key-ids"))
        #expect(r.stdout.contains("reproduce: qkdspec run --reference-bug reuse-key-id --case keys/unique-key-ids --seed 5"))
    }

    @Test("--junit writes XML the CI readers take: a failure element per failed case, seed in the properties")
    func junit() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-junit-\(UUID().uuidString).xml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try QKDSpecBinary.run(["run", "--reference-bug", "reuse-key-id", "--include", "keys/*", "--include", "auth/replayed*",
                                       "--seed", "9", "--junit", path], timeout: 300)
        #expect(r.status == 1)
        let xml = try String(contentsOfFile: path, encoding: .utf8)
        let doc = try XMLDocument(xmlString: xml)
        #expect(try doc.nodes(forXPath: "//testcase").count == 2)
        #expect(try doc.nodes(forXPath: "//testcase/failure").count == 1)
        #expect(try doc.nodes(forXPath: "//testsuite[@tests='2'][@failures='1']").count == 1)
        #expect(try doc.nodes(forXPath: "//property[@name='seed'][@value='9']").count == 1)
        #expect(try doc.nodes(forXPath: "//testcase[@name='keys/unique-key-ids']/failure").count == 1)
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
        #expect(cases.count >= 16 && cases.allSatisfy { ($0["level"] as? String) == "MUST" })
    }
}
