import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The HTTP method type the client takes (NIO's), for callers that do not import NIO.
package typealias KMEHTTPMethod = HTTPMethod
/// The TLS version type of ``SAECredentials`` (NIOSSL's).
package typealias KMETLSVersion = TLSVersion

/// How an SAE reaches a KME: the KME's base URL, the CA that signed the KME's certificate, and
/// the SAE's own client certificate (omitted only for the negative cases).
package struct SAECredentials: Sendable {
    package var baseURL: String
    package var caPath: String
    package var certificatePath: String?
    package var keyPath: String?
    /// Highest TLS version offered (the negative case offers 1.1 at most).
    package var maximumTLSVersion: TLSVersion?
    package var minimumTLSVersion: TLSVersion = .tlsv12

    package init(baseURL: String, caPath: String, certificatePath: String?, keyPath: String?) {
        self.baseURL = baseURL
        self.caPath = caPath
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

/// One HTTP answer as received: the status, the content type and the body bytes.
package struct KMEResponse: Sendable {
    package var status: Int
    package var contentType: String?
    package var body: [UInt8]

    package var data: Data { Data(body) }
    /// The body as an Error (clause 6.5), if it is one.
    package var error: ErrorBody? { try? ErrorBody.parse(data).value }
}

/// An SAE's client for a KME (ETSI GS QKD 014): AsyncHTTPClient over mutual TLS. Answers come
/// back raw (status and bytes) so a conformance check can judge them; typed helpers parse them.
package final class KMEClient: Sendable {
    package let credentials: SAECredentials
    let http: HTTPClient
    /// The deadline of one request, connection set-up included.
    let requestTimeout: TimeAmount
    /// Answers larger than this are cut off as an error (a KME cannot make us allocate without bound).
    package static let maxResponseBytes = 16 * 1024 * 1024

    package init(_ credentials: SAECredentials, timeout: TimeAmount = .seconds(30)) throws {
        self.credentials = credentials
        requestTimeout = timeout
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(credentials.caPath))
            if let cert = credentials.certificatePath, let key = credentials.keyPath {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
        } catch {
            throw KeyDeliveryError.configuration("cannot load the SAE's TLS files: \(error)")
        }
        tls.minimumTLSVersion = credentials.minimumTLSVersion
        tls.maximumTLSVersion = credentials.maximumTLSVersion
        if let max = credentials.maximumTLSVersion, max == .tlsv1 || max == .tlsv11 {
            tls.cipherSuites = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: timeout, read: timeout))
        config.httpVersion = .http1Only
        config.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        http = HTTPClient(eventLoopGroupProvider: .shared(KeyDeliveryEventLoops.group), configuration: config)
    }

    /// Closes the connections.
    package func shutdown() async {
        try? await http.shutdown()
    }

    deinit {
        // A client dropped without shutdown() (a check that threw on its way) still closes its
        // connections: AsyncHTTPClient traps on a client deinitialised while it runs. The
        // shutdown keeps the HTTP client alive until it is done; after shutdown() it is a no-op.
        http.shutdown { _ in }
    }

    /// Sends a request to `path` (already encoded, query included) and returns what came back.
    /// A TLS or connection failure throws ``KeyDeliveryError/transport(_:)``.
    package func send(_ method: HTTPMethod, path: String, body: Data? = nil, contentType: String? = "application/json") async throws -> KMEResponse {
        var request = HTTPClientRequest(url: credentials.baseURL + path)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        }
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
            return KMEResponse(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                               body: Array(bytes.readableBytesView))
        } catch {
            throw KeyDeliveryError.transport("\(method) \(path): \(error)")
        }
    }

    /// How one exchange ended, for a caller that must tell a KME that answered from one that
    /// never did (the fuzzer): a timeout is not a reset.
    package enum Exchange: Sendable {
        case answered(KMEResponse)
        /// No answer within the client's timeout.
        case timedOut(String)
        /// The connection failed or closed before a whole answer came (reset, refused, TLS).
        case failed(String)
    }

    /// Sends exactly what it is given — method name, path (query included, sent as written),
    /// body and Content-Type (nil: no header, even with a body) — and says how it ended. Never
    /// throws: every way a request can fail is an ``Exchange`` case.
    package func exchange(method: String, path: String, body: Data?, contentType: String?) async -> Exchange {
        var request = HTTPClientRequest(url: credentials.baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
            return .answered(KMEResponse(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                                         body: Array(bytes.readableBytesView)))
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            return .timedOut("\(e)")
        } catch {
            return .failed("\(error)")
        }
    }

    // MARK: The three methods (clause 5)

    /// Get status for `slaveSAEID`.
    package func status(slaveSAEID: String) async throws -> KMEResponse {
        try await send(.GET, path: ETSI014.path(.status, saeID: slaveSAEID), body: nil)
    }

    /// Get key by POST with a Key request body (`nil`: an empty body).
    package func encKeys(slaveSAEID: String, request: KeyRequest?) async throws -> KMEResponse {
        try await send(.POST, path: ETSI014.path(.encKeys, saeID: slaveSAEID), body: try request?.jsonData() ?? Data())
    }

    /// Get key by GET with `number` and/or `size` as query parameters (clause 6.2).
    package func encKeysByQuery(slaveSAEID: String, number: Int?, size: Int?) async throws -> KMEResponse {
        var items: [String] = []
        if let number { items.append("number=\(number)") }
        if let size { items.append("size=\(size)") }
        return try await send(.GET, path: ETSI014.path(.encKeys, saeID: slaveSAEID) + (items.isEmpty ? "" : "?" + items.joined(separator: "&")))
    }

    /// Get key with key IDs by POST, on `{master_SAE_ID}` (Table 2).
    package func decKeys(masterSAEID: String, keyIDs: [String]) async throws -> KMEResponse {
        try await send(.POST, path: ETSI014.path(.decKeys, saeID: masterSAEID), body: try KeyIDs(keyIDs).jsonData())
    }

    /// Get key with key IDs by GET for one key (clause 6.4).
    package func decKey(masterSAEID: String, keyID: String) async throws -> KMEResponse {
        try await send(.GET, path: ETSI014.path(.decKeys, saeID: masterSAEID) + "?key_ID=" + ETSI014.encodePathSegment(keyID))
    }
}
