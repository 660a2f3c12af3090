import Foundation

/// One structure-aware change to an ETSI GS QKD 014 request, with its parameters written out
/// literally (the exact SAE ID segment, query value or JSON text), so a reproducer replays it
/// without the fuzzer's random choices.
package struct KMEMutation: Sendable, Codable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable, Codable, CaseIterable {
        /// The HTTP method (`value`: GET, POST, PUT, DELETE, PATCH).
        case method
        /// The last path segment, the method of Table 2 (`value`: status, enc_keys, dec_keys or another word).
        case endpoint
        /// The `{SAE_ID}` path segment, as written on the request line (`value`: `..`, `%2e%2e`,
        /// an encoded slash, the caller's own ID, empty, very long, Unicode, NUL, overlong UTF-8).
        case saeID = "sae-id"
        /// A query parameter set to `value` (its first occurrence, or added).
        case queryValue = "query-value"
        /// A query parameter added once more (`field=value` after the others).
        case queryRepeat = "query-repeat"
        /// A JSON body member set to the JSON text `value` (wrong type, huge number, …), or added.
        case jsonField = "json-field"
        /// A JSON body member removed.
        case jsonDrop = "json-drop"
        /// A JSON body member written twice, the second time with `value`.
        case jsonDuplicate = "json-duplicate"
        /// A JSON body member's value wrapped in `count` arrays.
        case jsonNest = "json-nest"
        /// A JSON body member set to the bytes in hex `value` (a string holding NUL, a lone
        /// surrogate, invalid or overlong UTF-8).
        case jsonBytes = "json-bytes"
        /// `key_IDs` made `count` copies of the JSON text `value` (the placeholders of delivered IDs, random UUIDs, other types).
        case keyIDList = "key-id-list"
        /// `extension_mandatory` holding a parameter named `value` that no KME can support.
        case extensionMandatory = "extension-mandatory"
        /// The whole body replaced by `value` (hex bytes): empty, not JSON, truncated JSON, a BOM.
        case body
        /// The body cut after `count` bytes.
        case truncateBody = "truncate-body"
        /// The Content-Type header set to `value` (empty: none).
        case contentType = "content-type"
        /// The client certificate of another SAE (`value`: a ``KMEFuzzRequest/Caller``).
        case caller
        /// The request sent to the other KME (`value`: master or slave).
        case kme
    }

    package var kind: Kind
    /// The member or query parameter a change applies to (empty where none).
    package var field: String
    package var value: String
    package var count: Int

    package init(_ kind: Kind, field: String = "", value: String = "", count: Int = 0) {
        self.kind = kind
        self.field = field
        self.value = value
        self.count = count
    }

    package var description: String {
        func short(_ s: String) -> String { s.count > 60 ? String(s.prefix(48)) + "…(\(s.utf8.count) bytes)" : s }
        switch kind {
        case .method, .endpoint, .saeID, .contentType, .caller, .kme: return "\(kind.rawValue) \(short(value).debugDescription)"
        case .queryValue, .queryRepeat, .jsonField, .jsonDuplicate: return "\(kind.rawValue) \(field)=\(short(value))"
        case .jsonDrop: return "\(kind.rawValue) \(field)"
        case .jsonNest: return "\(kind.rawValue) \(field) ×\(count)"
        case .jsonBytes: return "\(kind.rawValue) \(field)=0x\(short(value))"
        case .keyIDList: return "\(kind.rawValue) \(count) × \(short(value))"
        case .extensionMandatory: return "\(kind.rawValue) \(value)"
        case .body: return "\(kind.rawValue) 0x\(short(value))"
        case .truncateBody: return "\(kind.rawValue) at \(count) bytes"
        }
    }

    /// Bounds a reproducer's mutation must keep (the same the fuzzer draws within).
    var isBounded: Bool {
        if kind == .keyIDList { return (0...KMERequestDraft.maximumKeyIDs).contains(count) && value.utf8.count <= 256 }
        return value.utf8.count <= 2 * KMERequestDraft.maximumBody && field.utf8.count <= 256 && (0...KMERequestDraft.maximumBody).contains(count)
    }
}

/// A request under construction: the parts the mutations act on, before it is written out.
struct KMERequestDraft {
    /// Bodies stay under this (so a KME's own body limit, 64 KiB for the reference, is not what is tested).
    static let maximumBody = 16_384
    static let maximumNesting = 200
    static let maximumKeyIDs = 300

    enum Body: Equatable {
        case none
        /// A JSON object's members in order, each value as raw bytes (duplicates allowed).
        case members([(name: String, value: [UInt8])])
        case raw([UInt8])

