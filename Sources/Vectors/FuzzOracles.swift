/// What the vector fuzz targets (Fuzz/VectorFileFuzzer, Fuzz/ShimAnswerFuzzer) run on each
/// input, here so that the regression tests replay a finding through exactly the same code.
/// A broken oracle stops the process (`precondition`): that is how libFuzzer sees a finding.
package enum FuzzOracles {
    /// A vector file as `vectors lint` and `vectors verify` read it: the strict parser, the
    /// schema validator against the embedded schemas, the linter and the reference on every
    /// test. Whatever parses prints canonically, parses back to the same value, and its
    /// canonical text is a fixed point.
    package static func vectorFile(_ bytes: [UInt8]) {
        guard let file = try? VectorFile(name: "fuzz.json", bytes: bytes) else { return }
        let text = CanonicalJSON.text(file.document)
        let again = try? JSONParser.parse(Array(text.utf8))
        precondition(again == file.document, "the canonical text does not parse back to the same document")
        precondition(CanonicalJSON.text(again ?? .null) == text, "the canonical text is not a fixed point")
        _ = VectorLinter.lint(file, store: .embedded)
        _ = try? VectorVerifier.verify(file)
    }

    /// One line of the shim protocol both ways: as an answer the harness parses and judges, and
    /// as a request the reference shim answers (every numeric field of every algorithm). The
    /// reference's answer always has an id and exactly one of output/error/unimplemented, and
    /// parses back through ``ShimProtocol/answer(_:id:)``.
    package static func shimLine(_ bytes: [UInt8]) {
        let line = String(decoding: bytes, as: UTF8.self)
        if let answer = try? ShimProtocol.answer(line, id: 1) {
            for result in ["valid", "invalid", "acceptable"] {
                let tagged: JSONValue = .object([
                    "result": .string(result), "flags": .array([.string("WrongTag")]), "tag": .string("00ff00ff00ff00ff"),
                ])
                _ = ShimProtocol.judge(answer, algorithm: "WEGMAN-CARTER-GF2_64", test: tagged)
                _ = ShimProtocol.judge(answer, algorithm: "BB84-SIFTING", test: .object(["result": .string(result)]))
            }
        }
        if let request = try? JSONParser.parse(bytes) {
            let reply = ReferenceShim.answer(request)
            let kinds = ["output", "error", "unimplemented"].filter { reply[$0] != nil }
            precondition(reply["id"]?.int != nil && kinds.count == 1, "the reference shim's answer is malformed")
            let text = CanonicalJSON.text(reply).split(separator: "\n").joined(separator: " ")
            precondition((try? ShimProtocol.answer(text, id: reply["id"]?.int ?? 0)) != nil, "the reference shim's answer does not parse back")
        }
    }
}
