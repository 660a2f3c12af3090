import Foundation

/// The valid requests the ETSI 014 fuzzer starts from, one per method and verb of Table 2.
package enum KMEFuzzBase: String, Sendable, Codable, CaseIterable {
    case status
    case encKeysGet = "enc_keys-get"
    case encKeysPost = "enc_keys-post"
    case decKeysGet = "dec_keys-get"
    case decKeysPost = "dec_keys-post"

    /// The valid request: two keys of the default size, fetched back by their IDs at the slave.
    func draft(_ d: KMEDeclaration) -> KMERequestDraft {
        let json = "application/json"
        switch self {
        case .status:
            return KMERequestDraft(kme: .master, caller: .masterSAE, method: "GET", saeSegment: d.slaveSAEID, methodSegment: "status",
                                   query: [], body: .none, contentType: nil)
        case .encKeysGet:
            return KMERequestDraft(kme: .master, caller: .masterSAE, method: "GET", saeSegment: d.slaveSAEID, methodSegment: "enc_keys",
                                   query: [("number", "2"), ("size", String(d.keySize))], body: .none, contentType: nil)
        case .encKeysPost:
            return KMERequestDraft(kme: .master, caller: .masterSAE, method: "POST", saeSegment: d.slaveSAEID, methodSegment: "enc_keys",
                                   query: [], body: .members([("number", Array("2".utf8)), ("size", Array(String(d.keySize).utf8))]), contentType: json)
        case .decKeysGet:
            return KMERequestDraft(kme: .slave, caller: .slaveSAE, method: "GET", saeSegment: d.masterSAEID, methodSegment: "dec_keys",
                                   query: [("key_ID", KMEFuzzRequest.keyIDPlaceholder(0))], body: .none, contentType: nil)
        case .decKeysPost:
            let ids = "[{\"key_ID\":\"\(KMEFuzzRequest.keyIDPlaceholder(0))\"},{\"key_ID\":\"\(KMEFuzzRequest.keyIDPlaceholder(1))\"}]"
            return KMERequestDraft(kme: .slave, caller: .slaveSAE, method: "POST", saeSegment: d.masterSAEID, methodSegment: "dec_keys",
                                   query: [], body: .members([("key_IDs", Array(ids.utf8))]), contentType: json)
        }
    }

    /// The request `mutations` make of this base.
    func request(_ mutations: [KMEMutation], declared d: KMEDeclaration) -> KMEFuzzRequest {
        var draft = draft(d)
        for m in mutations { draft.apply(m) }
        return draft.request
    }

    /// The mutation kinds that change something on this base.
    var kinds: [KMEMutation.Kind] {
        let common: [KMEMutation.Kind] = [.method, .endpoint, .saeID, .contentType, .caller, .kme, .body]
        switch self {
        case .status: return common + [.queryRepeat]
        case .encKeysGet, .decKeysGet: return common + [.queryValue, .queryRepeat]
        case .encKeysPost: return common + [.jsonField, .jsonDrop, .jsonDuplicate, .jsonNest, .jsonBytes, .extensionMandatory, .truncateBody]
        case .decKeysPost: return common + [.keyIDList, .jsonField, .jsonDrop, .jsonDuplicate, .jsonNest, .jsonBytes, .truncateBody]
        }
    }

    /// The members of the base's body (for the JSON kinds).
    var members: [String] {
        switch self {
        case .encKeysPost: return ["number", "size", "additional_slave_SAE_IDs", "extension_optional", "qkdspec_fuzz_field"]
        case .decKeysPost: return ["key_IDs", "key_IDs_extension", "qkdspec_fuzz_field"]
        default: return []
        }
    }
}

