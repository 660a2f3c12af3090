import Capture
import Foundation
import TargetFiles
import Testing

/// Every file in captures/ gives the result captures/manifest.json states for it.
@Suite struct ManifestTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("captures")

    struct Entry: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var inspect: [String: JSONScalar]
        var check: [String: JSONScalar]?
        /// A target file in captures/ whose declared framing reads the capture (`inspect --target`).
        var target: String?
        var description: String { file }
    }

    enum JSONScalar: Decodable, Sendable {
        case int(Int), string(String), strings([String])
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .int(i) } else if let s = try? c.decode(String.self) { self = .string(s) } else { self = .strings(try c.decode([String].self)) }
        }
        var int: Int? { if case .int(let i) = self { return i }; return nil }
        var string: String? { if case .string(let s) = self { return s }; return nil }
        var strings: [String]? { if case .strings(let s) = self { return s }; return nil }
    }

    static func entries() throws -> [Entry] {
        struct Manifest: Decodable { var files: [Entry] }
        let data = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode(Manifest.self, from: data).files
    }

    @Test func everyFileIsListed() throws {
        let listed = Set(try Self.entries().map(\.file))
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
        #expect(Set(present) == listed)
    }

    @Test(arguments: try ManifestTests.entries())
    func inspectGivesTheManifestResult(_ e: Entry) throws {
        let path = Self.folder.appendingPathComponent(e.file).path
        let analyzer = CaptureAnalyzer()
        if let target = e.target {
            analyzer.framing = try #require(try TargetFile.load(path: Self.folder.appendingPathComponent(target).path).framing)
        }
        do {
            let reader = try PcapReader(path: path)
            try analyzer.read(reader)
        } catch {
            #expect(e.inspect["exit"]?.int == 2, "\(e.file): \(error)")
            if let needle = e.inspect["error_contains"]?.string { #expect(error.description.contains(needle), "\(error.description)") }
            #expect(error.description.contains(e.file))
            return
        }
        #expect(e.inspect["exit"]?.int == 0, "\(e.file) read without error, the manifest expects exit 2")
        let s = analyzer.summary
        let actual: [String: Int] = [
            "packets": s.packets, "flows": s.flows.count, "sessions": s.sessions.count, "messages": s.messages,
            "gaps": s.gaps.count, "overlaps": s.overlaps.count, "decode_errors": s.decodeErrorCount,
            "non_tcp_packets": s.nonTCPPackets, "non_ip_packets": s.nonIPPackets, "fragments": s.fragments,
            "qli_blocks": s.qliBlocks, "keys_confirmed": s.sessions.reduce(0) { $0 + $1.keysConfirmed },
        ]
        for (key, value) in e.inspect {
            guard let want = value.int else { continue }
            switch key {
            case "exit": continue
            case "messages_less_than": #expect(s.messages < want && s.messages > 0, "\(e.file): \(s.messages) messages")
            case "retransmissions_at_least": #expect(s.flows.flatMap(\.directions).reduce(0) { $0 + $1.retransmissions } >= want)
            case "out_of_order_at_least": #expect(s.flows.flatMap(\.directions).reduce(0) { $0 + $1.outOfOrder } >= want)
            default: #expect(actual[key] == want, "\(e.file): \(key) is \(actual[key].map(String.init) ?? "unknown"), the manifest says \(want)")
            }
        }
    }

    @Test(arguments: try ManifestTests.entries().filter { $0.check != nil })
    func checkGivesTheManifestVerdict(_ e: Entry) throws {
        let path = Self.folder.appendingPathComponent(e.file).path
        let auditor = SessionAuditor()
        let analyzer = CaptureAnalyzer()
        analyzer.onFrame = { auditor.observe($0) }
        try analyzer.read(try PcapReader(path: path))
        let verdicts = auditor.verdicts()
        let failed = Set(verdicts.flatMap { $0.checks.filter { $0.outcome == .fail }.map(\.check.rawValue) })
        if e.check?["exit"]?.int == 0 {
            #expect(!verdicts.isEmpty && failed.isEmpty, "\(e.file): failed \(failed) — \(verdicts.flatMap(\.checks).filter { $0.outcome == .fail }.map(\.detail))")
        } else {
            let expected = Set(e.check?["failing"]?.strings ?? [])
            #expect(!expected.isEmpty && expected.isSubset(of: failed), "\(e.file): expected \(expected) to fail, failed \(failed)")
        }
    }
}
