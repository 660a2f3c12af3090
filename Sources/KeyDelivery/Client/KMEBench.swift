import Crypto
import Foundation
import QKDMath

/// A load run against a KME pair: `clients` concurrent SAE pairs, each for `seconds` doing
/// enc_keys on the master then dec_keys for the same keys on the slave. It checks the
/// invariants as it goes: no key_ID and no key material delivered twice, every key the master
/// delivered retrievable once from the slave with identical bytes (none lost), no 5xx.
package struct KMEBench: Sendable {
    package var clients = 4
    package var seconds = 5.0
    /// Keys per enc_keys request.
    package var keysPerRequest = 1
    /// Stops early after this many requests in all (a bound on the load whatever the speed).
    package var maxRequests = 1_000_000

    package init() {}

    package struct Result: Sendable, Codable {
        package var clients: Int
        package var seconds: Double
        package var requests: Int
        package var requestsPerSecond: Double
        package var encP50Ms: Double, encP99Ms: Double
        package var decP50Ms: Double, decP99Ms: Double
        package var keysDelivered: Int
        package var duplicateKeyIDs: Int
        package var duplicateKeyMaterial: Int
        package var lostKeys: Int
        package var mismatchedKeys: Int
        package var serverErrors: Int
        /// Requests refused for want of keys (503 on enc_keys): the pool ran dry.
        package var exhausted: Int

        /// Whether every invariant held.
        package var invariantsHold: Bool { duplicateKeyIDs == 0 && duplicateKeyMaterial == 0 && lostKeys == 0 && mismatchedKeys == 0 && serverErrors == 0 }

        enum CodingKeys: String, CodingKey {
            case clients, seconds, requests, requestsPerSecond = "requests_per_second", encP50Ms = "enc_p50_ms", encP99Ms = "enc_p99_ms"
            case decP50Ms = "dec_p50_ms", decP99Ms = "dec_p99_ms", keysDelivered = "keys_delivered", duplicateKeyIDs = "duplicate_key_ids"
            case duplicateKeyMaterial = "duplicate_key_material", lostKeys = "lost_keys", mismatchedKeys = "mismatched_keys"
            case serverErrors = "server_errors", exhausted
        }
    }

    private struct WorkerTally: Sendable {
        var enc: [Double] = [], dec: [Double] = []
        var ids: [String] = [], prints: [Data] = []
        var lost = 0, mismatched = 0, serverErrors = 0, exhausted = 0
    }

    /// Runs the load against `target`.
    package func run(_ target: KMETarget) async throws -> Result {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(seconds * 1000))
        let budget = max(1, maxRequests / max(1, clients))
        let tallies = try await withThrowingTaskGroup(of: WorkerTally.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    let master = try KMEClient(target.masterCredentials), slave = try KMEClient(target.slaveCredentials)
                    var t = WorkerTally()
                    var n = 0
                    while ContinuousClock.now < deadline && n < budget {
                        n += 1
                        let t0 = ContinuousClock.now
                        guard let r = try? await master.encKeys(slaveSAEID: target.slave.saeID, request: KeyRequest(number: keysPerRequest)) else {
                            t.serverErrors += 1
                            continue
                        }
                        t.enc.append((ContinuousClock.now - t0).inSeconds * 1000)
                        if r.status >= 500 {
                            if r.status == 503 { t.exhausted += 1 } else { t.serverErrors += 1 }
                            if r.status == 503 { try? await Task.sleep(for: .milliseconds(5)) }
                            continue
                        }
                        guard r.status == 200, let keys = try? KeyContainer.parse(r.data).value.keys else { t.serverErrors += 1; continue }
                        let t1 = ContinuousClock.now
                        let d = try? await slave.decKeys(masterSAEID: target.master.saeID, keyIDs: keys.map(\.keyID))
                        t.dec.append((ContinuousClock.now - t1).inSeconds * 1000)
                        guard let d, d.status == 200, let got = try? KeyContainer.parse(d.data).value.keys else {
                            if let d, d.status >= 500 { t.serverErrors += 1 }
                            t.lost += keys.count
                            continue
                        }
                        let byID = Dictionary(got.map { ($0.keyID.lowercased(), $0.key) }, uniquingKeysWith: { a, _ in a })
                        for k in keys {
                            t.ids.append(k.keyID.lowercased())
                            t.prints.append(Data(SHA256.hash(data: k.bytes ?? []).prefix(16)))
                            if let other = byID[k.keyID.lowercased()] { if other != k.key { t.mismatched += 1 } } else { t.lost += 1 }
                        }
                    }
                    await master.shutdown()
                    await slave.shutdown()
                    return t
                }
            }
            var all: [WorkerTally] = []
            for try await t in group { all.append(t) }
            return all
        }
        let elapsed = (ContinuousClock.now - started).inSeconds
        let enc = tallies.flatMap(\.enc).sorted(), dec = tallies.flatMap(\.dec).sorted()
        let ids = tallies.flatMap(\.ids), prints = tallies.flatMap(\.prints)
        let requests = enc.count + dec.count
        return Result(
            clients: clients, seconds: elapsed, requests: requests, requestsPerSecond: Double(requests) / max(elapsed, 1e-9),
            encP50Ms: Self.quantile(enc, 0.5), encP99Ms: Self.quantile(enc, 0.99), decP50Ms: Self.quantile(dec, 0.5), decP99Ms: Self.quantile(dec, 0.99),
            keysDelivered: ids.count, duplicateKeyIDs: ids.count - Set(ids).count, duplicateKeyMaterial: prints.count - Set(prints).count,
            lostKeys: tallies.reduce(0) { $0 + $1.lost }, mismatchedKeys: tallies.reduce(0) { $0 + $1.mismatched },
            serverErrors: tallies.reduce(0) { $0 + $1.serverErrors }, exhausted: tallies.reduce(0) { $0 + $1.exhausted })
    }

    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1 < 0 ? 0 : Int((Double(sorted.count) * q).rounded(.up)) - 1)]
    }
}
