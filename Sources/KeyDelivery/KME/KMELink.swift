import Foundation
import PostProcessing
import Vectors

/// What a KME method answers: 200 with a body, or an error status with the Error body the
/// standard asks for (none for 401, Tables 4, 6 and 8).
package enum KMEAnswer: Sendable {
    case status(KeyStatus)
    case keys(KeyContainer)
    case error(code: Int, body: ErrorBody?)

    static func badRequest(_ message: String, details: [ExtensionObject]? = nil) -> KMEAnswer {
        .error(code: 400, body: ErrorBody(message: message, details: details))
    }
    static let unauthorized = KMEAnswer.error(code: 401, body: nil)
}

/// The reference KME pair's shared state: the master's and the slave's key material (each from
/// its own node), and the relay between them — for every key the master delivered, which node
/// key bits it was made of and which SAEs may fetch it. The relay carries key IDs and offsets,
/// never key material: the slave reads the bits from its own node's keys.
///
/// The store is volatile (held in memory): a restarted pair starts from the node key outputs
/// again, and keys the master delivered before the restart cannot be fetched from the slave.
/// `status` says so in `status_extension` (`qkdspec_volatile_store: true`).
package actor KMELink {
    package struct Identity: Sendable, Codable, Equatable {
        package var masterKMEID: String
        package var slaveKMEID: String
        package var masterSAEID: String
        package var slaveSAEID: String

        package init(masterKMEID: String, slaveKMEID: String, masterSAEID: String, slaveSAEID: String) {
            self.masterKMEID = masterKMEID
            self.slaveKMEID = slaveKMEID
            self.masterSAEID = masterSAEID
            self.slaveSAEID = slaveSAEID
        }
    }

    struct RelayRecord: Sendable {
        var masterSAEID: String
        var slaveSAEIDs: Set<String>
        var segments: [KeySegment]
    }

    package let identity: Identity
    package let limits: KMELimits
    package let bugs: Set<KMEBugKnob>
    private let masterSource: any KeySource
    private let slaveSource: any KeySource
    private var master = KeyMaterial()
    private var slave = KeyMaterial()
    private var relay: [String: RelayRecord] = [:]
    /// stored_key_count as first reported (for the `count-not-decremented` bug).
    private var frozenCount: Int?
    /// Keys delivered by enc_keys and by dec_keys since start.
    package private(set) var deliveredByMaster = 0
    package private(set) var deliveredBySlave = 0

    package init(identity: Identity, limits: KMELimits, bugs: Set<KMEBugKnob>, masterSource: any KeySource, slaveSource: any KeySource) {
        self.identity = identity
        self.limits = limits
        self.bugs = bugs
        self.masterSource = masterSource
        self.slaveSource = slaveSource
    }

    /// Takes in node keys that arrived, up to `max_key_count` keys of `key_size` bits.
    private func refillMaster() throws {
        guard master.availableBits < limits.maxKeyCount * limits.keySize else { return }
        let fresh = try masterSource.deliveredKeys().filter { !master.contains($0.0) }
        var room = limits.maxKeyCount * limits.keySize - master.availableBits
        var batch: [(UUID, BitKey)] = []
        for (id, key) in fresh {
            guard room > 0 else { break }
            batch.append((id, key))
            room -= key.count
        }
        master.add(batch)
    }

    private func refillSlave() throws { slave.add(try slaveSource.deliveredKeys()) }

    /// Keys of `key_size` bits the master could deliver now, never above `max_key_count`.
    private var storedKeyCount: Int { min(limits.maxKeyCount, master.availableBits / limits.keySize) }

    /// Which KME a caller reaches.
    package enum Role: String, Sendable, Codable { case master, slave }

    private func attachedSAE(_ role: Role) -> String { role == .master ? identity.masterSAEID : identity.slaveSAEID }

    /// Get status (clause 5.2) on the KME of `role`, called by `caller` for `slaveSAEID`.
    package func status(role: Role, caller: String, slaveSAEID: String) throws -> KMEAnswer {
        guard bugs.contains(.saeIDNotChecked) || caller == attachedSAE(role) else { return .unauthorized }
        let peer = role == .master ? identity.slaveSAEID : identity.masterSAEID
        guard slaveSAEID == peer else { return .badRequest("unknown slave_SAE_ID: this KME delivers keys for \(peer) only") }
        try refillMaster()
        var count = role == .master ? storedKeyCount : 0
        if bugs.contains(.countNotDecremented) {
            if frozenCount == nil { frozenCount = count }
            count = frozenCount ?? count
        }
        return .status(KeyStatus(
            sourceKMEID: role == .master ? identity.masterKMEID : identity.slaveKMEID,
            targetKMEID: role == .master ? identity.slaveKMEID : identity.masterKMEID,
            masterSAEID: caller, slaveSAEID: slaveSAEID, keySize: limits.keySize, storedKeyCount: count, maxKeyCount: limits.maxKeyCount,
            maxKeyPerRequest: limits.maxKeyPerRequest, maxKeySize: limits.maxKeySize, minKeySize: limits.minKeySize,
            maxSAEIDCount: limits.maxSAEIDCount,
            statusExtension: ["qkdspec_volatile_store": .bool(true), "qkdspec_multiples_of_8_only": .bool(limits.multiplesOf8Only)]))
    }

    /// Get key (clause 5.3) on the KME of `role`.
    package func encKeys(role: Role, caller: String, slaveSAEID: String, request: KeyRequest) throws -> KMEAnswer {
        guard bugs.contains(.saeIDNotChecked) || caller == attachedSAE(role) else { return .unauthorized }
        let peer = role == .master ? identity.slaveSAEID : identity.masterSAEID
        guard slaveSAEID == peer else { return .badRequest("unknown slave_SAE_ID: this KME delivers keys for \(peer) only") }
        var number = request.number ?? 1
        var size = request.size ?? limits.keySize
        if bugs.contains(.sizeIgnored) { size = limits.keySize }
        guard number >= 1 else { return .badRequest("number must be at least 1") }
        if number > limits.maxKeyPerRequest {
            guard bugs.contains(.oversizeNumber200) else {
                return .badRequest("number must not exceed max_key_per_request (\(limits.maxKeyPerRequest))")
            }
            number = limits.maxKeyPerRequest
        }
        guard (limits.minKeySize...limits.maxKeySize).contains(size) else {
            return .badRequest("size must lie in min_key_size ... max_key_size (\(limits.minKeySize) ... \(limits.maxKeySize))")
        }
        if limits.multiplesOf8Only && size % 8 != 0 {
            guard bugs.contains(.oddSizeAccepted) else { return .badRequest(ETSI014.Message.sizeNotMultipleOf8) }
            size = (size + 7) / 8 * 8
        }
        if let extra = request.additionalSlaveSAEIDs, !extra.isEmpty {
            return .badRequest("additional_slave_SAE_IDs: this KME does not deliver keys to more than one slave SAE (max_SAE_ID_count 0)")
        }
        if let mandatory = request.extensionMandatory, !mandatory.isEmpty, !bugs.contains(.mandatoryExtensionIgnored) {
            // The reference KME supports no extension parameter at all.
            let names = mandatory.flatMap(\.keys).sorted()
            return .badRequest(ETSI014.Message.extensionMandatoryUnsupported,
                               details: names.map { ["extension_mandatory_unsupported": .string("\($0) is not supported")] })
        }
        // extension_optional: ignored, as clause 6.2 allows (the answer is what it would have been).
        guard role == .master else { return .error(code: 503, body: ErrorBody(message: "no keys are stored for this direction")) }
        try refillMaster()
        guard master.availableBits >= number * size else {
            return .error(code: 503, body: ErrorBody(message: "not enough key material stored: \(storedKeyCount) keys of \(limits.keySize) bits"))
        }
        var keys: [KeyContainer.Key] = []
        for _ in 0..<number {
            guard let carved = master.carve(bits: size, consume: !bugs.contains(.reuseKeys)) else {
                return .error(code: 503, body: ErrorBody(message: "key data access error"))
            }
            let id = bugs.contains(.badUUIDs) ? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() : UUID().uuidString.lowercased()
            relay[id] = RelayRecord(masterSAEID: caller, slaveSAEIDs: [slaveSAEID], segments: carved.segments)
            keys.append(KeyContainer.Key(keyID: id, key: Data(carved.key.deliveryBytes).base64EncodedString()))
        }
        deliveredByMaster += keys.count
        return .keys(KeyContainer(keys: keys))
    }

    /// Get key with key IDs (clause 5.4) on the KME of `role`, for `masterSAEID` (the path's).
    package func decKeys(role: Role, caller: String, masterSAEID: String, keyIDs: [String]) throws -> KMEAnswer {
        let checks = !bugs.contains(.saeIDNotChecked)
        guard !checks || caller == attachedSAE(role) else { return .unauthorized }
        guard !keyIDs.isEmpty else { return .badRequest("key_IDs must name at least one key") }
        guard keyIDs.count <= limits.maxKeyPerRequest else {
            return .badRequest("key_IDs must not name more than max_key_per_request (\(limits.maxKeyPerRequest)) keys")
        }
        guard Set(keyIDs.map { $0.lowercased() }).count == keyIDs.count else { return .badRequest("key_IDs names a key twice") }
        // All or nothing: every key must be found and be this caller's before any leaves.
        var records: [(String, RelayRecord)] = []
        for raw in keyIDs {
            let id = raw.lowercased()
            guard role == .slave, let record = relay[id], record.masterSAEID == masterSAEID else {
                if bugs.contains(.notFound404) { return .error(code: 404, body: ErrorBody(message: ETSI014.Message.keysNotFound)) }
                return .badRequest(ETSI014.Message.keysNotFound)
            }
            records.append((id, record))
        }
        // Clause 5.4: a requester not named as slave SAE for every key gets a 401.
        if checks, records.contains(where: { !$0.1.slaveSAEIDs.contains(caller) }) { return .unauthorized }
        var keys: [KeyContainer.Key] = []
        for (id, record) in records {
            var bits = slave.read(record.segments)
            if bits == nil {
                try refillSlave()
                bits = slave.read(record.segments)
            }
            guard var key = bits else {
                return .error(code: 503, body: ErrorBody(message: "key data access error: the slave's node has not delivered this key's material"))
            }
            if bugs.contains(.wrongBytesOnSlave) { key.flip(key.count - 1) }
            keys.append(KeyContainer.Key(keyID: id, key: Data(key.deliveryBytes).base64EncodedString()))
        }
        if !bugs.contains(.replayDecKeys) {
            for (id, _) in records { relay[id] = nil }
        }
        deliveredBySlave += keys.count
        return .keys(KeyContainer(keys: keys))
    }

    /// Keys the master delivered that the slave has not yet served.
    package var pendingRelay: Int { relay.count }
}
