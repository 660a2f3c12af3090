import Foundation
import KeyDelivery
import Vectors

/// What the KMEs under test declare, read from the master KME's status at the start of a
/// campaign (clause 6.1) and from the target file (`declared.multiples_of_8_only`): the bounds
/// a request is judged against, and who is who.
package struct KMEDeclaration: Sendable, Codable, Equatable {
    package var keySize: Int
    package var minKeySize: Int
    package var maxKeySize: Int
    package var maxKeyPerRequest: Int
    package var maxSAEIDCount: Int
    package var multiplesOf8Only: Bool
    package var masterSAEID: String
    package var slaveSAEID: String
    package var unattachedSAEID: String

    enum CodingKeys: String, CodingKey {
        case keySize = "key_size", minKeySize = "min_key_size", maxKeySize = "max_key_size", maxKeyPerRequest = "max_key_per_request"
        case maxSAEIDCount = "max_SAE_ID_count", multiplesOf8Only = "multiples_of_8_only", masterSAEID = "master_SAE_ID"
        case slaveSAEID = "slave_SAE_ID", unattachedSAEID = "unattached_SAE_ID"
    }

    func saeID(_ c: KMEFuzzRequest.Caller) -> String {
        switch c {
        case .masterSAE: return masterSAEID
        case .slaveSAE: return slaveSAEID
        case .unattachedSAE: return unattachedSAEID
        }
    }
}

/// How one fuzzed request ended, as the oracle judges it.
enum KMEOutcome: Sendable {
    case answered(KMEResponse)
    case timedOut(String)
    case failed(String)
}

/// A suspect before it is reproduced: the kind, the endpoint and what happened.
struct KMESuspect: Sendable, Equatable {
    var kind: KMEFinding.Kind
    var endpoint: String
    var detail: String
    /// Findings of one kind on one endpoint are one finding.
    var key: String { "\(kind.rawValue)/\(endpoint)" }
}

/// The oracles of the ETSI 014 fuzzer: each request is judged from the request itself (as it
/// went out) and what the KMEs declare, never from what the reference KME would answer.
enum KMERequestOracle {
    /// Judges one exchange: a 5xx other than the 503 the standard defines, a 200 for a request
    /// the standard says must be refused, a 200 (or 400/503) whose body breaks the data format
    /// of clause 6, no answer in time, a connection that failed.
    static func judge(_ request: KMEFuzzRequest, _ outcome: KMEOutcome, declared d: KMEDeclaration, keyIDs: [String]) -> KMESuspect? {
        let endpoint = request.endpoint
        switch outcome {
        case .timedOut(let why):
            return KMESuspect(kind: .hang, endpoint: endpoint, detail: "no answer within the request timeout (\(why)) to \(request.summary)")
        case .failed(let why):
            return KMESuspect(kind: .crash, endpoint: endpoint,
                              detail: "the connection failed before an answer (\(why.prefix(200))) to \(request.summary)")
        case .answered(let r):
            if r.status >= 500 && r.status != 503 {
                return KMESuspect(kind: .serverError, endpoint: endpoint,
                                  detail: "HTTP \(r.status) (\(shape(r))) to \(request.summary); Tables 4, 6 and 8 define 200, 400, 401 and 503 only")
            }
            if r.status == 200, let why = mustRefuse(request, declared: d, keyIDs: keyIDs) {
                return KMESuspect(kind: .wrongAcceptance, endpoint: endpoint, detail: "HTTP 200 although \(why): \(request.summary)")
            }
            if let why = malformed(request, r, declared: d, keyIDs: keyIDs) {
                return KMESuspect(kind: .malformedResponse, endpoint: endpoint, detail: "HTTP \(r.status) whose body \(why), to \(request.summary)")
            }
            return nil
        }
    }

