import Foundation

/// The shim protocol: how known-answer vectors reach a stack in any language. The harness starts
/// the stack's shim and writes one JSON request per line on its standard input; the shim writes
/// one JSON answer per line on its standard output, in order (docs/targets.md, "Shim").
///
///     → {"id": 7, "algorithm": "TOEPLITZ-PRIVACY-AMPLIFICATION", "input": {"inputBits": 8, ...}}
///     ← {"id": 7, "output": {"output": "a5"}}
///     ← {"id": 7, "unimplemented": true}
///     ← {"id": 7, "error": "refused: seed too short"}
///
/// `input` is the vector without its expected outputs and bookkeeping; `output` must hold the
/// fields listed in ``outputFields`` for the algorithm, encoded as in the vector files.
package enum ShimProtocol {
    /// The outputs a shim computes, per algorithm; every other field of a vector is input.
    package static let outputFields: [String: [String]] = [
        "BB84-SIFTING": ["sifted"],
        "BB84-PARAMETER-ESTIMATION": ["samplePositions", "sampleErrors", "abort"],
        "GF2_64-POLYHASH-VERIFICATION": ["tag"],
        "TOEPLITZ-PRIVACY-AMPLIFICATION": ["output"],
        "WEGMAN-CARTER-GF2_64": ["tag"],
        "BB84-FINITE-KEY-TLGR2012": ["length"],
        "CASCADE-TRANSCRIPT": ["reconciled", "disclosedParityBits"],
    ]

    /// Bookkeeping fields that are neither input nor output.
    static let bookkeeping: Set<String> = ["tcId", "comment", "flags", "result", "exactLength"]
    /// Inputs withheld from the shim: it plays Bob in a Cascade transcript, so Alice's key stays
    /// secret (her recorded replies are in the transcript).
    static let withheld: [String: Set<String>] = ["CASCADE-TRANSCRIPT": ["alice"]]

    package struct Request: Sendable, Encodable {
        package var id: Int
        package var algorithm: String
        package var input: JSONValue
    }

    /// What a shim answered.
    package enum Answer: Sendable, Equatable {
        case output([String: JSONValue])
        case unimplemented
        /// The shim refused the input (the right answer to an invalid vector).
        case refused(String)
    }

    /// The request for one vector of `algorithm`.
    package static func request(id: Int, algorithm: String, test: JSONValue) -> Request {
        var input = test.object ?? [:]
        let dropped = Set(outputFields[algorithm] ?? []).union(bookkeeping).union(withheld[algorithm] ?? [])
        for k in input.keys where dropped.contains(k) { input[k] = nil }
        return Request(id: id, algorithm: algorithm, input: .object(input))
    }

    /// Parses one answer line for request `id`.
    package static func answer(_ line: String, id: Int) throws -> Answer {
        guard let value = try? JSONParser.parse(Array(line.utf8)), value.object != nil else {
            throw ShimError("the shim answered something that is not a JSON object: \(line.prefix(200))")
        }
        guard value["id"]?.int == id else { throw ShimError("the shim answered id \(value["id"].map { "\($0)" } ?? "none") to request \(id)") }
        // Exactly one of the three answers: one that says two things at once is refused.
        let kinds = ["output", "error", "unimplemented"].filter { value[$0] != nil }
        guard kinds.count == 1 else {
            throw ShimError(kinds.isEmpty ? "answer \(id) has neither output, error nor unimplemented"
                                          : "answer \(id) holds \(kinds.joined(separator: ", ")); exactly one of output, error and unimplemented is allowed")
        }
        if let u = value["unimplemented"] {
            guard u == .bool(true) else { throw ShimError("answer \(id): \"unimplemented\" must be true") }
            return .unimplemented
        }
        if let e = value["error"] {
            guard let text = e.string else { throw ShimError("answer \(id): \"error\" must be a string") }
            return .refused(text)
        }
        guard let o = value["output"]?.object else { throw ShimError("answer \(id): \"output\" must be an object") }
        return .output(o)
    }

    /// Flags whose invalid vectors carry a forged value rather than a refusable input: the vector's
    /// tag is what a forger presents, and an implementation that computes the right tag (one that
    /// differs from it) has rejected it. Every other invalid vector must be refused with `error`.
    package static let tagMismatchFlags: Set<String> = ["WrongTag"]

    /// Whether `test` is an invalid vector judged by tag mismatch (``tagMismatchFlags``).
    package static func isTagMismatch(_ test: JSONValue) -> Bool {
        (test["flags"]?.array ?? []).contains { $0.string.map(tagMismatchFlags.contains) ?? false }
    }

    /// Whether `answer` is right for the vector `test` of `algorithm`:
    /// - `valid`: every expected output, exactly;
    /// - `invalid`: a refusal (`error`); an output never passes, except that a `WrongTag` vector
    ///   also passes when the computed tag differs from the forged one;
    /// - `acceptable`: a refusal, or every expected output exactly (an answer given must be right).
    package static func judge(_ answer: Answer, algorithm: String, test: JSONValue) -> (ok: Bool, why: String) {
        let expectation = test["result"]?.string ?? "valid"
        switch answer {
        case .unimplemented:
            return (false, "unimplemented")
        case .refused(let why):
            switch expectation {
            case "invalid": return (true, "refused")
            case "acceptable": return (true, "refused (acceptable)")
            default: return (false, "refused a valid input: \(why.prefix(200))")
            }
        case .output(let o):
            let differing = (outputFields[algorithm] ?? []).filter { field in !same(o[field], test[field]) }
            switch expectation {
            case "invalid":
                if isTagMismatch(test) {
                    return differing.isEmpty ? (false, "accepted a forged tag") : (true, "the forged tag does not verify")
                }
                return (false, "answered an invalid input with an output instead of refusing it (an error answer)")
            case "valid", "acceptable":
                return differing.isEmpty ? (true, "matches") : (false, "differs in \(differing.joined(separator: ", "))")
            default:
                return (false, "the vector has an unknown result '\(expectation.prefix(40))'")
            }
        }
    }

    /// JSON equality with hex strings compared without regard to case and numbers by value.
    static func same(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (.string(let x)?, .string(let y)?): return x.lowercased() == y.lowercased()
        case (.int(let x)?, .double(let y)?), (.double(let y)?, .int(let x)?): return Double(x) == y
        case (.uint(let x)?, .double(let y)?), (.double(let y)?, .uint(let x)?): return Double(x) == y
        case (.array(let x)?, .array(let y)?): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x)?, .object(let y)?): return Set(x.keys) == Set(y.keys) && x.allSatisfy { same($0.value, y[$0.key]) }
        default: return a == b
        }
    }
}

/// A problem in the conversation with a shim.
package struct ShimError: Error, CustomStringConvertible {
    package let description: String
    package init(_ message: String) { description = message }
}
