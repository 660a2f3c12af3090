/// A bit string on the wire: a 32-bit bit count, then ⌈count/8⌉ bytes, bit i in bit (i mod 8)
/// of byte i/8. Bits past the count must be zero (a decoder refuses them: two encodings of one
/// value would break the round trip and hide data).
public struct BitString: Sendable, Equatable {
    public var bitCount: Int
    public var bytes: [UInt8]

    public init(bitCount: Int, bytes: [UInt8]) {
        self.bitCount = bitCount
        self.bytes = bytes
    }

    public init(bits: [UInt8]) {
        bitCount = bits.count
        bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, b) in bits.enumerated() where b & 1 == 1 { bytes[i >> 3] |= 1 << UInt8(i & 7) }
    }

    public subscript(i: Int) -> UInt8 { (bytes[i >> 3] >> UInt8(i & 7)) & 1 }

    /// The largest bit string a frame can carry.
    public static let maximumBits = 8 * Frame.maximumPayload

    func encode(into w: inout ByteWriter) {
        w.u32(UInt32(bitCount))
        w.raw(bytes)
    }

    static func decode(_ r: inout ByteReader, field: String) throws(WireError) -> BitString {
        let at = r.offset
        let n = Int(try r.u32())
        guard n <= maximumBits else { throw .invalidField(offset: at, field: field, reason: .bitsExceedFrameLimit(n)) }
        let bytes = try r.raw((n + 7) / 8)
        if n % 8 != 0, let last = bytes.last, last >> UInt8(n % 8) != 0 {
            throw .invalidField(offset: r.offset - 1, field: field, reason: .bitsBeyondLength(n))
        }
        return BitString(bitCount: n, bytes: bytes)
    }
}
