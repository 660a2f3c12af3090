import Crypto

extension BitKey {
    /// The key's bytes, bit 0 first (as in ``hex``).
    public var bytes: [UInt8] {
        (0..<(count + 7) / 8).map { UInt8(truncatingIfNeeded: words[$0 >> 3] >> UInt64(($0 & 7) * 8)) }
    }

    /// A fingerprint safe to print in reports: the first 16 hex digits of
    /// SHA-256("qkdspec key fingerprint v1" ‖ length as 8 bytes big-endian ‖ key bytes).
    /// It identifies a key without revealing anything usable about it.
    public var fingerprint: String {
        var message = Array("qkdspec key fingerprint v1".utf8)
        for i in (0..<8).reversed() { message.append(UInt8(truncatingIfNeeded: UInt64(count) >> UInt64(8 * i))) }
        message.append(contentsOf: bytes)
        return SHA256.hash(data: message).prefix(8).map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

extension BitKey {
    /// The first `count` bits of `bytes` (bit i in bit i mod 8 of byte i / 8); nil when there are
    /// too few bytes or bits are set past `count`.
    public init?(bytes: [UInt8], count: Int) {
        guard count >= 0, bytes.count == (count + 7) / 8 else { return nil }
        var key = BitKey(count: count)
        var words = [UInt64](repeating: 0, count: (count + 63) / 64)
        for (i, b) in bytes.enumerated() { words[i >> 3] |= UInt64(b) << UInt64((i & 7) * 8) }
        key = BitKey(words: words, count: count)
        guard key.bytes == bytes else { return nil }
        self = key
    }
}
