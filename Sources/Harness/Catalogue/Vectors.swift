import Foundation
import Vectors

// MARK: Known-answer vectors through the target's shim

extension Catalogue {
    /// The vector files the catalogue runs, by case ID suffix.
    static let vectorFiles: [(id: String, file: String, title: String)] = [
        ("sifting", "sifting.json", "Sifting"),
        ("parameter-estimation", "parameter_estimation.json", "Parameter estimation"),
        ("verification", "verification.json", "GF(2⁶⁴) verification hash"),
        ("toeplitz", "toeplitz.json", "Toeplitz privacy amplification"),
        ("wegman-carter", "wegman_carter.json", "Wegman–Carter authentication"),
        ("finite-key", "finite_key.json", "Finite-key length"),
        ("cascade", "cascade.json", "Cascade as Bob"),
    ]

    static let vectorCases: [ConformanceCase] = vectorFiles.map { v in
        ConformanceCase(
            id: "vectors/\(v.id)", title: "\(v.title): known-answer vectors",
            requirement: """
                The stack's implementation, asked through its shim, must compute every valid vector's outputs of vectors/\(v.file) and refuse every \
                invalid one; an algorithm it does not implement is reported, not failed.
                """,
            level: .must, reference: "vectors/\(v.file) (docs/targets.md, shim protocol)", tags: ["vectors"]
        ) { ctx in
            guard let command = ctx.target.shimCommand else {
                return .unimplemented("the target declares no shim, so vectors cannot reach its implementation")
            }
            // --vectors DIR (or ./vectors) when given, else the copies compiled into the executable.
            let store: VectorStore = ctx.vectors.map { .directory($0) } ?? .embedded
            let file: VectorFile
            do { file = try store.file(named: v.file) } catch {
                throw HarnessError("\(store.label)/\(v.file): \(error)")
            }
            let shim = try ShimClient(command: command)
            defer { shim.close() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var passed = 0, unimplemented = 0
            var failures: [String] = []
            for (i, (_, test)) in file.tests.enumerated() {
                let request = ShimProtocol.request(id: i + 1, algorithm: file.algorithm, test: test)
                let line: String
                do {
                    line = try shim.exchange(String(decoding: try encoder.encode(request), as: UTF8.self), timeout: 30)
                } catch ShimClient.Failure.timedOut {
                    return CaseOutcome(holds: false, detail: "the shim did not answer vector tcId \(test["tcId"]?.int ?? 0) within 30 s", verdict: .timeout)
                } catch ShimClient.Failure.crashed(let why) {
                    let verdict: Verdict = shim.crashSignal != nil ? .crash : .fail
                    return CaseOutcome(holds: false, detail: "the shim stopped answering at tcId \(test["tcId"]?.int ?? 0): \(why)", verdict: verdict)
                }
                let answer: ShimProtocol.Answer
                do { answer = try ShimProtocol.answer(line, id: i + 1) } catch {
                    failures.append("tcId \(test["tcId"]?.int ?? 0): \(error)")
                    continue
                }
                if answer == .unimplemented { unimplemented += 1; continue }
                let (ok, why) = ShimProtocol.judge(answer, algorithm: file.algorithm, test: test)
                if ok { passed += 1 } else { failures.append("tcId \(test["tcId"]?.int ?? 0): \(why)") }
            }
            let total = file.tests.count
            if passed == 0 && failures.isEmpty && unimplemented > 0 {
                return .unimplemented("the shim does not implement \(file.algorithm) (\(total) vectors)")
            }
            var detail = "\(file.algorithm): \(passed) of \(total) vectors right"
            if unimplemented > 0 { detail += ", \(unimplemented) unimplemented" }
            if !failures.isEmpty { detail += "; wrong: " + failures.prefix(5).joined(separator: "; ") + (failures.count > 5 ? "; …" : "") }
            return CaseOutcome(holds: failures.isEmpty, detail: detail,
                               measurements: ["vectors": Double(total), "passed": Double(passed), "wrong": Double(failures.count),
                                              "unimplemented": Double(unimplemented)])
        }
    }
}