    /// Why the standard says this request must be refused, or nil when it may be served (or
    /// the oracle does not judge it: methods other than GET and POST, repeated query parameters,
    /// JSON with a duplicated member, a Content-Type that lies).
    static func mustRefuse(_ request: KMEFuzzRequest, declared d: KMEDeclaration, keyIDs: [String]) -> String? {
        guard ["GET", "POST"].contains(request.method) else { return nil }
        let attached = request.kme == .master ? d.masterSAEID : d.slaveSAEID
        let peer = request.kme == .master ? d.slaveSAEID : d.masterSAEID
        let caller = d.saeID(request.caller)
        if caller != attached {
            return "the client certificate is SAE \(caller)'s, not that of the SAE attached to this KME (\(attached)) (clause 5.1: 401)"
        }
        let segments = resolvedSegments(request.pathOnly)
        guard segments.count == 6, segments[0].isEmpty, segments[1] == "api", segments[2] == "v1", segments[3] == "keys",
              let method = ETSI014.Method(rawValue: segments[5])
        else { return "the path \(request.pathOnly.prefix(80).debugDescription) is no method of Table 2" }
        guard let named = segments[4].removingPercentEncoding else { return "the SAE ID in the path is not valid percent-encoded UTF-8" }
        if named != peer {
            return "the path names SAE \(named.prefix(60).debugDescription), not the peer SAE \(peer) (the only one this pair serves)"
        }
        let query = queryItems(request.query)
        switch (method, request.method) {
        case (.status, _): return nil
        case (.encKeys, "GET"):
            var number = 1, size = d.keySize
            for name in ["number", "size"] {
                let values = query.filter { $0.name == name }.map(\.value)
                guard values.count == 1 else { continue }
                guard let raw = values[0], isDecimal(raw), let v = Int(raw) else {
                    return "\(name)=\((values[0] ?? "(not percent-decodable)").prefix(40).debugDescription) is not a decimal integer (clause 6.2)"
                }
                if name == "number" { number = v } else { size = v }
            }
            return bounds(number: number, size: size, declared: d)
        case (.encKeys, _):
            guard let body = request.body, !body.isEmpty, !hasDuplicateMember(body) else { return nil }
            let parsed: Parsed<KeyRequest>
            do { parsed = try KeyRequest.parse(Data(body)) } catch { return "the body breaks the Key request format of Table 10 (\(error.description.prefix(100)))" }
            let k = parsed.value
            if let why = bounds(number: k.number ?? 1, size: k.size ?? d.keySize, declared: d) { return why }
            if let extra = k.additionalSlaveSAEIDs, extra.count > d.maxSAEIDCount {
                return "additional_slave_SAE_IDs names \(extra.count) SAEs, above max_SAE_ID_count \(d.maxSAEIDCount)"
            }
            if let names = k.extensionMandatory?.flatMap(\.keys), let unknown = names.first(where: { $0.hasPrefix(KMEFuzzScheduler.unknownExtensionPrefix) }) {
                return "extension_mandatory holds \(unknown), a parameter no KME supports (clause 6.2: 400)"
            }
            return nil
        case (.decKeys, "GET"):
            let ids = query.filter { $0.name == "key_ID" }.map(\.value)
            if ids.isEmpty { return "it names no key_ID (clause 6.4)" }
            if let unknown = ids.first(where: { $0.map { !keyIDs.contains($0) } ?? true }) {
                return "key_ID \((unknown ?? "(not percent-decodable)").prefix(60).debugDescription) was never delivered to this SAE"
            }
            return request.kme == .master ? "a key the master KME delivered can be fetched only at the slave KME" : nil
        case (.decKeys, _):
            if let body = request.body, hasDuplicateMember(body) { return nil }
            let parsed: Parsed<KeyIDs>
            do { parsed = try KeyIDs.parse(Data(request.body ?? [])) } catch {
                return "the body breaks the Key IDs format of Table 12 (\(error.description.prefix(100)))"
            }
            let ids = parsed.value.keyIDs.map(\.keyID)
            if ids.isEmpty { return "key_IDs names no key" }
            if let unknown = ids.first(where: { !keyIDs.contains($0) }) {
                return "key_ID \(unknown.prefix(60).debugDescription) was never delivered to this SAE"
            }
            return request.kme == .master ? "a key the master KME delivered can be fetched only at the slave KME" : nil
        }
    }

    /// `number` and `size` against what the KME declares (clauses 6.1, 6.2).
    static func bounds(number: Int, size: Int, declared d: KMEDeclaration) -> String? {
        if number < 1 { return "number \(number) is below 1" }
        if number > d.maxKeyPerRequest { return "number \(number) is above max_key_per_request \(d.maxKeyPerRequest)" }
        if size < d.minKeySize || size > d.maxKeySize { return "size \(size) lies outside min_key_size ... max_key_size (\(d.minKeySize) ... \(d.maxKeySize))" }
        if d.multiplesOf8Only && size % 8 != 0 { return "size \(size) is not a multiple of 8 and the KME declares multiples of 8 only" }
        return nil
    }

