import Crypto
import Foundation
import KeyDelivery
import PostProcessing

/// What the etsi014 cases share: reaching the KMEs of the target, judging answers, and fingerprints
/// (key material is compared, never printed).
enum ETSI014Support {
    /// The KME pair of the case's target, or nil (the case is then `unimplemented`).
    static func kme(_ ctx: CaseContext) -> KMETarget? { (ctx.target as? KMESessionTarget)?.kme }

    /// Runs `body` with clients for the master and slave SAEs, closing them afterwards.
    static func withPair(_ ctx: CaseContext, level: RequirementLevel = .must,
                         _ body: (KMETarget, KMEClient, KMEClient) async throws -> CaseOutcome) async throws -> CaseOutcome {
        guard let kme = kme(ctx) else { return .unimplemented("the target has no kme object (docs/etsi014.md)") }
        let master = try KMEClient(kme.masterCredentials), slave = try KMEClient(kme.slaveCredentials)
        var outcome: CaseOutcome
        do { outcome = try await body(kme, master, slave) } catch let failure as CaseFailure {
            outcome = CaseOutcome(holds: false, detail: failure.description)
        } catch {
            await master.shutdown()
            await slave.shutdown()
            throw error
        }
        await master.shutdown()
        await slave.shutdown()
        // --strict: a SHOULD that does not hold fails the run.
        if kme.strict, level == .should, !outcome.holds, outcome.verdict == nil {
            var o = outcome
            o.verdict = .fail
            o.detail += " (a SHOULD, failed under --strict)"
            return o
        }
        return outcome
    }

    /// Runs `body` with a client of arbitrary credentials.
    static func withClient<T>(_ credentials: SAECredentials, timeout: Int64 = 10, _ body: (KMEClient) async throws -> T) async throws -> T {
        let client = try KMEClient(credentials, timeout: .seconds(timeout))
        do {
            let r = try await body(client)
            await client.shutdown()
            return r
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// The status the master KME gives for the slave SAE, parsed strictly.
    static func status(_ kme: KMETarget, _ master: KMEClient) async throws -> KeyStatus {
        let r = try await master.status(slaveSAEID: kme.slave.saeID)
        guard r.status == 200 else { throw HarnessError("status answered \(r.status): \(r.error?.message ?? "no Error body")") }
        do { return try KeyStatus.parse(r.data).value } catch { throw HarnessError("status body: \(error)") }
    }

    /// enc_keys that must succeed: the keys, or a harness error naming what came back.
    static func keys(_ r: KMEResponse, what: String) throws -> [KeyContainer.Key] {
        guard r.status == 200 else { throw CaseFailure("\(what) answered \(r.status)" + (r.error.map { ": \"\($0.message)\"" } ?? "")) }
        do { return try KeyContainer.parse(r.data).value.keys } catch { throw CaseFailure("\(what): the Key container is malformed: \(error)") }
    }

    /// A key's fingerprint: the first 8 bytes of its SHA-256, hex. Enough to tell keys apart in
    /// a report without showing a bit of them.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A size the KMEs must serve: a multiple of 8 inside [min, max] different from the default.
    static func otherSize(_ s: KeyStatus) -> Int? {
        let lo = (s.minKeySize + 7) / 8 * 8
        for candidate in [s.keySize * 2, s.keySize / 2, lo, s.maxKeySize / 8 * 8] where candidate != s.keySize {
            if candidate >= s.minKeySize && candidate <= s.maxKeySize && candidate % 8 == 0 && candidate > 0 { return candidate }
        }
        return nil
    }

    /// Whether a body holds keys (a KME must never hand out a key on a bad request).
    static func carriesKeys(_ r: KMEResponse) -> Bool {
        (try? KeyContainer.parse(r.data).value.keys.isEmpty == false) ?? false
    }

    /// A request that must be refused with 400 (or 401), never 5xx, never a key: nil if it was,
    /// or what was wrong.
    static func refused(_ r: KMEResponse, _ what: String, allow401: Bool = true) -> String? {
        if carriesKeys(r) { return "\(what): answered \(r.status) WITH KEYS" }
        if r.status == 400 || (allow401 && r.status == 401) { return nil }
        if r.status >= 500 { return "\(what): answered \(r.status) (a server error on a bad request)" }
        return "\(what): answered \(r.status), not 400" + (allow401 ? "/401" : "")
    }

    /// A TLS connection the KME must refuse: nil if the handshake failed or the KME answered 401,
    /// else what it did.
    static func rejected(_ credentials: SAECredentials, _ what: String, slaveSAEID: String) async -> String? {
        do {
            // A refused handshake is retried by the client until its deadline: keep it short.
            let r = try await withClient(credentials, timeout: 2) { try await $0.status(slaveSAEID: slaveSAEID) }
            if r.status == 401 || r.status == 400 { return nil }
            return "\(what): the KME answered \(r.status)" + (r.status == 200 ? " with a status" : "")
        } catch {
            return nil  // the handshake or the connection was refused
        }
    }
}

/// A check found the requirement broken (the message says how): the case fails with it.
struct CaseFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
