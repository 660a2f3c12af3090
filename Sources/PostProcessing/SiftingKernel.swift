/// The nodes' sifting loops over whole blocks, eight detections at a time.
///
/// On the wire (docs/protocol.md) a block's per-detection columns are bit strings, bit i in bit
/// i mod 8 of byte i / 8; SIFTING_RESULT carries a match bit per detection and, per match, its
/// 2-bit intensity class (0 = signal). Both ends keep the signal-class bits of the matches, in
/// detection order. Done one match at a time this costs a few nanoseconds per match on each side;
/// here each byte of detections goes through lookups in tables small enough to stay in the L1
/// cache, which gather the bits a mask selects (what BMI2's `pext` does, portably).
public enum SiftingKernel {
    /// `gather[mask4 << 4 | bits4]`: the bits of the nibble `bits` where `mask` is 1, packed from
    /// bit 0.
    static let gather: [UInt8] = (0..<256).map { t in
        let mask = t >> 4, bits = t & 15
        var out = 0, n = 0
        for i in 0..<4 where mask >> i & 1 == 1 {
            out |= (bits >> i & 1) << n
            n += 1
        }
        return UInt8(out)
    }

    /// `gatherPairs[mask4 << 8 | pairs]`: the 2-bit fields of `pairs` (four of them) where the
    /// 4-bit `mask` is 1, packed from bit 0.
    static let gatherPairs: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 16 << 8)
        for mask in 0..<16 {
            for pairs in 0..<256 {
                var out = 0, n = 0
                for i in 0..<4 where mask >> i & 1 == 1 {
                    out |= (pairs >> (2 * i) & 3) << (2 * n)
                    n += 1
                }
                t[mask << 8 | pairs] = UInt8(out)
            }
        }
        return t
    }()

    /// `zeroPairs[byte]`: bit i (i < 4) set when 2-bit field i of `byte` is 0.
    static let zeroPairs: [UInt8] = (0..<256).map { b in
        var out = 0
        for i in 0..<4 where b >> (2 * i) & 3 == 0 { out |= 1 << i }
        return UInt8(out)
    }

    /// The bits of `bits` where `mask` is 1, packed from bit 0: one nibble at a time.
    @inline(__always)
    static func gather(_ bits: UInt8, _ mask: UInt8, _ g: UnsafeBufferPointer<UInt8>) -> UInt8 {
        let low = g[Int(mask & 15) << 4 | Int(bits & 15)], high = g[Int(mask >> 4) << 4 | Int(bits >> 4)]
        return low | high << UInt8((mask & 15).nonzeroBitCount)
    }

    /// Bob's side: his block's bits, Alice's match bits and the classes of the matches. Appends
    /// the signal-class bits of the matches to `key` and adds each class's match count to
    /// `perClass` (four entries). `matches` must have `(d + 7) / 8` bytes, `bits` at least that
    /// many, and `classes` the 2 bits of every match (the SIFTING_RESULT decoder checks that).
    public static func bobSift(matches: [UInt8], classes: [UInt8], bits: [UInt8], into key: inout BitKey, perClass: inout [Int]) {
        precondition(bits.count >= matches.count && perClass.count == 4, "bits or class counters too short")
        var writer = BitAppender(key)
        key = BitKey(count: 0)  // the appender holds the only reference while it grows
        var signalCount = 0
        var reader = PairReader()
        gather.withUnsafeBufferPointer { g in
            zeroPairs.withUnsafeBufferPointer { z in
                matches.withUnsafeBufferPointer { m in
                    bits.withUnsafeBufferPointer { b in
                        classes.withUnsafeBufferPointer { c in
                            for i in 0..<m.count {
                                let mask = m[i]
                                guard mask != 0 else { continue }
                                let k = mask.nonzeroBitCount
                                let matched = gather(b[i], mask, g)
                                // The k matches' classes: 2k ≤ 16 bits.
                                let pairs = reader.take(2 * k, from: c)
                                let signalMask = z[Int(pairs & 0xFF)] | z[Int(pairs >> 8)] << 4
                                let valid: UInt8 = k == 8 ? 0xFF : UInt8((1 << k) - 1)
                                let signal = signalMask & valid
                                let n = signal.nonzeroBitCount
                                writer.append(UInt64(gather(matched, signal, g)), count: n)
                                signalCount += n
                            }
                        }
                    }
                }
            }
        }
        key = writer.finish()
        // Classes 1 … 3 straight from the column (its padding pairs are 00, not counted there).
        var counts = (0, 0, 0)
        for byte in classes {
            let lo = byte & 0x55, hi = byte >> 1 & 0x55
            counts.0 += (lo & ~hi).nonzeroBitCount
            counts.1 += (~lo & hi & 0x55).nonzeroBitCount
            counts.2 += (lo & hi).nonzeroBitCount
        }
        perClass[0] += signalCount; perClass[1] += counts.0; perClass[2] += counts.1; perClass[3] += counts.2
    }

    /// Alice's side when her records are for exactly Bob's detections (detection i is her record
    /// i): matches where the bases agree, the matches' classes, and her signal-class bits
    /// appended to `key`. Returns the match bits (`(d + 7) / 8` bytes), the classes (2 bits per
    /// match) and the number of matches.
    public static func aliceSift(detections d: Int, aliceBases: [UInt8], bobBases: [UInt8], classes extra: [UInt8], bits: [UInt8],
                                 into key: inout BitKey) -> (matches: [UInt8], classes: [UInt8], matched: Int) {
        let bytes = (d + 7) / 8
        precondition(aliceBases.count >= bytes && bobBases.count >= bytes && bits.count >= bytes && extra.count >= (2 * d + 7) / 8,
                     "columns shorter than the detections")
        var matches = [UInt8](repeating: 0, count: bytes)
        var matched = 0
        var classWriter = BitAppender(BitKey(count: 0))
        var writer = BitAppender(key)
        key = BitKey(count: 0)
        gather.withUnsafeBufferPointer { g in
            gatherPairs.withUnsafeBufferPointer { gp in
                zeroPairs.withUnsafeBufferPointer { z in
                    for i in 0..<bytes {
                        var mask = ~(aliceBases[i] ^ bobBases[i])
                        if i == bytes - 1 && d % 8 != 0 { mask &= UInt8((1 << (d % 8)) - 1) }
                        matches[i] = mask
                        guard mask != 0 else { continue }
                        // The eight detections' classes: 16 bits, two bytes of the class column.
                        let loPairs = Int(extra[2 * i])
                        let hiPairs = 2 * i + 1 < extra.count ? Int(extra[2 * i + 1]) : 0
                        let kLo = (mask & 0xF).nonzeroBitCount, k = mask.nonzeroBitCount
                        let packed = UInt16(gp[Int(mask & 0xF) << 8 | loPairs])
                            | UInt16(gp[Int(mask >> 4) << 8 | hiPairs]) << (2 * kLo)
                        classWriter.append(UInt64(packed), count: 2 * k)
                        let valid: UInt8 = k == 8 ? 0xFF : UInt8((1 << k) - 1)
                        let signal = (z[Int(packed & 0xFF)] | z[Int(packed >> 8)] << 4) & valid
                        let matchedBits = gather(bits[i], mask, g)
                        writer.append(UInt64(gather(matchedBits, signal, g)), count: signal.nonzeroBitCount)
                        matched += k
                    }
                }
            }
        }
        key = writer.finish()
        return (matches, classWriter.finish().bytes, matched)
    }
}

