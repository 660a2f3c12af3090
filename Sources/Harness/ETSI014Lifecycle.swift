import Foundation
import KeyDelivery
import PostProcessing

/// The cross-layer key lifecycle: a QKD session of the target's nodes (or the reference nodes)
/// feeds a reference KME pair with what each node delivered (Alice's keys to the master KME,
/// Bob's to the slave), and the harness drains the pair through enc_keys and dec_keys.
enum ETSI014Lifecycle {
    struct Drained {
        /// Keys the master delivered and their fingerprints at each end (never the keys).
        var delivered = 0
        var identical = 0
        var slaveMissing = 0
        /// The master's output, concatenated in order, equals the node keys' bits in order.
        var streamMatchesNodes = false
        var replayRefused = true
        var masterBits = 0
    }

    /// The nodes of the case's target, or nil.
    static func nodes(_ ctx: CaseContext) -> (any SessionTarget)? { (ctx.target as? KMESessionTarget)?.nodes }

    /// Feeds a fresh reference KME pair with `session`'s keys and takes every key out of it.
    static func drain(_ session: Session) async throws -> Drained {
        let alice = session.aliceKeys.map { ($0.keyID, $0.key) }, bob = session.bobKeys.map { ($0.keyID, $0.key) }
        var limits = KMELimits()
        limits.keySize = 256
        limits.maxKeyCount = 1_000_000
        let pair = try await ReferenceKMEPair.start(limits: limits, sources: (InMemoryKeySource(alice), InMemoryKeySource(bob)))
        let kme = pair.target
        let master = try KMEClient(kme.masterCredentials), slave = try KMEClient(kme.slaveCredentials)
        var d = Drained()
        var stream = BitKey(count: 0)
        do {
            while true {
                let r = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: 128))
                var keys: [KeyContainer.Key] = []
                if r.status == 200, let k = try? KeyContainer.parse(r.data).value.keys { keys = k } else {
                    // Fewer than 128 left: one at a time until the pool is dry.
                    let one = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: nil)
                    guard one.status == 200, let k = try? KeyContainer.parse(one.data).value.keys, !k.isEmpty else { break }
                    keys = k
                }
                let got = try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: keys.map(\.keyID))
                let back = (try? KeyContainer.parse(got.data).value.keys) ?? []
                let byID = Dictionary(back.map { ($0.keyID, $0.key) }, uniquingKeysWith: { a, _ in a })
                for k in keys {
                    d.delivered += 1
                    let bytes = k.bytes ?? []
                    if let bits = BitKey(hex: bytes.map { String(format: "%02x", $0) }.joined(), count: bytes.count * 8) {
                        stream.append(contentsOf: bits)
                    }
                    if let other = byID[k.keyID] { if other == k.key { d.identical += 1 } } else { d.slaveMissing += 1 }
                }
                if d.delivered > 200_000 { break }  // a bound whatever the pool holds
                if let first = keys.first {
                    // Consumed once: the slave never serves a key again.
                    let again = try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: [first.keyID])
                    if again.status == 200 { d.replayRefused = false }
                }
            }
        } catch {
            await master.shutdown(); await slave.shutdown(); await pair.stop()
            throw error
        }
        await master.shutdown(); await slave.shutdown(); await pair.stop()
        var nodeStream = BitKey(count: 0)
        for (_, key) in alice { nodeStream.append(contentsOf: key) }
        d.masterBits = stream.count
        d.streamMatchesNodes = stream.count <= nodeStream.count && (stream.count == 0 || nodeStream.slice(0..<stream.count) == stream)
        return d
    }
}