/// Chooses the next request, from the campaign's seed, favouring what found new behaviour:
/// a mutation list whose answer showed a signature not seen before (endpoint, method, status,
/// the shape of the error message) joins the corpus, and most requests vary a corpus entry —
/// the least tried first. An opening sweep tries every kind once on every base.
struct KMEFuzzScheduler {
    /// extension_mandatory names the fuzzer invents start with this; no KME can support them.
    static let unknownExtensionPrefix = "qkdspec_fuzz_ext_"
    static let maximumMutations = 3

    private var random: CaseRandom
    let declared: KMEDeclaration
    private(set) var corpus: [(base: KMEFuzzBase, mutations: [KMEMutation], tries: Int)] = []
    private(set) var seen: Set<String> = []
    /// The opening sweep: every kind once on every base it applies to, and the declared bounds
    /// each crossed by one (number 0 and one past max_key_per_request; size past min_key_size
    /// and max_key_size, and one bit over key_size), in an order the seed shuffles.
    private var sweep: [(base: KMEFuzzBase, kind: KMEMutation.Kind, fixed: KMEMutation?)] = []

    init(seed: UInt64, declared: KMEDeclaration) {
        random = CaseRandom(seed: seed, label: "etsi014-fuzz")
        self.declared = declared
        sweep = KMEFuzzBase.allCases.flatMap { b in b.kinds.map { (b, $0, nil) } }
        let bounds = [("number", 0), ("number", declared.maxKeyPerRequest + 1), ("size", declared.minKeySize - 8),
                      ("size", declared.maxKeySize + 8), ("size", declared.keySize + 1)]
        for (field, value) in bounds {
            sweep.append((.encKeysGet, .queryValue, KMEMutation(.queryValue, field: field, value: String(value))))
            sweep.append((.encKeysPost, .jsonField, KMEMutation(.jsonField, field: field, value: String(value))))
        }
        for i in stride(from: sweep.count - 1, to: 0, by: -1) { sweep.swapAt(i, random.int(in: 0...i)) }
    }

    var behaviours: Int { seen.count }

    /// Records a request's behaviour; true when new (its mutations then join the corpus).
    mutating func record(_ signature: String, base: KMEFuzzBase, mutations: [KMEMutation]) -> Bool {
        guard seen.insert(signature).inserted else { return false }
        if !mutations.isEmpty { corpus.append((base, mutations, 0)) }
        return true
    }

    /// The next request's base and mutations.
    mutating func next() -> (KMEFuzzBase, [KMEMutation]) {
        if let opening = sweep.popLast() { return (opening.base, [opening.fixed ?? parameters(opening.kind, base: opening.base)]) }
        guard !corpus.isEmpty, random.int(in: 0...9) >= 3 else {
            let base = pick(KMEFuzzBase.allCases)
            return (base, [parameters(pick(base.kinds), base: base)])
        }
        var i = random.int(in: 0...(corpus.count - 1))
        for _ in 0..<2 {
            let j = random.int(in: 0...(corpus.count - 1))
            if corpus[j].tries < corpus[i].tries { i = j }
        }
        corpus[i].tries += 1
        return (corpus[i].base, vary(corpus[i].mutations, base: corpus[i].base))
    }

    /// A variation: one mutation's parameters redrawn or its kind changed, one added or dropped.
    mutating func vary(_ list: [KMEMutation], base: KMEFuzzBase) -> [KMEMutation] {
        var out = list
        let i = random.int(in: 0...(out.count - 1))
        switch random.int(in: 0...3) {
        case 0: out[i] = parameters(out[i].kind, base: base)
        case 1: out[i] = parameters(pick(base.kinds), base: base)
        case 2: if out.count < Self.maximumMutations { out.append(parameters(pick(base.kinds), base: base)) } else { out[i] = parameters(pick(base.kinds), base: base) }
        default: if out.count > 1 { out.remove(at: i) } else { out.append(parameters(pick(base.kinds), base: base)) }
        }
        return out
    }

