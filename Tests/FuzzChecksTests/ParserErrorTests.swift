import ETSI014Models
import Foundation
import TargetFiles
import Testing

/// The parsers the fuzz targets reach through their in-memory entry points refuse bad input with
/// the typed error the file-reading entry points give, naming the line or field.
@Suite("Parser errors")
struct ParserErrorTests {
    @Test("a key output line with negative bits is a HarnessError naming line 2")
    func negativeBits() {
        let text = "{\"key_id\": \"00000000-0000-0000-0000-000000000001\", \"hex\": \"ff\", \"bits\": 8}\n"
            + "{\"key_id\": \"00000000-0000-0000-0000-000000000002\", \"hex\": \"ff\", \"bits\": -8}\n"
        #expect(throws: HarnessError.self) { try KeyOutput.parse(text, path: "k.jsonl") }
        do { _ = try KeyOutput.parse(text, path: "k.jsonl") } catch { #expect("\(error)".contains("line 2")) }
    }

    @Test("a key output's \"bits\" must be a whole number: a string, a boolean or a fraction is refused, not replaced by the hex length")
    func wrongTypedBits() {
        func problem(_ bits: String) -> String {
            // 0xff0f: 12 bits, the top four bits of the last byte clear.
            let line = "{\"key_id\": \"00000000-0000-0000-0000-000000000001\", \"hex\": \"ff0f\", \"bits\": \(bits)}\n"
            do { return "accepted \(try KeyOutput.parse(line, path: "k.jsonl")[0].key.count) bits" } catch { return "\(error)" }
        }
        for bad in ["\"12\"", "true", "12.5", "null"] {
            #expect(problem(bad).contains("\"bits\" is not a non-negative whole number"), "\(bad): \(problem(bad))")
        }
        #expect(problem("12") == "accepted 12 bits")
        // 0 and 1 are numbers, not booleans (they bridge to Bool; found by the key-output fuzz target).
        let zero = "{\"key_id\": \"00000000-0000-0000-0000-000000000001\", \"hex\": \"\", \"bits\": 0}\n"
        #expect((try? KeyOutput.parse(zero, path: "k.jsonl"))?.first?.key.count == 0)
        let one = "{\"key_id\": \"00000000-0000-0000-0000-000000000001\", \"hex\": \"01\", \"bits\": 1}\n"
        #expect((try? KeyOutput.parse(one, path: "k.jsonl"))?.first?.key.count == 1)
        #expect(problem("1.2e1") == "accepted 12 bits", "a whole number written with an exponent is still 12")
        // Absent, the hex gives the length: four hex digits are 16 bits.
        let noBits = "{\"key_id\": \"00000000-0000-0000-0000-000000000001\", \"hex\": \"ffff\"}\n"
        #expect((try? KeyOutput.parse(noBits, path: "k.jsonl"))?.first?.key.count == 16)
        let counter = "{\"key_id\": \"17\", \"hex\": \"ffff\"}\n"
        do { _ = try KeyOutput.parse(counter, path: "k.jsonl") } catch { #expect("\(error)".contains("\"key_id\" is not a UUID")) }
    }

    @Test("a last line still being written is skipped only when asked (a KME reading a live node's output)")
    func partialLastLine() throws {
        let text = "{\"key_id\": \"00000000-0000-0000-0000-000000000001\", \"hex\": \"ff\", \"bits\": 8}\n{\"key_id\": \"0000"
        #expect(try KeyOutput.parse(text, path: "k.jsonl", partialLastLine: true).count == 1)
        #expect(throws: HarnessError.self) { try KeyOutput.parse(text, path: "k.jsonl") }
        #expect(throws: HarnessError.self) { try KeyOutput.parse(text + "\n", path: "k.jsonl", partialLastLine: true) }
    }

    @Test("a key output line reads as its ID and bits: 0xff0f with 12 bits keeps bits 0-7 and 8-11")
    func readsKey() throws {
        let text = "{\"key_id\": \"00000000-0000-0000-0000-00000000000a\", \"hex\": \"ff0f\", \"bits\": 12}\n"
        let keys = try KeyOutput.parse(text, path: "k.jsonl")
        #expect(keys.count == 1)
        #expect(keys[0].keyID == UUID(uuidString: "00000000-0000-0000-0000-00000000000A"))
        #expect(keys[0].key.count == 12)
        #expect(keys[0].key.hex == "ff0f")
    }

    @Test("TargetFile.parse gives what load gives for the reference example")
    func parseMatchesLoad() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/targets/reference.json").path
        let loaded = try TargetFile.load(path: path)
        let parsed = try TargetFile.parse(try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        #expect(parsed == loaded)
        #expect(parsed.declared.frameBits == 32_768)
    }

    @Test("a key request body with a byte that is not UTF-8 (0xB5 inside a string) is refused as not UTF-8 text")
    func notUTF8() {
        var body = Array("{\"number\": 1, \"additional_slave_SAE_IDs\": [\"SAE_".utf8)
        body += [0xB5] + Array("\"]}".utf8)
        do { _ = try KeyRequest.parse(Data(body)); Issue.record("accepted") } catch {
            #expect(error.reason == "the body is not UTF-8 text")
        }
        // The same body with the byte spelt as UTF-8 (U+00B5, C2 B5) is a valid request.
        var fixed = Array("{\"number\": 1, \"additional_slave_SAE_IDs\": [\"SAE_".utf8)
        fixed += [0xC2, 0xB5] + Array("\"]}".utf8)
        #expect((try? KeyRequest.parse(Data(fixed)))?.value.additionalSlaveSAEIDs == ["SAE_\u{B5}"])
    }

    @Test("a target file that is not JSON is a HarnessError that says so")
    func notJSON() {
        do { _ = try TargetFile.parse(Data("{\"name\": ".utf8), path: "t.json"); Issue.record("accepted") } catch {
            #expect(error is HarnessError)
            #expect("\(error)".contains("not valid JSON"))
        }
    }
}
