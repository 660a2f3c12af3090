import Testing
import Vectors

@Suite("shim answers: exactly one of output, error and unimplemented")
struct ShimAnswerShapeTests {
    @Test("an answer carrying two or three of them is refused, naming them; one alone is read")
    func exactlyOne() throws {
        let all = #"{"id": 3, "output": {"length": 1}, "error": "refused", "unimplemented": true}"#
        #expect(throws: ShimError.self) { try ShimProtocol.answer(all, id: 3) }
        do {
            _ = try ShimProtocol.answer(#"{"id": 3, "output": {"length": 1}, "error": "no"}"#, id: 3)
            Issue.record("accepted an answer with both output and error")
        } catch {
            #expect("\(error)".contains("output, error"))
        }
        #expect(try ShimProtocol.answer(#"{"id": 3, "error": "refused"}"#, id: 3) == .refused("refused"))
        #expect(try ShimProtocol.answer(#"{"id": 3, "unimplemented": true}"#, id: 3) == .unimplemented)
    }
}