    /// A behaviour signature: the endpoint and method the request addressed, the status (or
    /// how the exchange failed) and the shape of the answer.
    static func signature(_ request: KMEFuzzRequest, _ outcome: KMEOutcome) -> String {
        let head = "\(request.endpoint) \(request.method) \(request.kme.rawValue)"
        switch outcome {
        case .timedOut: return head + " timeout"
        case .failed: return head + " failed"
        case .answered(let r): return "\(head) \(r.status) \(KMERequestOracle.shape(r))"
        }
    }

    private mutating func pick<T>(_ list: [T]) -> T { list[random.int(in: 0...(list.count - 1))] }

    /// Values of `number` and `size` that test bounds, types and parsers.
    var numbers: [String] {
        let d = declared
        // Valid sizes other than the default too: a KME that ignores size shows only on those.
        return ["-1", "0", "1", String(d.maxKeyPerRequest), String(d.maxKeyPerRequest + 1), String(d.minKeySize), String(d.maxKeySize),
                String(min(2 * d.keySize, d.maxKeySize)), String(d.minKeySize - 8), String(d.maxKeySize + 8),
                String(d.keySize + 1), String(d.keySize - 4), String(d.minKeySize + 3), "9223372036854775807", "9223372036854775808",
                "18446744073709551616", "-9223372036854775809", "99999999999999999999999999999", "1e309", "-1e309", "1.5", "2.0",
                "1e2", "0x10", "NaN"]
    }

