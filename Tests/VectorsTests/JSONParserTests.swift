import Testing
@testable import Vectors

@Suite("Strict JSON parser")
struct JSONParserTests {
    @Test("integers keep their exact value up to 2^64 - 1 and their kind; floats stay floats")
    func numbers() throws {
        #expect(try JSONParser.parse("18446744073709551615") == .uint(UInt64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(Int.min))
        #expect(try JSONParser.parse("2.0") == .double(2))
        #expect(try JSONParser.parse("1e-10") == .double(1e-10))
        for bad in ["18446744073709551616", "-9223372036854775809", "1e999", "01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN"] {
            #expect(throws: JSONParser.Failure.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test("strings: escapes and surrogate pairs decode; raw controls, lone surrogates and bad escapes are refused")
    func strings() throws {
        #expect(try JSONParser.parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) == .string("a\"\\/\u{8}\u{C}\n\r\té😀"))
        for bad in ["\"\u{1}\"", #""\ud83d""#, #""\ude00""#, #""\x""#, #""\u12""#, "\"abc", "\"\\"] {
            #expect(throws: JSONParser.Failure.self, "\(bad)") { try JSONParser.parse(bad) }
        }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }  // not UTF-8
    }

    @Test("structure: duplicates, trailing commas, trailing text and deep nesting are refused with an offset")
    func structure() throws {
        #expect(try JSONParser.parse(" {\"a\": [1, {\"b\": null}], \"c\": true} ") == .object(["a": .array([.int(1), .object(["b": .null])]), "c": .bool(true)]))
        do {
            _ = try JSONParser.parse(#"{"seed": 1, "seed": 2}"#)
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.offset == 12 && error.message.contains("duplicate"))
        }
        for bad in ["[1,]", "{\"a\":1,}", "[1] x", "", "tru", "{1: 2}", "[1 2]"] {
            #expect(throws: JSONParser.Failure.self, "\(bad)") { try JSONParser.parse(bad) }
        }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
    }
}
