/// A bit-packed array of small unsigned fields (1, 2, 4 or 8 bits each), least significant
/// field first within each 64-bit word; fields never straddle words.
public struct PackedBits: Sendable, Equatable {
    public let bitsPerElement: Int
    public private(set) var count = 0
    public private(set) var words: [UInt64] = []
    private let perWord: Int
    private let mask: UInt64

    public init(bitsPerElement: Int = 1) {
        precondition([1, 2, 4, 8].contains(bitsPerElement), "bitsPerElement must divide 64 and be at most 8")
        self.bitsPerElement = bitsPerElement
        perWord = 64 / bitsPerElement
        mask = (1 << UInt64(bitsPerElement)) - 1
    }

    public mutating func reserveCapacity(_ n: Int) { words.reserveCapacity((n + perWord - 1) / perWord) }

    public mutating func removeAll() {
        words.removeAll(keepingCapacity: true)
        count = 0
    }

    @inline(__always)
    public mutating func append(_ value: UInt8) {
        let slot = count % perWord
        if slot == 0 { words.append(0) }
        words[words.count - 1] |= (UInt64(value) & mask) << UInt64(slot * bitsPerElement)
        count += 1
    }

    @inline(__always)
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
        let word = words[index / perWord]
        return UInt8(truncatingIfNeeded: (word >> UInt64((index % perWord) * bitsPerElement)) & mask)
    }

    /// The number of set bits over all fields (for 1-bit fields: how many ones).
    public var nonzeroBitCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}
