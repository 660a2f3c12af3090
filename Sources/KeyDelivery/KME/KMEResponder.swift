import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOSSL

/// The request context of the reference KME: the connection, to read the SAE's certificate.
package struct KMERequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// One KME's HTTP face (clause 5, Table 2): routes the three methods, reads the calling SAE's
/// ID from its client certificate's subject CN, parses bodies strictly and answers per clause 5.
struct KMEResponder: HTTPResponder {
    typealias Context = KMERequestContext
    let link: KMELink
    let role: KMELink.Role
    /// The SAE ID an anonymous client is taken for (the `no-client-certificate` bug only).
    let anonymousSAE: String
    /// Bodies above this are refused (400) before they are parsed.
    static let maxBody = 64 * 1024

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "api", "v1", "keys", {SAE_ID}, {method}
        guard parts.count == 6, parts[0].isEmpty, parts[1] == "api", parts[2] == "v1", parts[3] == "keys",
              let method = ETSI014.Method(rawValue: String(parts[5]))
        else {
            return Self.plain(.notFound, "no such resource: the methods are /api/v1/keys/{SAE_ID}/status, enc_keys and dec_keys")
        }
        guard let saeID = String(parts[4]).removingPercentEncoding, !saeID.isEmpty else {
            return Self.json(.badRequest, ErrorBody(message: "the SAE ID in the path is empty or not valid percent-encoding"))
        }
        guard let caller = await callerSAE(context) else { return Self.answer(.unauthorized) }
        let body = request.body
        let data: Data
        do {
            let buffer = try await body.collect(upTo: Self.maxBody)
            data = Data(buffer.readableBytesView)
        } catch {
            return Self.json(.badRequest, ErrorBody(message: "the body is larger than \(Self.maxBody) bytes"))
        }
        let query = Self.queryItems(request.uri.query)
        do {
            switch (method, request.method) {
            case (.status, .get):
                return Self.answer(try await link.status(role: role, caller: caller, slaveSAEID: saeID))
            case (.encKeys, .get), (.encKeys, .post):
                let parsed: Parsed<KeyRequest>
                if request.method == .get {
                    guard data.isEmpty else { return Self.json(.badRequest, ErrorBody(message: "a GET request carries no body; use POST")) }
                    parsed = try KeyRequest.fromQuery(query)
                    if !parsed.unknownFields.isEmpty {
                        return Self.json(.badRequest, ErrorBody(message: "a GET request may carry only number and size (clause 6.2)"))
                    }
                } else if data.isEmpty {
                    parsed = Parsed(value: KeyRequest(), unknownFields: [])
                } else {
                    parsed = try parseBody(KeyRequest.self, data)
                }
                return Self.answer(try await link.encKeys(role: role, caller: caller, slaveSAEID: saeID, request: parsed.value))
            case (.decKeys, .get):
                let ids = query.filter { $0.name == "key_ID" }.map(\.value)
                guard data.isEmpty, ids.count == 1, query.count == 1 else {
                    return Self.json(.badRequest, ErrorBody(message: "a GET request names exactly one key_ID and nothing else (clause 6.4)"))
                }
                return Self.answer(try await link.decKeys(role: role, caller: caller, masterSAEID: saeID, keyIDs: ids))
            case (.decKeys, .post):
                let parsed = try parseBody(KeyIDs.self, data)
                return Self.answer(try await link.decKeys(role: role, caller: caller, masterSAEID: saeID,
                                                          keyIDs: parsed.value.keyIDs.map(\.keyID)))
            default:
                var r = Self.plain(.methodNotAllowed, "method not allowed for \(method.rawValue)")
                r.headers[.allow] = method == .status ? "GET" : "GET, POST"
                return r
            }
        } catch let e as ModelValidationError {
            if link.bugs.contains(.crashOnBadJSON) && e.reason == "the body is not valid JSON" {
                return Self.plain(.internalServerError, "internal error")
            }
            return Self.json(.badRequest, ErrorBody(message: "bad request format: \(e.description)"))
        } catch {
            return Self.json(.serviceUnavailable, ErrorBody(message: "key data access error"))
        }
    }

    private func parseBody<M: StrictModel>(_ type: M.Type, _ data: Data) throws -> Parsed<M> {
        try M.parse(data)
    }

    /// The calling SAE: the subject CN of its client certificate (TLS already verified it
    /// against the CA), or nil when there is none.
    private func callerSAE(_ context: Context) async -> String? {
        let cert = try? await context.channel.nioSSL_peerCertificate().get()
        guard let cert else { return link.bugs.contains(.noClientCertificate) ? anonymousSAE : nil }
        guard let der = try? cert.toDERBytes() else { return nil }
        return TestPKI.commonName(derEncoded: der)
    }

    static func queryItems(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[0])
            let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
            return (name, value)
        }
    }

    static func answer(_ a: KMEAnswer) -> Response {
        switch a {
        case .status(let s): return json(.ok, s)
        case .keys(let k): return json(.ok, k)
        case .error(let code, let body?): return json(HTTPResponse.Status(code: code), body)
        case .error(let code, nil): return Response(status: HTTPResponse.Status(code: code))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some StrictModel) -> Response {
        let data = (try? value.jsonData()) ?? Data("{\"message\":\"encoding error\"}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