    /// Whether a 200's (or an error's) body breaks the data format of clause 6: a status that
    /// does not read strictly as Table 9, keys that do not as Table 11 (or are not the number
    /// and size asked for), a 400 or 503 without an Error body (Table 13).
    static func malformed(_ request: KMEFuzzRequest, _ r: KMEResponse, declared d: KMEDeclaration, keyIDs: [String]) -> String? {
        switch r.status {
        case 200:
            switch request.endpoint {
            case "status":
                do { _ = try KeyStatus.parse(r.data) } catch { return "is not a Status (Table 9): \(error.description.prefix(120))" }
            case "enc_keys", "dec_keys":
                let keys: [KeyContainer.Key]
                do { keys = try KeyContainer.parse(r.data).value.keys } catch { return "is not a Key container (Table 11): \(error.description.prefix(120))" }
                guard let asked = asked(request, declared: d) else { return nil }
                if keys.count != asked.count { return "holds \(keys.count) keys where \(asked.count) were asked for" }
                if let size = asked.size, size % 8 == 0, let bad = keys.first(where: { ($0.bytes?.count ?? 0) * 8 != size }) {
                    return "holds a key of \((bad.bytes?.count ?? 0) * 8) bits where \(size) were asked for"
                }
            default: return nil
            }
        case 400, 503:
            guard request.method != "HEAD" else { return nil }
            do { _ = try ErrorBody.parse(r.data) } catch { return "is not an Error (Table 13): \(error.description.prefix(120))" }
        default: return nil
        }
        return nil
    }

    /// How many keys a well-formed request asked for, and their size when it says (nil when
    /// the request is not clear enough to tell).
    static func asked(_ request: KMEFuzzRequest, declared d: KMEDeclaration) -> (count: Int, size: Int?)? {
        if request.endpoint == "dec_keys" {
            if request.method == "GET" { return (queryItems(request.query).filter { $0.name == "key_ID" }.count, nil) }
            guard let ids = try? KeyIDs.parse(Data(request.body ?? [])) else { return nil }
            return (ids.value.keyIDs.count, nil)
        }
        if request.method == "GET" {
            let q = queryItems(request.query)
            func one(_ name: String) -> Int?? {
                let v = q.filter { $0.name == name }
                if v.isEmpty { return .some(nil) }
                guard v.count == 1, let raw = v[0].value, isDecimal(raw), let n = Int(raw) else { return nil }
                return .some(n)
            }
            guard let number = one("number"), let size = one("size") else { return nil }
            return (number ?? 1, size ?? d.keySize)
        }
        guard let body = request.body, !body.isEmpty else { return (1, d.keySize) }
        guard !hasDuplicateMember(body), let k = try? KeyRequest.parse(Data(body)) else { return nil }
        return (k.value.number ?? 1, k.value.size ?? d.keySize)
    }

    /// The path's segments after `%2E` is read as `.` (it is the unreserved dot, RFC 3986 2.3)
    /// and dot segments are removed (RFC 3986 5.2.4): the resource a server may take it for.
    /// Encoded slashes stay inside their segment.
    static func resolvedSegments(_ path: String) -> [String] {
        let dotted = path.replacingOccurrences(of: "%2E", with: ".").replacingOccurrences(of: "%2e", with: ".")
        var out: [String] = []
        let parts = dotted.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for (i, p) in parts.enumerated() {
            if p == "." { if i == parts.count - 1 { out.append("") }; continue }
            if p == ".." {
                if out.count > 1 { out.removeLast() }
                if i == parts.count - 1 { out.append("") }
                continue
            }
            out.append(p)
        }
        return out
    }

    /// Query items, names and values percent-decoded (`+` as a space); a value that does not
    /// decode is nil.
    static func queryItems(_ query: String?) -> [(name: String, value: String?)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String? { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            return (decode(kv[0]) ?? String(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    /// Clause 6.2's integers "as string data": an optional minus and decimal digits, nothing else.
    static func isDecimal(_ s: String) -> Bool {
        let digits = s.hasPrefix("-") ? s.dropFirst() : Substring(s)
        return !digits.isEmpty && digits.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Whether the body is JSON with a member named twice (RFC 8259 leaves its meaning to the
    /// reader, so the oracle does not judge the values of such a body).
    static func hasDuplicateMember(_ body: [UInt8]) -> Bool {
        do { _ = try JSONParser.parse(body) } catch { return error.message.hasPrefix("duplicate member name") }
        return false
    }

    /// An answer's shape: an Error's message with digits folded, or the start of another body.
    static func shape(_ r: KMEResponse) -> String {
        if let e = r.error { return "message " + fold(e.message) }
        if r.body.isEmpty { return "no body" }
        return "body " + fold(String(decoding: r.body.prefix(40), as: UTF8.self))
    }

    /// Digits folded to one `#` and quoted text to `"…"`: messages that echo the request's
    /// values are one behaviour, not one per value.
    static func fold(_ s: String) -> String {
        var out = "", lastDigit = false, quoted = false
        for c in s.prefix(64) {
            if c == "\"" {
                quoted.toggle()
                out += quoted ? "\"…" : "\""
                lastDigit = false
                continue
            }
            if quoted { continue }
            if c.isNumber { if !lastDigit { out.append("#") }; lastDigit = true } else { out.append(c); lastDigit = false }
        }
        return out.debugDescription
    }
}
