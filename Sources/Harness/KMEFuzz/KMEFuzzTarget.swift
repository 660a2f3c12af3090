import Foundation
import KeyDelivery
import NIOCore

/// Which KME pair the ETSI 014 fuzzer attacks, as a reproducer records it: the reference pair
/// (started in this process on loopback, with its bug knobs) or a target file's `kme` object;
/// and how long a request may take before it has hung.
package struct KMEFuzzTargetSpec: Sendable, Codable, Equatable {
    /// The reference pair's bug knobs (empty: clean); nil when ``file`` is set.
    package var referenceBugs: [KMEBugKnob]?
    /// A target file (absolute path) with a `kme` object (docs/etsi014.md).
    package var file: String?
    /// Seconds without an answer after which a request has hung.
    package var requestTimeoutSeconds: Double

    package init(referenceBugs: [KMEBugKnob]?, file: String?, requestTimeoutSeconds: Double) {
        self.referenceBugs = referenceBugs
        self.file = file
        self.requestTimeoutSeconds = requestTimeoutSeconds
    }

    enum CodingKeys: String, CodingKey {
        case file
        case referenceBugs = "reference_kme_bugs", requestTimeoutSeconds = "request_timeout_s"
    }

    /// How reports name the target.
    package var name: String {
        if let file { return file }
        let bugs = (referenceBugs ?? []).map(\.rawValue).sorted()
        return bugs.isEmpty ? "reference KME pair" : "reference KME pair with " + bugs.joined(separator: ", ")
    }

    /// Simulated keys the fuzzer's reference pair starts with: 1024 × 8192 bits, 32768 keys of
    /// 256 bits, so requests the KME rightly serves do not drain it within a short campaign (it
    /// is restarted when its store runs low).
    static let referenceKeys = (count: 1024, bits: 8192)
}

/// A live connection to the pair under test: a client per KME and per SAE certificate, the
/// reference pair when the fuzzer started it, and the declaration read from its status.
final class KMEFuzzConnection: @unchecked Sendable {
    let spec: KMEFuzzTargetSpec
    private(set) var kme: KMETarget
    private(set) var pair: ReferenceKMEPair?
    private var clients: [String: KMEClient] = [:]
    private(set) var declared: KMEDeclaration
    /// Requests since the reference pair's store was last looked at.
    private var sinceStoreCheck = 0

    private init(spec: KMEFuzzTargetSpec, kme: KMETarget, pair: ReferenceKMEPair?) {
        self.spec = spec
        self.kme = kme
        self.pair = pair
        declared = KMEDeclaration(keySize: 0, minKeySize: 0, maxKeySize: 0, maxKeyPerRequest: 0, maxSAEIDCount: 0, multiplesOf8Only: false,
                                  masterSAEID: kme.master.saeID, slaveSAEID: kme.slave.saeID, unattachedSAEID: kme.unauthorized.saeID)
    }

    /// Starts (or reaches) the pair and reads its status; a pair that does not answer its
    /// status with a valid Status is a ``HarnessError`` (nothing it does later would mean anything).
    static func open(_ spec: KMEFuzzTargetSpec) async throws -> KMEFuzzConnection {
        let c: KMEFuzzConnection
        if let file = spec.file {
            let kme: KMETarget
            do {
                guard let k = try KMETarget.load(path: file) else {
                    throw HarnessError("\(file): the ETSI 014 fuzzer needs a kme object (docs/etsi014.md)")
                }
                kme = k
            } catch let e as KeyDeliveryError { throw HarnessError("\(e)") }
            c = KMEFuzzConnection(spec: spec, kme: kme, pair: nil)
        } else {
            let pair = try await startReference(spec)
            c = KMEFuzzConnection(spec: spec, kme: pair.target, pair: pair)
        }
        do {
            try c.makeClients()
            try await c.readDeclaration()
        } catch {
            await c.close()
            throw error
        }
        return c
    }

    static func startReference(_ spec: KMEFuzzTargetSpec) async throws -> ReferenceKMEPair {
        do {
            return try await ReferenceKMEPair.start(bugs: Set(spec.referenceBugs ?? []), simulatedKeys: KMEFuzzTargetSpec.referenceKeys)
        } catch { throw HarnessError("the reference KME pair did not start: \(error)") }
    }

    private func makeClients() throws {
        let timeout = Int64(spec.requestTimeoutSeconds * 1000)
        for k in KMEFuzzRequest.KME.allCases {
            let url = k == .master ? kme.master.url : kme.slave.url, ca = k == .master ? kme.master.ca : kme.slave.ca
            for caller in KMEFuzzRequest.Caller.allCases {
                let (cert, key): (String, String)
                switch caller {
                case .masterSAE: (cert, key) = (kme.master.cert, kme.master.key)
                case .slaveSAE: (cert, key) = (kme.slave.cert, kme.slave.key)
                case .unattachedSAE: (cert, key) = (kme.unauthorized.cert, kme.unauthorized.key)
                }
                do {
                    clients["\(k.rawValue)/\(caller.rawValue)"] = try KMEClient(
                        SAECredentials(baseURL: url, caPath: ca, certificatePath: cert, keyPath: key), timeout: .milliseconds(timeout))
                } catch { throw HarnessError("cannot set up the SAE client (\(caller.rawValue) to the \(k.rawValue) KME): \(error)") }
            }
        }
    }

