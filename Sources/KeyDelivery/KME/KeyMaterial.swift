import Foundation
import PostProcessing

/// The keys one side's QKD node delivered (by node key ID), as a KME holds them: the master
/// carves new keys from them in delivery order, the slave reads the same bits back by node key
/// ID and offset. Never printed; fingerprints only.
struct KeyMaterial: Sendable {
    private(set) var keys: [UUID: BitKey] = [:]
    private(set) var order: [UUID] = []
    /// Where the master's next key starts: an index into `order` and a bit offset in that key.
    private var cursorKey = 0
    private var cursorBit = 0
    /// Bits deposited and not yet carved.
    private(set) var availableBits = 0

    /// Adds node keys not seen before; returns how many were new.
    @discardableResult
    mutating func add(_ delivered: [(UUID, BitKey)]) -> Int {
        var added = 0
        for (id, key) in delivered where keys[id] == nil && key.count > 0 {
            keys[id] = key
            order.append(id)
            availableBits += key.count
            added += 1
        }
        return added
    }

    func contains(_ id: UUID) -> Bool { keys[id] != nil }

    /// Takes `bits` bits from the front of the pool: the segments they came from and the bits.
    /// With `consume` false (the `reuse-keys` bug) the pool is left as it was.
    mutating func carve(bits: Int, consume: Bool = true) -> (segments: [KeySegment], key: BitKey)? {
        guard bits > 0, bits <= availableBits else { return nil }
        var segments: [KeySegment] = []
        var need = bits, k = cursorKey, b = cursorBit
        while need > 0 {
            let id = order[k]
            let length = keys[id]?.count ?? 0
            let take = min(need, length - b)
            if take > 0 { segments.append(KeySegment(nodeKeyID: id, start: b, length: take)) }
            need -= take
            b += take
            if b >= length { k += 1; b = 0 }
        }
        guard let key = read(segments) else { return nil }
        if consume {
            // What was carved is zeroed in the store: it can never be carved again.
            for s in segments where s.start + s.length == keys[s.nodeKeyID]?.count {
                keys[s.nodeKeyID]?.zeroize()
            }
            cursorKey = k
            cursorBit = b
            availableBits -= bits
        }
        return (segments, key)
    }

    /// The bits of `segments` read from this side's node keys, or nil if one is missing.
    func read(_ segments: [KeySegment]) -> BitKey? {
        var out = BitKey(count: 0)
        for s in segments {
            guard let key = keys[s.nodeKeyID], s.start >= 0, s.length > 0, s.start + s.length <= key.count else { return nil }
            out.append(contentsOf: key.slice(s.start..<(s.start + s.length)))
        }
        return out
    }
}

/// A run of bits of one node key: where a delivered key's material came from.
struct KeySegment: Sendable, Equatable, Codable {
    var nodeKeyID: UUID
    var start: Int
    var length: Int
}

extension BitKey {
    /// The bytes of the key, bit i being bit (i mod 8) of byte (i div 8), as the node's key
    /// output writes them (docs/targets.md); a last partial byte is padded with zero bits.
    var deliveryBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (count + 7) / 8)
        for i in 0..<count where self[i] != 0 { bytes[i / 8] |= 1 << (i % 8) }
        return bytes
    }
}
