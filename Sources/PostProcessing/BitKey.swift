/// A bit string, packed 64 bits to a word, least significant bit first: bit i is bit (i mod 64)
/// of word i / 64. Bits past `count` in the last word are always zero, so word-level operations
/// (parity, popcount, equality) need no masking.
public struct BitKey: Sendable, Hashable, CustomStringConvertible {
    public private(set) var words: [UInt64]
    public private(set) var count: Int

    /// `count` zero bits.
    public init(count: Int) {
        precondition(count >= 0, "a key cannot have a negative length")
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// The first `count` bits of `words` (bits beyond are cleared).
    public init(words: [UInt64], count: Int) {
        precondition(count >= 0 && count <= words.count * 64, "count \(count) exceeds the \(words.count * 64) bits given")
        self.words = Array(words.prefix((count + 63) / 64))
        self.count = count
        clearTail()
    }

    /// One bit per element (each element 0 or 1; only bit 0 is used).
    public init<S: Sequence>(bits: S) where S.Element: BinaryInteger {
        var key = BitKey(count: 0)
        for b in bits { key.append(UInt8(truncatingIfNeeded: b) & 1) }
        self = key
    }

    private mutating func clearTail() {
        let r = count % 64
        if r != 0, !words.isEmpty { words[words.count - 1] &= (1 << UInt64(r)) - 1 }
    }

    @inline(__always)
    public subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < count, "bit \(index) out of range 0..<\(count)")
            return UInt8(truncatingIfNeeded: words[index >> 6] >> UInt64(index & 63)) & 1
        }
        set {
            precondition(index >= 0 && index < count, "bit \(index) out of range 0..<\(count)")
            let mask: UInt64 = 1 << UInt64(index & 63)
            if newValue & 1 == 1 { words[index >> 6] |= mask } else { words[index >> 6] &= ~mask }
        }
    }

    /// Flips bit `index`.
    @inline(__always)
    public mutating func flip(_ index: Int) {
        precondition(index >= 0 && index < count, "bit \(index) out of range 0..<\(count)")
        words[index >> 6] ^= 1 << UInt64(index & 63)
    }

    /// Appends one bit.
    @inline(__always)
    public mutating func append(_ bit: UInt8) {
        if count & 63 == 0 { words.append(0) }
        if bit & 1 == 1 { words[count >> 6] |= 1 << UInt64(count & 63) }
        count += 1
    }

    /// Appends the low `n` bits of `word` (0 ≤ n ≤ 64), bit 0 first: sixty-four bits for the price
    /// of one call, for loops that gather bits one at a time.
    public mutating func append(bits word: UInt64, count n: Int) {
        precondition(n >= 0 && n <= 64, "append(bits:count:) takes 0 ... 64 bits")
        guard n > 0 else { return }
        let w = n == 64 ? word : word & ((1 << UInt64(n)) - 1)
        let shift = count & 63
        if shift == 0 {
            words.append(w)
        } else {
            words[words.count - 1] |= w << UInt64(shift)
            if shift + n > 64 { words.append(w >> UInt64(64 - shift)) }
        }
        count += n
    }

    /// Appends every bit of `other`.
    public mutating func append(contentsOf other: BitKey) {
        guard other.count > 0 else { return }
        let shift = count & 63
        if shift == 0 {
            words.append(contentsOf: other.words)
        } else {
            for w in other.words {
                words[words.count - 1] |= w << UInt64(shift)
                words.append(w >> UInt64(64 - shift))
            }
        }
        count += other.count
        words.removeLast(words.count - (count + 63) / 64)
        clearTail()
    }

    /// The key without the bits at `positions` (strictly ascending, each in 0..<count): the
    /// runs between them copied up to 64 bits at a time. Parameter estimation removes a sample
    /// of about a tenth of a frame this way, so the runs are short and many.
    public func removing(sortedPositions positions: [Int32]) -> BitKey {
        precondition(positions.count <= count, "more positions than bits")
        var out = BitKey(count: 0)
        out.words.reserveCapacity((count - positions.count + 63) / 64)
        words.withUnsafeBufferPointer { w in
            // Bits [start, start + n) of the key, n ≤ 64, as the low bits of a word.
            func extract(_ start: Int, _ n: Int) -> UInt64 {
                let shift = start & 63, i = start >> 6
                var v = w[i] >> UInt64(shift)
                if shift + n > 64 { v |= w[i + 1] << UInt64(64 - shift) }
                return v
            }
            var start = 0
            func copyRun(to end: Int) {
                var s = start
                while s < end {
                    let n = min(64, end - s)
                    out.append(bits: extract(s, n), count: n)
                    s += n
                }
            }
            for p in positions {
                let end = Int(p)
                precondition(end >= start && end < count, "positions must be ascending and inside the key")
                copyRun(to: end)
                start = end + 1
            }
            copyRun(to: count)
        }
        return out
    }

    /// The number of one bits (the Hamming weight).
    public var popcount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// XOR of all bits.
    public var parity: UInt8 { UInt8(truncatingIfNeeded: words.reduce(0, ^).nonzeroBitCount & 1) }

    /// XOR of the bits in `range`.
    @inline(__always)
    public func parity(_ range: Range<Int>) -> UInt8 {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of 0..<\(count)")
        return words.withUnsafeBufferPointer { Self.parity(of: $0, base: 0, range) }
    }

    /// XOR of bits `range` of the bit string that starts at word `base` of `w` (bit i in bit i mod
    /// 64 of word base + i / 64): keys laid out back to back share this loop.
    @inline(__always)
    static func parity(of w: UnsafeBufferPointer<UInt64>, base: Int, _ range: Range<Int>) -> UInt8 {
        guard !range.isEmpty else { return 0 }
        let length = range.upperBound - range.lowerBound
        if length <= 64 {
            // Most of Cascade's ranges are this short: one or two words, no loop.
            let i = base + range.lowerBound >> 6, shift = range.lowerBound & 63
            var bits = w[i] >> UInt64(shift)
            if shift + length > 64 { bits |= w[i + 1] << UInt64(64 - shift) }
            if length < 64 { bits &= (1 << UInt64(length)) - 1 }
            return UInt8(bits.nonzeroBitCount & 1)
        }
        return parityOfLongRange(w, base: base, range)
    }

    static func parityOfLongRange(_ w: UnsafeBufferPointer<UInt64>, base: Int, _ range: Range<Int>) -> UInt8 {
        let first = base + range.lowerBound >> 6, last = base + (range.upperBound - 1) >> 6
        let lowMask: UInt64 = ~0 << UInt64(range.lowerBound & 63)
        let highBits = range.upperBound & 63
        let highMask: UInt64 = highBits == 0 ? ~0 : (1 << UInt64(highBits)) - 1
        if first == last { return UInt8((w[first] & lowMask & highMask).nonzeroBitCount & 1) }
        var acc = w[first] & lowMask
        var acc2: UInt64 = 0
        var i = first + 1
        // Two accumulators halve the XOR dependency chain.
        while i + 1 < last { acc ^= w[i]; acc2 ^= w[i + 1]; i += 2 }
        if i < last { acc ^= w[i] }
        acc ^= acc2 ^ (w[last] & highMask)
        return UInt8(acc.nonzeroBitCount & 1)
    }

    /// Bits `range` as a new key.
    public func slice(_ range: Range<Int>) -> BitKey {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of 0..<\(count)")
        var out = BitKey(count: range.count)
        let shift = range.lowerBound & 63, base = range.lowerBound >> 6
        for i in 0..<out.words.count {
            var w = words[base + i] >> UInt64(shift)
            if shift != 0, base + i + 1 < words.count { w |= words[base + i + 1] << UInt64(64 - shift) }
            out.words[i] = w
        }
        out.clearTail()
        return out
    }

    /// The key with bit i taken from position `order[i]` of this key. `inverse` must be the
    /// inverse permutation (`inverse[order[i]] == i`); it lets the copy be built by scattering
    /// only the one bits, which is several times faster than gathering every bit.
    public func permuted(by order: [Int32], inverse: [Int32]? = nil) -> BitKey {
        var out = BitKey(count: order.count)
        if let inverse, inverse.count == count, order.count == count {
            out.words.withUnsafeMutableBufferPointer { Self.scatter(words, count: count, inverse: inverse, into: $0) }
            return out
        }
        order.withUnsafeBufferPointer { o in
            words.withUnsafeBufferPointer { src in
                out.words.withUnsafeMutableBufferPointer { dst in
                    var i = 0
                    while i < o.count {
                        var w: UInt64 = 0
                        let end = min(64, o.count - i)
                        for b in 0..<end {
                            let p = Int(o[i + b])
                            w |= ((src[p >> 6] >> UInt64(p & 63)) & 1) << UInt64(b)
                        }
                        dst[i >> 6] = w
                        i += 64
                    }
                }
            }
        }
        return out
    }

    /// Writes the `count`-bit string `words` permuted by `inverse` (bit j moves to position
    /// `inverse[j]`) over the first (count + 63) / 64 words of `dst`. Each one bit is scattered as
    /// a byte store into a scratch row of bytes, which is then packed eight bytes at a time: a
    /// plain store per bit, where setting the bit in place costs a read-modify-write of a word.
    static func scatter(_ words: [UInt64], count n: Int, inverse: [Int32], into dst: UnsafeMutableBufferPointer<UInt64>) {
        words.withUnsafeBufferPointer { scatter($0, count: n, inverse: inverse, into: dst) }
    }

    /// `scatter` from the words at `src`.
    static func scatter(_ src: UnsafeBufferPointer<UInt64>, count n: Int, inverse: [Int32], into dst: UnsafeMutableBufferPointer<UInt64>) {
        let wordCount = (n + 63) / 64
        precondition(src.count == wordCount && inverse.count == n && dst.count >= wordCount, "scatter of \(n) bits")
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: wordCount * 8) { lanes in
            let bytes = UnsafeMutableRawBufferPointer(lanes)
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            do {
                inverse.withUnsafeBufferPointer { inv in
                    for wi in 0..<wordCount {
                        var w = src[wi]
                        while w != 0 {
                            bytes[Int(inv[wi << 6 | w.trailingZeroBitCount])] = 1
                            w &= w - 1
                        }
                    }
                }
            }
            pack(UnsafeRawBufferPointer(bytes), words: wordCount, into: dst)
        }
    }

    /// Words of a prefix-parity row of an n-bit string: bits 0 ... n, and one word more so that
    /// the scatter that fills it first (n bits) and the row itself both fit.
    static func prefixParityWordCount(bits n: Int) -> Int { n / 64 + 1 }

    /// Turns the n-bit string in `row` (bits past n zero) into its exclusive prefix parities in
    /// place: bit i becomes the parity of the string's bits [0, i), for i in 0 ... n. Within a
    /// word, six shift-XORs give the inclusive prefix; the previous word's last bit carries in.
    static func makePrefixParities(_ row: UnsafeMutableBufferPointer<UInt64>, bits n: Int) {
        let wordCount = prefixParityWordCount(bits: n)
        precondition(row.count >= wordCount, "prefix parities of \(n) bits need \(wordCount) words")
        var carry: UInt64 = 0  // parity of every bit before this word: 0 or 1
        for i in 0..<wordCount {
            var x = row[i]
            x ^= x << 1
            x ^= x << 2
            x ^= x << 4
            x ^= x << 8
            x ^= x << 16
            x ^= x << 32
            x ^= 0 &- carry  // all ones if the bits before this word are odd
            // Inclusive prefix x (bit i: bits [0, i]) shifted up one: exclusive.
            row[i] = x << 1 | carry
            carry = x >> 63
        }
    }

    /// The parity of bits [start, end) of the string whose prefix-parity row starts at word
    /// `base` of `w` (see `makePrefixParities`): two bits XORed.
    @inline(__always)
    static func prefixParity(_ w: UnsafeBufferPointer<UInt64>, base: Int, start: Int, end: Int) -> UInt8 {
        let a = w[base + start >> 6] >> UInt64(start & 63), b = w[base + end >> 6] >> UInt64(end & 63)
        return UInt8(truncatingIfNeeded: (a ^ b) & 1)
    }

    /// `scatter` into two rows at once, by two permutations: the key's one bits are found once
    /// for both (Cascade's parties copy their key for two passes or more).
    static func scatter(
        _ src: UnsafeBufferPointer<UInt64>, count n: Int, inverses first: [Int32], _ second: [Int32],
        into dst0: UnsafeMutableBufferPointer<UInt64>, _ dst1: UnsafeMutableBufferPointer<UInt64>
    ) {
        let wordCount = (n + 63) / 64
        precondition(src.count == wordCount && first.count == n && second.count == n && dst0.count >= wordCount && dst1.count >= wordCount,
                     "scatter of \(n) bits")
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: wordCount * 16) { lanes in
            let bytes = UnsafeMutableRawBufferPointer(lanes)
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            let row1 = UnsafeMutableRawBufferPointer(rebasing: bytes[(wordCount * 64)..<(wordCount * 128)])
            first.withUnsafeBufferPointer { inv0 in
                second.withUnsafeBufferPointer { inv1 in
                    for wi in 0..<wordCount {
                        var w = src[wi]
                        while w != 0 {
                            let j = wi << 6 | w.trailingZeroBitCount
                            bytes[Int(inv0[j])] = 1
                            row1[Int(inv1[j])] = 1
                            w &= w - 1
                        }
                    }
                }
            }
            pack(UnsafeRawBufferPointer(bytes), words: wordCount, into: dst0)
            pack(UnsafeRawBufferPointer(row1), words: wordCount, into: dst1)
        }
    }

    /// Packs `words` × 64 bytes of 0 or 1 into bits. Eight 0/1 bytes b0 … b7 (little-endian) times
    /// 0x0102040810204080 put b_i at bit 56 + i: no two partial products meet at or above bit 56,
    /// and none carry into it.
    @inline(__always)
    private static func pack(_ bytes: UnsafeRawBufferPointer, words wordCount: Int, into dst: UnsafeMutableBufferPointer<UInt64>) {
        for i in 0..<wordCount {
            var out: UInt64 = 0
            for k in 0..<8 {
                let eight = UInt64(littleEndian: bytes.load(fromByteOffset: (i * 8 + k) * 8, as: UInt64.self))
                out |= ((eight &* 0x0102_0408_1020_4080) >> 56) << UInt64(8 * k)
            }
            dst[i] = out
        }
    }

    /// Empties the key, keeping its storage (for buffers refilled every round).
    mutating func removeAll() {
        words.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Bitwise XOR; both keys must have the same length.
    public static func ^ (a: BitKey, b: BitKey) -> BitKey {
        precondition(a.count == b.count, "XOR of keys of different lengths (\(a.count) and \(b.count))")
        var out = a
        for i in out.words.indices { out.words[i] ^= b.words[i] }
        return out
    }

    /// The number of positions where the keys differ.
    public func hammingDistance(to other: BitKey) -> Int {
        precondition(count == other.count, "keys of different lengths (\(count) and \(other.count))")
        var d = 0
        for i in words.indices { d += (words[i] ^ other.words[i]).nonzeroBitCount }
        return d
    }

    /// Overwrites every bit with zero (for consumed key material) and empties the key.
    public mutating func zeroize() {
        for i in words.indices { words[i] = 0 }
        words.removeAll()
        count = 0
    }

    /// Lower-case hex of the bytes, bit 0 first (bit i is bit i mod 8 of byte i / 8); the last
    /// byte is zero-padded.
    public var hex: String {
        var s = ""
        s.reserveCapacity((count + 7) / 8 * 2)
        let digits = Array("0123456789abcdef")
        for i in 0..<(count + 7) / 8 {
            let byte = UInt8(truncatingIfNeeded: words[i >> 3] >> UInt64((i & 7) * 8))
            s.append(digits[Int(byte >> 4)])
            s.append(digits[Int(byte & 15)])
        }
        return s
    }

    /// Parses `hex` (bytes, bit 0 first, as written by ``hex``) and keeps `count` bits.
    /// Returns nil when the text is not hex, too short, or has bits set beyond `count`.
    public init?(hex: String, count: Int) {
        guard count >= 0, hex.count % 2 == 0, hex.count / 2 == (count + 7) / 8 else { return nil }
        var key = BitKey(count: count)
        var byteIndex = 0
        var iterator = hex.utf8.makeIterator()
        while let h = iterator.next(), let l = iterator.next() {
            guard let hv = Self.nibble(h), let lv = Self.nibble(l) else { return nil }
            let byte = UInt64(hv << 4 | lv)
            key.words[byteIndex >> 3] |= byte << UInt64((byteIndex & 7) * 8)
            byteIndex += 1
        }
        let before = key.words
        key.clearTail()
        guard before == key.words else { return nil }
        self = key
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// A summary that never shows the bits: key material stays out of logs.
    public var description: String { "BitKey(\(count) bits)" }
}