    private func client(_ k: KMEFuzzRequest.KME, _ caller: KMEFuzzRequest.Caller) -> KMEClient {
        // makeClients made one for every pair of cases.
        clients["\(k.rawValue)/\(caller.rawValue)"]!
    }

    /// The master KME's status, read with the master SAE's certificate: the bounds requests are judged against.
    private func readDeclaration() async throws {
        let status = try await sanity()
        declared = KMEDeclaration(
            keySize: status.keySize, minKeySize: status.minKeySize, maxKeySize: status.maxKeySize, maxKeyPerRequest: status.maxKeyPerRequest,
            maxSAEIDCount: status.maxSAEIDCount, multiplesOf8Only: kme.multiplesOf8Only, masterSAEID: kme.master.saeID, slaveSAEID: kme.slave.saeID,
            unattachedSAEID: kme.unauthorized.saeID)
    }

    /// A valid Get status; throws a ``HarnessError`` saying what went wrong when it is not a 200 with a Status.
    @discardableResult
    func sanity() async throws -> KeyStatus {
        let path = ETSI014.path(.status, saeID: kme.slave.saeID)
        switch await client(.master, .masterSAE).exchange(method: "GET", path: path, body: nil, contentType: nil) {
        case .answered(let r):
            guard r.status == 200 else { throw HarnessError("GET \(path) with the master SAE's certificate answered HTTP \(r.status)") }
            do { return try KeyStatus.parse(r.data).value } catch {
                throw HarnessError("GET \(path) answered a body that is not a Status (Table 9): \(error)")
            }
        case .timedOut(let why): throw HarnessError("GET \(path) got no answer in time: \(why)")
        case .failed(let why): throw HarnessError("GET \(path) failed: \(why)")
        }
    }

    /// Two valid keys from the master KME, for the requests that name delivered keys.
    func deliverKeys() async throws -> [String] {
        let path = ETSI014.path(.encKeys, saeID: kme.slave.saeID)
        guard case .answered(let r) = await client(.master, .masterSAE).exchange(method: "POST", path: path, body: Data("{\"number\":2}".utf8),
                                                                                  contentType: "application/json"),
              r.status == 200, let keys = try? KeyContainer.parse(r.data).value.keys, keys.count == 2
        else { throw HarnessError("the master KME did not deliver two keys to a valid request (POST \(path) {\"number\":2})") }
        return keys.map(\.keyID)
    }

    /// Sends one request (its key-ID placeholders filled with keys delivered for it) and says
    /// how it ended, with the key IDs it named.
    func send(_ request: KMEFuzzRequest) async throws -> (request: KMEFuzzRequest, outcome: KMEOutcome, keyIDs: [String]) {
        try await refreshReferenceIfLow()
        let ids = request.needsKeyIDs ? try await deliverKeys() : []
        var r = request.filled(keyIDs: ids)
        // A placeholder a mutation altered stays unfilled; its braces are not allowed in a URL
        // and would fail in the client, not at the KME.
        r.path = r.path.replacingOccurrences(of: "{", with: "%7B").replacingOccurrences(of: "}", with: "%7D")
        guard URL(string: kme.master.url + r.path) != nil else {
            throw HarnessError("the fuzzer built a path the HTTP client cannot send: \(r.path.prefix(120))")
        }
        let outcome: KMEOutcome
        switch await client(r.kme, r.caller).exchange(method: r.method, path: r.path, body: r.body.map { Data($0) }, contentType: r.contentType) {
        case .answered(let a): outcome = .answered(a)
        case .timedOut(let why): outcome = .timedOut(why)
        case .failed(let why): outcome = .failed(why)
        }
        return (r, outcome, ids)
    }

    /// The reference pair is restarted when fewer than 2048 keys remain (requests it rightly
    /// served drained it): a 503 for lack of keys would hide every wrong acceptance.
    private func refreshReferenceIfLow() async throws {
        guard pair != nil else { return }
        sinceStoreCheck += 1
        guard sinceStoreCheck >= 200 else { return }
        sinceStoreCheck = 0
        guard let status = try? await sanity(), status.storedKeyCount < 2048 else { return }
        await close()
        let fresh = try await Self.startReference(spec)
        pair = fresh
        kme = fresh.target
        try makeClients()
    }

    /// Closes the clients and stops the reference pair.
    func close() async {
        for c in clients.values { await c.shutdown() }
        clients = [:]
        await pair?.stop()
        pair = nil
    }
}
