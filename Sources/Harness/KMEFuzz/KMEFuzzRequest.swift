import Foundation

/// One HTTP request the ETSI 014 fuzzer sends, exactly as sent (a reproducer stores it): which
/// KME, whose client certificate, the method, the path with its query, the Content-Type and the
/// body bytes. Key IDs the KME delivers during the run appear as `{{key_ID_0}}`, `{{key_ID_1}}`:
/// a fresh KME delivers fresh IDs, so they are filled in when the request is sent.
package struct KMEFuzzRequest: Sendable, Codable, Equatable {
    /// The KME the request goes to.
    package enum KME: String, Sendable, Codable, CaseIterable { case master, slave }
    /// Whose client certificate the TLS connection presents: the master SAE's, the slave SAE's,
    /// or the SAE attached to neither KME (the target's `unauthorized`).
    package enum Caller: String, Sendable, Codable, CaseIterable {
        case masterSAE = "master-sae", slaveSAE = "slave-sae", unattachedSAE = "unattached-sae"
    }

    package var kme: KME
    package var caller: Caller
    package var method: String
    /// The path and query as written on the request line (percent-encoding as the fuzzer made it).
    package var path: String
    /// nil: no Content-Type header.
    package var contentType: String?
    /// nil: no body.
    package var body: [UInt8]?

    package init(kme: KME, caller: Caller, method: String, path: String, contentType: String?, body: [UInt8]?) {
        self.kme = kme
        self.caller = caller
        self.method = method
        self.path = path
        self.contentType = contentType
        self.body = body
    }

    /// The placeholder of the i-th key ID delivered for this request.
    package static func keyIDPlaceholder(_ i: Int) -> String { "{{key_ID_\(i)}}" }

    /// The request with its placeholders replaced by the key IDs delivered for it.
    func filled(keyIDs: [String]) -> KMEFuzzRequest {
        guard !keyIDs.isEmpty else { return self }
        var r = self
        for (i, id) in keyIDs.enumerated() {
            let p = Self.keyIDPlaceholder(i)
            r.path = r.path.replacingOccurrences(of: p, with: id)
            if let b = r.body, let text = String(bytes: b, encoding: .utf8), text.contains(p) {
                r.body = Array(text.replacingOccurrences(of: p, with: id).utf8)
            }
        }
        return r
    }

    /// Whether the request names a delivered key (so the fuzzer must have one delivered first).
    var needsKeyIDs: Bool {
        let p = "{{key_ID_"
        return path.contains(p) || (body.flatMap { String(bytes: $0, encoding: .utf8) }?.contains(p) ?? false)
    }

    /// The path without its query.
    var pathOnly: String { path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path }
    /// The query (after `?`), or nil.
    var query: String? {
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// The method of Table 2 the path addresses once dot segments are resolved ("other" if none):
    /// how findings and behaviours are grouped.
    var endpoint: String {
        let segments = KMERequestOracle.resolvedSegments(pathOnly)
        if segments.count == 6, segments[1] == "api", ["status", "enc_keys", "dec_keys"].contains(segments[5]) { return segments[5] }
        return "other"
    }

    /// One line for consoles and reports: the method, KME, caller, path (long ones cut) and body size.
    package var summary: String {
        let shownPath = path.count > 160 ? String(path.prefix(150)) + "…(\(path.utf8.count) bytes)" : path
        var s = "\(method) \(shownPath) to the \(kme.rawValue) KME as the \(caller.rawValue)"
        if let contentType { s += ", Content-Type \(contentType.isEmpty ? "(empty)" : contentType)" }
        if let body {
            if let text = String(bytes: body, encoding: .utf8), body.count <= 200 { s += ", body \(text.debugDescription)" } else {
                s += ", body of \(body.count) bytes"
            }
        }
        return s
    }

    // The body goes into JSON as text when it is UTF-8, as base64 otherwise (invalid UTF-8 is a
    // mutation the fuzzer makes on purpose), so a reproducer stays readable.
    enum CodingKeys: String, CodingKey {
        case kme, caller, method, path, body
        case contentType = "content_type", bodyBase64 = "body_base64"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kme = try c.decode(KME.self, forKey: .kme)
        caller = try c.decode(Caller.self, forKey: .caller)
        method = try c.decode(String.self, forKey: .method)
        path = try c.decode(String.self, forKey: .path)
        contentType = try c.decodeIfPresent(String.self, forKey: .contentType)
        if let text = try c.decodeIfPresent(String.self, forKey: .body) {
            body = Array(text.utf8)
        } else if let b64 = try c.decodeIfPresent(String.self, forKey: .bodyBase64) {
            guard let d = Data(base64Encoded: b64) else {
                throw DecodingError.dataCorruptedError(forKey: .bodyBase64, in: c, debugDescription: "body_base64 is not base64")
            }
            body = [UInt8](d)
        } else {
            body = nil
        }
        guard method.count <= 16, method.allSatisfy({ $0.isLetter && $0.isASCII }) else {
            throw DecodingError.dataCorruptedError(forKey: .method, in: c, debugDescription: "method must be 1-16 ASCII letters")
        }
        guard path.hasPrefix("/"), path.utf8.count <= 65_536 else {
            throw DecodingError.dataCorruptedError(forKey: .path, in: c, debugDescription: "path must start with / and hold at most 64 KiB")
        }
        guard (body?.count ?? 0) <= KMERequestDraft.maximumBody else {
            throw DecodingError.dataCorruptedError(forKey: .body, in: c, debugDescription: "body must hold at most \(KMERequestDraft.maximumBody) bytes")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kme, forKey: .kme)
        try c.encode(caller, forKey: .caller)
        try c.encode(method, forKey: .method)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(contentType, forKey: .contentType)
        if let body {
            if let text = String(bytes: body, encoding: .utf8), !text.utf8.contains(0) { try c.encode(text, forKey: .body) } else {
                try c.encode(Data(body).base64EncodedString(), forKey: .bodyBase64)
            }
        }
    }
}
