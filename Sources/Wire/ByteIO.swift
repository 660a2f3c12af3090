/// Big-endian field writer.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    public mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
    /// Many 32-bit values at once (offsets lists run to millions of entries): byte-swapped in
    /// bulk and appended with one copy.
    public mutating func u32s(_ values: [UInt32]) {
        let swapped = [UInt32](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { v in
                for i in 0..<v.count { out[i] = v[i].bigEndian }
            }
            count = values.count
        }
        swapped.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
    /// Cascade queries, 10 bytes each (pass u16, start u32, end u32): a batch carries hundreds of
    /// thousands per session, so they are laid out in a scratch buffer and appended in one copy.
    mutating func parityQueries(_ queries: [WireParityQuery]) {
        let n = queries.count
        let packed = [UInt8](unsafeUninitializedCapacity: 10 * n) { out, count in
            let raw = UnsafeMutableRawBufferPointer(out)
            queries.withUnsafeBufferPointer { q in
                for i in 0..<n {
                    raw.storeBytes(of: q[i].pass.bigEndian, toByteOffset: 10 * i, as: UInt16.self)
                    raw.storeBytes(of: q[i].start.bigEndian, toByteOffset: 10 * i + 2, as: UInt32.self)
                    raw.storeBytes(of: q[i].end.bigEndian, toByteOffset: 10 * i + 6, as: UInt32.self)
                }
            }
            count = 10 * n
        }
        bytes.append(contentsOf: packed)
    }
    /// Overwrites the 32-bit field written earlier at `offset` (a length known only afterwards).
    public mutating func patchU32(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= bytes.count, "patching outside the written bytes")
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self) }
    }
    /// Bytes written so far.
    public var count: Int { bytes.count }
    /// An IEEE 754 double as its 64-bit pattern.
    public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// A byte string with a 32-bit length prefix.
    public mutating func blob(_ b: [UInt8]) { u32(UInt32(b.count)); bytes.append(contentsOf: b) }
    /// UTF-8 text with a 16-bit length prefix (truncated to 1024 bytes at a character boundary).
    public mutating func text(_ s: String) {
        var utf8 = Array(s.utf8.prefix(1024))
        while !utf8.isEmpty, String(validating: utf8, as: UTF8.self) == nil { utf8.removeLast() }
        u16(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Bounds-checked big-endian field reader over bytes borrowed for one decode call. Offsets in
/// errors are absolute (relative to the start of the frame) via `base`.
///
/// A reader is made only inside the call that holds its bytes — ``reading(_:base:_:)`` or a
/// decode entry of this module (``FrameDecoder/decodeFrame(borrowing:)``) — and never leaves it.
/// It holds a pointer and two integers: no slice to retain and release, no optional to test,
/// and nothing to copy per field, so a field read is a bounds check and a load. (Under the
/// fuzzers' AddressSanitizer build a reader that also held a slice was copied whole, with a
/// retain, into a poisoned stack frame on every field: a quarter of the frame target's time.)
///
/// `@unchecked Sendable`: the pointer is only read, and only while the call that lent it runs.
public struct ByteReader: @unchecked Sendable {
    private let bytes: UnsafeRawBufferPointer
    /// Index of the next byte in `bytes`; every read is bounds-checked against `bytes.count`
    /// (`need`, `take`) before the load.
    private var position = 0
    private let base: Int

    /// A reader over bytes the caller keeps valid and unchanged while the reader is used.
    init(borrowing bytes: UnsafeRawBufferPointer, base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    /// Runs `body` with a reader over `bytes` whose first byte is at frame offset `base`. The
    /// reader must not leave `body`: it reads the slice's storage in place.
    @inline(__always)
    public static func reading<R>(_ bytes: ArraySlice<UInt8>, base: Int = 0, _ body: (inout ByteReader) throws(WireError) -> R)
        throws(WireError) -> R
    {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> R in
            var reader = ByteReader(borrowing: UnsafeRawBufferPointer(buffer), base: base)
            return try body(&reader)
        }
    }

    /// Offset of the next byte from the start of the frame.
    public var offset: Int { base + position }
    public var remaining: Int { bytes.count - position }

    @inline(__always)
    private mutating func take(_ n: Int) throws(WireError) -> [UInt8] {
        guard n >= 0, remaining >= n else { throw .truncated(offset: offset, needed: n - remaining) }
        defer { position += n }
        return [UInt8](UnsafeRawBufferPointer(rebasing: bytes[position..<position + n]))
    }

    @inline(__always)
    private mutating func need(_ n: Int) throws(WireError) -> Int {
        guard remaining >= n else { throw .truncated(offset: offset, needed: n - remaining) }
        defer { position += n }
        return position
    }

    /// The big-endian integer at index `p`, which `need` has bounds-checked: one unaligned load
    /// instead of a bounds-checked subscript per byte.
    @inline(__always)
    private func load<T: FixedWidthInteger>(_ p: Int, as _: T.Type) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: p, as: T.self))
    }

    // The fixed-size reads are forced inline: every frame's payload is a few of them, and a call
    // per field cost more than the read (capture inspect decodes a few million frames a file).
    @inline(__always) public mutating func u8() throws(WireError) -> UInt8 { bytes[try need(1)] }
    @inline(__always) public mutating func u16() throws(WireError) -> UInt16 { load(try need(2), as: UInt16.self) }
    @inline(__always) public mutating func u32() throws(WireError) -> UInt32 { load(try need(4), as: UInt32.self) }
    @inline(__always) public mutating func u64() throws(WireError) -> UInt64 { load(try need(8), as: UInt64.self) }
    @inline(__always) public mutating func f64() throws(WireError) -> Double { Double(bitPattern: try u64()) }

    /// `n` 32-bit values at once; the caller has bounded `n` against the bytes left.
    public mutating func u32s(_ n: Int) throws(WireError) -> [UInt32] {
        let first = try need(4 * n)
        let raw = bytes
        return [UInt32](unsafeUninitializedCapacity: n) { out, count in
            // One copy, then a byte swap in place: a loop the compiler vectorizes.
            if n > 0, let source = raw.baseAddress, let target = out.baseAddress {
                UnsafeMutableRawPointer(target).copyMemory(from: source + first, byteCount: 4 * n)
            }
            for i in 0..<n { out[i] = UInt32(bigEndian: out[i]) }
            count = n
        }
    }

    /// `n` Cascade parity queries (pass u16, start u32, end u32), each checked for start < end.
    mutating func parityQueries(_ n: Int) throws(WireError) -> [WireParityQuery] {
        let first = offset
        let origin = try need(10 * n)
        var bad = -1
        let raw = bytes
        let queries = [WireParityQuery](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n {
                let at = origin + 10 * i
                let q = WireParityQuery(pass: UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)),
                                        start: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at + 2, as: UInt32.self)),
                                        end: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at + 6, as: UInt32.self)))
                if q.start >= q.end && bad < 0 { bad = i }
                out[i] = q  // a trivial type: assigning initializes
            }
            count = n
        }
        if bad >= 0 {
            let q = queries[bad]
            throw .invalidField(offset: first + 10 * bad, field: "parity query", reason: .emptyRange(start: q.start, end: q.end))
        }
        return queries
    }
    public mutating func raw(_ n: Int) throws(WireError) -> [UInt8] { try take(n) }

    /// A length-prefixed byte string, refused when its length exceeds `limit` or the bytes left.
    public mutating func blob(limit: Int, field: String) throws(WireError) -> [UInt8] {
        let at = offset
        let n = Int(try u32())
        guard n <= limit else { throw .invalidField(offset: at, field: field, reason: .lengthExceeds(n, limit: limit)) }
        return try raw(n)
    }

    public mutating func text(field: String) throws(WireError) -> String {
        let at = offset
        let n = Int(try u16())
        guard n <= 1024 else { throw .invalidField(offset: at, field: field, reason: .textTooLong(bytes: n)) }
        let b = try raw(n)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw .invalidField(offset: at, field: field, reason: "not UTF-8")
        }
        return s
    }

    /// A count that bounds what follows: at most `limit`, and each element needs at least
    /// `elementBytes` of what is left, so a lying count cannot trigger a large allocation.
    public mutating func count(limit: Int, elementBytes: Int, field: String) throws(WireError) -> Int {
        let at = offset
        let n = Int(try u32())
        guard n <= limit else { throw .invalidField(offset: at, field: field, reason: .countExceeds(n, limit: limit)) }
        guard n * elementBytes <= remaining else {
            throw .truncated(offset: offset, needed: n * elementBytes - remaining)
        }
        return n
    }

    /// Throws unless every byte was consumed.
    @inline(__always)
    public func finish() throws(WireError) {
        if remaining > 0 { throw .trailingBytes(offset: offset, count: remaining) }
    }
}
