/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror, Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3" (SC 2011), as published in Random123.
///
/// A counter-based generator is a keyed bijection: the output for counter c is a pure function
/// of (key, c). The simulator uses that to make any pulse's randomness a function of
/// (seed, pulse index), so threads split the pulse range and skip pulses that never click and
/// still produce identical records. `docs/prng.md` specifies the counter layout so a vendor can
/// regenerate any draw in another language.
public struct Philox4x32: Sendable, Equatable {
    /// The 64-bit key as two 32-bit words (k0, k1).
    public let key: (UInt32, UInt32)

    public init(key0: UInt32, key1: UInt32) { key = (key0, key1) }

    /// The key for a 64-bit seed: k0 = low 32 bits, k1 = high 32 bits.
    public init(seed: UInt64) { self.init(key0: UInt32(truncatingIfNeeded: seed), key1: UInt32(truncatingIfNeeded: seed >> 32)) }

    public static func == (l: Philox4x32, r: Philox4x32) -> Bool { l.key == r.key }

    /// Philox4x32-10 of one 128-bit counter (c0, c1, c2, c3): four 32-bit output words.
    @inline(__always)
    public func block(_ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var x0 = c0, x1 = c1, x2 = c2, x3 = c3
        var k0 = key.0, k1 = key.1
        // Ten rounds; the key is bumped by the Weyl constants between rounds.
        for round in 0..<10 {
            if round > 0 { k0 &+= 0x9E37_79B9; k1 &+= 0xBB67_AE85 }
            let p0 = UInt64(0xD251_1F53) &* UInt64(x0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(x2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            x0 = hi1 ^ x1 ^ k0
            x1 = lo1
            x2 = hi0 ^ x3 ^ k1
            x3 = lo0
        }
        return (x0, x1, x2, x3)
    }

    /// The block for the project's standard counter layout (see `docs/prng.md`):
    /// c0, c1 = low and high words of a 64-bit index, c2 = draw number, c3 = stream identifier.
    @inline(__always)
    public func block(index: UInt64, draw: UInt32, stream: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        block(UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32), draw, stream)
    }
}

/// Conversions from output words to uniform variates, fixed so that every implementation maps
/// the same words to the same numbers.
public enum Uniform {
    /// (w + ½)·2⁻³²: a uniform in the open interval (0, 1) with 32-bit resolution.
    @inline(__always)
    public static func open32(_ w: UInt32) -> Double { (Double(w) + 0.5) * 0x1p-32 }

    /// ((hi·2³² + lo) >> 12 + ½)·2⁻⁵²: a uniform in (0, 1) with 52-bit resolution. (With 53 bits
    /// the largest value would round up to exactly 1.)
    @inline(__always)
    public static func open52(hi: UInt32, lo: UInt32) -> Double {
        let bits = (UInt64(hi) << 32 | UInt64(lo)) >> 12
        return (Double(bits) + 0.5) * 0x1p-52
    }
}

/// A sequential stream of uniforms over one Philox (index, stream): the draw number counts up,
/// each block yields four words. For places that need "a few more" random numbers in order,
/// such as seeded sampling in post-processing.
public struct PhiloxStream: Sendable {
    private let generator: Philox4x32
    private let index: UInt64
    private let stream: UInt32
    private var draw: UInt32 = 0
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used = 4

    public init(seed: UInt64, index: UInt64, stream: UInt32) {
        generator = Philox4x32(seed: seed)
        self.index = index
        self.stream = stream
    }

    /// The next 32-bit word.
    public mutating func nextWord() -> UInt32 {
        if used == 4 {
            buffer = generator.block(index: index, draw: draw, stream: stream)
            draw &+= 1
            used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    /// A uniform in (0, 1) with 52-bit resolution from the next two words (high word first).
    public mutating func nextUniform() -> Double {
        let hi = nextWord()
        return Uniform.open52(hi: hi, lo: nextWord())
    }

    /// An integer uniform in 0..<bound by rejection (Lemire-free, simple and exactly specified):
    /// draw 32-bit words until one falls below the largest multiple of `bound`.
    public mutating func nextInt(below bound: UInt32) -> UInt32 {
        precondition(bound > 0, "bound must be positive")
        while true {
            let w = nextWord()
            let r = w % bound
            // Accept w when its whole run of `bound` values [w − r, w − r + bound) fits below 2³²,
            // i.e. w is below the largest multiple of `bound`: the same rule with one division.
            if UInt64(w - r) + UInt64(bound) <= 1 << 32 { return r }
        }
    }
}