        static func == (a: Body, b: Body) -> Bool {
            switch (a, b) {
            case (.none, .none): return true
            case (.members(let x), .members(let y)): return x.map(\.name) == y.map(\.name) && x.map(\.value) == y.map(\.value)
            case (.raw(let x), .raw(let y)): return x == y
            default: return false
            }
        }
    }

    var kme: KMEFuzzRequest.KME
    var caller: KMEFuzzRequest.Caller
    var method: String
    var saeSegment: String
    var methodSegment: String
    /// Name and value as written on the request line.
    var query: [(name: String, value: String)]
    var body: Body
    var contentType: String?

    /// The request's bytes on the wire.
    var request: KMEFuzzRequest {
        var path = ETSI014Paths.prefix + saeSegment + "/" + methodSegment
        if !query.isEmpty { path += "?" + query.map { "\($0.name)=\($0.value)" }.joined(separator: "&") }
        return KMEFuzzRequest(kme: kme, caller: caller, method: method, path: path, contentType: contentType, body: bodyBytes)
    }

    var bodyBytes: [UInt8]? {
        switch body {
        case .none: return nil
        case .raw(let b): return Array(b.prefix(Self.maximumBody))
        case .members(let m):
            var out: [UInt8] = Array("{".utf8)
            for (i, member) in m.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += Array("\"\(member.name)\":".utf8) + member.value
            }
            out.append(UInt8(ascii: "}"))
            return Array(out.prefix(Self.maximumBody))
        }
    }

    /// Applies one mutation. Mutations that do not fit the draft (a JSON member change on a body
    /// already turned to raw bytes) change nothing.
    mutating func apply(_ m: KMEMutation) {
        switch m.kind {
        case .method: method = m.value
        case .endpoint: methodSegment = m.value
        case .saeID: saeSegment = m.value
        case .queryValue:
            if let i = query.firstIndex(where: { $0.name == m.field }) { query[i].value = m.value } else { query.append((m.field, m.value)) }
        case .queryRepeat: query.append((m.field, m.value))
        case .jsonField: setMember(m.field, Array(m.value.utf8))
        case .jsonBytes: setMember(m.field, Self.bytes(hex: m.value))
        case .jsonDrop:
            if case .members(var list) = body {
                list.removeAll { $0.name == m.field }
                body = .members(list)
            }
        case .jsonDuplicate:
            if case .members(var list) = body {
                list.append((m.field, Array(m.value.utf8)))
                body = .members(list)
            }
        case .jsonNest:
            if case .members(var list) = body, let i = list.firstIndex(where: { $0.name == m.field }) {
                let n = min(max(m.count, 0), Self.maximumNesting)
                list[i].value = Array(repeating: UInt8(ascii: "["), count: n) + list[i].value + Array(repeating: UInt8(ascii: "]"), count: n)
                body = .members(list)
            }
        case .keyIDList:
            let n = min(max(m.count, 0), Self.maximumKeyIDs)
            let entries = (0..<n).map { i in m.value.replacingOccurrences(of: "{{i}}", with: String(i % 2)) }
            setMember("key_IDs", Array(("[" + entries.joined(separator: ",") + "]").utf8))
        case .extensionMandatory:
            setMember("extension_mandatory", Array("[{\"\(m.value)\":true}]".utf8))
        case .body: body = .raw(Self.bytes(hex: m.value))
        case .truncateBody:
            if let b = bodyBytes { body = .raw(Array(b.prefix(max(0, m.count)))) }
        case .contentType: contentType = m.value.isEmpty ? nil : m.value
        case .caller: if let c = KMEFuzzRequest.Caller(rawValue: m.value) { caller = c }
        case .kme: if let k = KMEFuzzRequest.KME(rawValue: m.value) { kme = k }
        }
    }

    private mutating func setMember(_ name: String, _ value: [UInt8]) {
        var list: [(name: String, value: [UInt8])]
        switch body {
        case .members(let m): list = m
        case .none: list = []
        case .raw: return
        }
        if let i = list.firstIndex(where: { $0.name == name }) { list[i].value = value } else { list.append((name, value)) }
        body = .members(list)
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = [], digits = Array(hex.utf8)
        if digits.count % 2 == 1 { digits.removeLast() }
        var i = 0
        while i + 1 < digits.count, out.count < maximumBody {
            if let b = UInt8(String(decoding: digits[i...i + 1], as: UTF8.self), radix: 16) { out.append(b) }
            i += 2
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// The path prefix of Table 2, here so the fuzzer writes paths without going through the
/// client's encoder (which would undo its path tricks).
enum ETSI014Paths {
    static let prefix = "/api/v1/keys/"
}