    /// A mutation of `kind` with parameters drawn toward what breaks parsers and bound checks.
    mutating func parameters(_ kind: KMEMutation.Kind, base: KMEFuzzBase) -> KMEMutation {
        let d = declared
        switch kind {
        case .method: return KMEMutation(.method, value: pick(["GET", "POST", "PUT", "DELETE", "PATCH"]))
        case .endpoint: return KMEMutation(.endpoint, value: pick(["status", "enc_keys", "dec_keys", "keys", "ENC_KEYS", "status/", "enc_keys.json", ""]))
        case .saeID:
            let own = base == .decKeysGet || base == .decKeysPost ? d.slaveSAEID : d.masterSAEID
            let peer = base == .decKeysGet || base == .decKeysPost ? d.masterSAEID : d.slaveSAEID
            let long = String(repeating: "S", count: pick([256, 1024, 4096]))
            return KMEMutation(.saeID, value: pick([
                "..", "%2e%2e", "%2E%2E%2F%2E%2E", "\(peer)%2F..%2F\(peer)", "\(peer)%2F", "..%2F..%2Fkeys", "\(peer)/../\(peer)", own,
                d.unattachedSAEID, "", long, "%00", "\(peer)%00", "%C0%AE%C0%AE", "%ED%A0%80", "%FF", "%EF%BC%B3AE", peer.lowercased(),
                "\(peer)%20", "%E2%80%AE\(peer)", "\(peer)%0D%0AX-Injected:%201",
            ]))
        case .queryValue:
            let names = base == .decKeysGet ? ["key_ID"] : ["number", "size"]
            let ids = ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "..%2F..", "%7Bnot-delivered%7D"]
            let name = pick(names)
            let values = name == "key_ID" ? ids : numbers + ["abc", "", "%20%208", "%00", "%EF%BC%98"]
            return KMEMutation(.queryValue, field: name, value: pick(values))
        case .queryRepeat:
            let name = pick(base == .decKeysGet ? ["key_ID", "number"] : ["number", "size", "key_ID", "qkdspec_fuzz"])
            let value = name == "key_ID" ? KMEFuzzRequest.keyIDPlaceholder(pick([0, 1])) : pick(numbers)
            return KMEMutation(.queryRepeat, field: name, value: value)
        case .jsonField:
            let field = pick(base.members)
            var values = ["null", "true", "\"8\"", "[]", "{}", "[1]", "\"\"", "-0", "1E400"] + numbers
            if field == "additional_slave_SAE_IDs" { values = ["[\"\(d.slaveSAEID)\"]", "[\"\(d.unattachedSAEID)\"]", "[1]", "\"\(d.slaveSAEID)\"", "[null]", "{}"] }
            if field == "extension_optional" || field == "key_IDs_extension" { values = ["[{\"\(Self.unknownExtensionPrefix)x\":1}]", "{}", "[1]", "\"x\"", "null"] }
            if field == "key_IDs" { values = ["[]", "{}", "null", "\"\(KMEFuzzRequest.keyIDPlaceholder(0))\"", "[\"\(KMEFuzzRequest.keyIDPlaceholder(0))\"]", "[{}]", "[{\"key_ID\":1}]"] }
            return KMEMutation(.jsonField, field: field, value: pick(values))
        case .jsonDrop: return KMEMutation(.jsonDrop, field: pick(base.members))
        case .jsonDuplicate:
            let field = pick(base.members)
            return KMEMutation(.jsonDuplicate, field: field, value: field == "key_IDs" ? "[]" : pick(numbers))
        case .jsonNest: return KMEMutation(.jsonNest, field: pick(base.members), count: pick([1, 2, 16, 64, KMERequestDraft.maximumNesting]))
        case .jsonBytes:
            // A string holding: an escaped NUL, a raw NUL, a lone surrogate escape, a raw 0xFF,
            // overlong UTF-8 for '/', an encoded surrogate (ED A0 80), a BOM, a long string.
            let strings: [[UInt8]] = [Array("\"\\u0000\"".utf8), [0x22, 0x00, 0x22], Array("\"\\ud800\"".utf8), [0x22, 0xFF, 0x22],
                                      [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0xEF, 0xBB, 0xBF, 0x31],
                                      Array(("\"" + String(repeating: "é", count: 2000) + "\"").utf8)]
            return KMEMutation(.jsonBytes, field: pick(base.members), value: KMERequestDraft.hex(pick(strings)))
        case .keyIDList:
            let entries = ["{\"key_ID\":\"\(KMEFuzzRequest.keyIDPlaceholder(0))\"}", "{\"key_ID\":\"{{key_ID_{{i}}}}\"}", "{\"key_ID\":\"00000000-0000-4000-8000-000000000000\"}",
                           "{\"key_ID\":null}", "{}", "1", "\"\(KMEFuzzRequest.keyIDPlaceholder(0))\""]
            return KMEMutation(.keyIDList, value: pick(entries), count: pick([0, 1, 3, d.maxKeyPerRequest + 1, KMERequestDraft.maximumKeyIDs]))
        case .extensionMandatory:
            return KMEMutation(.extensionMandatory, value: Self.unknownExtensionPrefix + String(random.int(in: 0...999)))
        case .body:
            let bodies: [[UInt8]] = [[], Array("{".utf8), Array("{\"number\":".utf8), Array("[]".utf8), Array("null".utf8), Array("number=2&size=256".utf8),
                                     Array("<KeyRequest/>".utf8), Array("{\"number\":2,}".utf8), [0xEF, 0xBB, 0xBF] + Array("{}".utf8),
                                     Array("{\"number\":2}garbage".utf8), [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00], Array("{'number':2}".utf8), Array("\"\"".utf8),
                                     Array(String(repeating: "[", count: 4000).utf8)]
            return KMEMutation(.body, value: KMERequestDraft.hex(pick(bodies)))
        case .truncateBody: return KMEMutation(.truncateBody, count: pick([1, 2, 5, 9, 14, 20]))
        case .contentType:
            return KMEMutation(.contentType, value: pick(["", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16",
                                                         "application/xml", "multipart/form-data; boundary=x", "application/json, text/plain"]))
        case .caller: return KMEMutation(.caller, value: pick(KMEFuzzRequest.Caller.allCases.map(\.rawValue)))
        case .kme: return KMEMutation(.kme, value: pick(KMEFuzzRequest.KME.allCases.map(\.rawValue)))
        }
    }
}
