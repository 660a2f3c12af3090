import ETSI014Models
import Foundation

/// What the ETSI 014 fuzz target runs on every input. The first byte picks what the rest is:
/// a Status, Key request, Key container, Key IDs or Error body (clause 6) read by
/// ``StrictModel/parse(_:)``, or a GET's query string read by ``KeyRequest/fromQuery(_:)``.
///
/// Checked, besides "no crash": bad input is a ``ModelValidationError`` with a reason; the
/// `Decodable` way in (JSONDecoder) accepts exactly what `parse` accepts, for UTF-8 bodies; a body that parses
/// re-encodes (``StrictModel/jsonData()``) to one that parses to the same value with no unknown
/// field, and whose encoding is a fixed point.
package enum ETSI014ModelsCheck {
    package static func check(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let body = Data(bytes.dropFirst())
        switch selector % 6 {
        case 0: roundTrip(KeyStatus.self, body)
        case 1: roundTrip(KeyRequest.self, body)
        case 2: roundTrip(KeyContainer.self, body)
        case 3: roundTrip(KeyIDs.self, body)
        case 4: roundTrip(ErrorBody.self, body)
        default: query(body)
        }
    }

    static func roundTrip<M: StrictModel & Equatable>(_ model: M.Type, _ body: Data) {
        let parsed: Parsed<M>
        do { parsed = try M.parse(body) } catch {
            precondition(!error.reason.isEmpty, "a validation error without a reason")
            // A body that is not UTF-8 is parse's to refuse: a Decoder never sees the bytes, and
            // Foundation's JSONDecoder reads strings through invalid UTF-8 (regressions/
            // ETSI014ModelsFuzzer/key-request-not-utf8). Otherwise both ways in are as strict.
            if String(data: body, encoding: .utf8) != nil {
                precondition((try? JSONDecoder().decode(M.self, from: body)) == nil, "JSONDecoder accepts a \(M.self) that parse refuses")
            }
            return
        }
        precondition((try? JSONDecoder().decode(M.self, from: body)) == parsed.value, "JSONDecoder and parse disagree on a \(M.self)")
        guard let encoded = try? parsed.value.jsonData() else { preconditionFailure("a parsed \(M.self) does not encode") }
        guard let again = try? M.parse(encoded) else { preconditionFailure("a re-encoded \(M.self) does not parse") }
        precondition(again.value == parsed.value, "parse → encode → parse changed a \(M.self)")
        precondition(again.unknownFields.isEmpty, "the encoding of a \(M.self) has fields the standard does not define")
        precondition((try? again.value.jsonData()) == encoded, "the encoding of a \(M.self) is not a fixed point")
    }

    /// A query string: `name=value` pairs split on `&`, percent-decoded, as a server hands them over.
    static func query(_ body: Data) {
        let text = String(decoding: body, as: UTF8.self)
        let items = text.split(separator: "&", omittingEmptySubsequences: true).map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return (name, value)
        }
        guard let parsed = try? KeyRequest.fromQuery(items) else { return }
        precondition(parsed.value.fitsInQuery, "a request read from a query holds more than number and size")
        // What a query says, a body says the same way.
        guard let encoded = try? parsed.value.jsonData(), let body = try? KeyRequest.parse(encoded) else {
            preconditionFailure("a request read from a query does not round-trip as a body")
        }
        precondition(body.value == parsed.value, "a query's request changed as a body")
    }
}
