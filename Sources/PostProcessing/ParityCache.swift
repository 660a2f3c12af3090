/// A small open-addressing hash map from a non-zero 64-bit key to a parity bit, for Cascade's
/// known sub-block parities. Cheaper than `Dictionary` on this hot path (no per-process seeded
/// hashing, no per-entry allocation); it grows by doubling at half load.
struct ParityCache: Sendable {
    private var keys: [UInt64]
    private var values: [UInt8]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [UInt8](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        // Fibonacci hashing: the top bits of key × 2⁶⁴/φ.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always)
    func value(for key: UInt64) -> UInt8? {
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { return values[i] }
            if k == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    mutating func set(_ value: UInt8, for key: UInt64) {
        precondition(key != 0, "key 0 marks an empty slot")
        if 2 * (count + 1) > keys.count { grow() }
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { values[i] = value; return }
            if k == 0 {
                keys[i] = key
                values[i] = value
                count += 1
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [UInt8](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) where k != 0 { set(v, for: k) }
    }
}
