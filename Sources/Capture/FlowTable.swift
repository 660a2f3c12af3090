/// A TCP connection's two endpoints, the lower one first, whichever way a packet goes.
struct FlowKey: Hashable {
    var a: TCPEndpoint
    var b: TCPEndpoint
}

/// Where each live flow of a capture sits in the analyzer's flow list: an open-addressing table
/// of (key, index) slots, probed linearly from the key's hash, so a packet finds its flow by
/// reading one slot (the key and the index on one or two cache lines) where a dictionary reads
/// its occupancy bitmap, its keys and its values apart. Removal shifts the following slots back
/// (no tombstones), so lookups stay short however many flows come and go.
///
/// The hash mixes the key's words with a seed drawn per table, so a capture cannot be made to
/// collide its flows on purpose any more easily than with the standard library's hashing.
struct FlowTable {
    private struct Slot {
        var key: FlowKey
        /// The flow's index in the flow list; -1 for an empty slot.
        var index: Int
    }

    private static let empty = Slot(key: FlowKey(a: TCPEndpoint(high: 0, low: 0, port: 0, isIPv6: false),
                                                 b: TCPEndpoint(high: 0, low: 0, port: 0, isIPv6: false)), index: -1)
    private var slots = [Slot](repeating: FlowTable.empty, count: 64)
    /// slots.count − 1 (a power of two less one).
    private var mask = 63
    private(set) var count = 0
    private let seed = UInt64.random(in: .min ... .max)

    private func home(_ k: FlowKey) -> Int {
        // Each word multiplied by a different odd constant, folded, then mixed (murmur3's finaliser).
        var h = seed ^ (k.a.high &* 0x9E37_79B9_7F4A_7C15) ^ (k.a.low &* 0xC2B2_AE3D_27D4_EB4F)
        h ^= (k.b.high &* 0x1656_67B1_9E37_79F9) ^ (k.b.low &* 0x85EB_CA77_C2B2_AE63)
        h ^= UInt64(k.a.port) << 32 | UInt64(k.b.port) << 16 | (k.a.isIPv6 ? 1 : 0)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The index stored for `key`, nil if none.
    subscript(key: FlowKey) -> Int? {
        var i = home(key)
        while true {
            let s = slots[i]
            if s.index < 0 { return nil }
            if s.key == key { return s.index }
            i = (i + 1) & mask
        }
    }

    /// Stores `index` for `key` (not in the table yet).
    mutating func insert(_ key: FlowKey, index: Int) {
        if 2 * (count + 1) > slots.count { grow() }
        var i = home(key)
        while slots[i].index >= 0 { i = (i + 1) & mask }
        slots[i] = Slot(key: key, index: index)
        count += 1
    }

    /// Removes `key` if present. The slots after it that would no longer be reached from their
    /// home slot are moved back into the hole.
    mutating func remove(_ key: FlowKey) {
        var i = home(key)
        while true {
            if slots[i].index < 0 { return }
            if slots[i].key == key { break }
            i = (i + 1) & mask
        }
        var hole = i
        var j = (i + 1) & mask
        while slots[j].index >= 0 {
            let h = home(slots[j].key)
            // Slot j may fill the hole unless its home lies cyclically in (hole, j].
            let reachable = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !reachable {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = FlowTable.empty
        count -= 1
    }

    mutating func removeAll() {
        slots = [Slot](repeating: FlowTable.empty, count: 64)
        mask = 63
        count = 0
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: FlowTable.empty, count: 2 * old.count)
        mask = slots.count - 1
        count = 0
        for s in old where s.index >= 0 { insert(s.key, index: s.index) }
    }
}