/// Reads consecutive 2-bit fields from a byte column, up to 16 bits at a time.
struct PairReader {
    private var buffer: UInt64 = 0
    private var held = 0
    private var next = 0

    @inline(__always)
    mutating func take(_ n: Int, from bytes: UnsafeBufferPointer<UInt8>) -> UInt16 {
        if held < n {
            // Four bytes at a time while they last, then one (past the end reads zeros; the
            // caller never asks for more bits than the column has).
            if next + 4 <= bytes.count {
                let word = UInt32(bytes[next]) | UInt32(bytes[next + 1]) << 8 | UInt32(bytes[next + 2]) << 16 | UInt32(bytes[next + 3]) << 24
                buffer |= UInt64(word) << UInt64(held)
                held += 32
                next += 4
            } else {
                while held < n {
                    let byte = next < bytes.count ? UInt64(bytes[next]) : 0
                    buffer |= byte << UInt64(held)
                    held += 8
                    next += 1
                }
            }
        }
        let v = UInt16(truncatingIfNeeded: buffer & ((1 << UInt64(n)) - 1))
        buffer >>= UInt64(n)
        held -= n
        return v
    }
}

/// Appends short bit runs to a key, a word at a time.
struct BitAppender {
    private var key: BitKey
    private var acc: UInt64 = 0
    private var held = 0

    init(_ key: BitKey) { self.key = key }

    /// Appends the low `n` bits of `bits` (n ≤ 64; the bits above them must be zero).
    @inline(__always)
    mutating func append(_ bits: UInt64, count n: Int) {
        acc |= bits << UInt64(held)
        held += n
        if held >= 64 {
            key.append(bits: acc, count: 64)
            held -= 64
            acc = held == 0 ? 0 : bits >> UInt64(n - held)
        }
    }

    mutating func finish() -> BitKey {
        key.append(bits: acc, count: held)
        acc = 0
        held = 0
        return key
    }
}
