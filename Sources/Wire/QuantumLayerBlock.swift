/// One block of raw records on the quantum-layer interface (QLI): how a node receives what its
/// device measured — from the harness's simulator in tests, from a detector driver in a device.
///
///     offset  size  field
///          0     4  magic "QKDQ" (0x514B4451)
///          4     1  version (1)
///          5     1  kind: 1 Alice's records, 2 Bob's records, 3 end of stream (no payload)
///          6     2  flags (reserved, 0)
///          8     8  block index
///         16     8  first pulse index of the block
///         24     4  pulse slots in the block (≤ 2^24)
///         28     4  detections d (≤ slots, ≤ 2^22)
///         32     4  payload length (must equal the size the layout gives for d)
///         36        payload: d offsets (u32, strictly ascending, < slots), then bit columns,
///                   each padded to whole bytes (bit i in bit i mod 8 of byte i/8):
///                   Alice: bit (d), basis (d), intensity class (2 bits each, 2d)
///                   Bob:   bit (d), basis (d), double click (d)
///
/// The QLI is a local link between a device and its node, so it carries no tag. A block lists the
/// detected slots only; Alice's records are for the same slots (a device keeps every slot and
/// looks them up — the protocol never touches the others).
public struct QuantumLayerBlock: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case alice = 1, bob = 2, endOfStream = 3 }

    public static let magic: UInt32 = 0x514B_4451
    public static let headerBytes = 36
    public static let maximumSlots = 1 << 24
    public static let maximumDetections = 1 << 22

    public var kind: Kind
    public var block: UInt64
    public var firstPulse: UInt64
    public var pulseCount: Int
    public var offsets: [UInt32]
    /// Alice: her bits; Bob: his bits.
    public var bits: BitString
    public var bases: BitString
    /// Alice: intensity classes, 2 bits each; Bob: double-click flags.
    public var extra: BitString

    public init(kind: Kind, block: UInt64, firstPulse: UInt64, pulseCount: Int, offsets: [UInt32], bits: BitString,
                bases: BitString, extra: BitString) {
        self.kind = kind; self.block = block; self.firstPulse = firstPulse; self.pulseCount = pulseCount
        self.offsets = offsets; self.bits = bits; self.bases = bases; self.extra = extra
    }

    /// The end-of-stream marker after the last block.
    public static func endOfStream(after block: UInt64) -> QuantumLayerBlock {
        QuantumLayerBlock(kind: .endOfStream, block: block, firstPulse: 0, pulseCount: 0, offsets: [],
                          bits: BitString(bitCount: 0, bytes: []), bases: BitString(bitCount: 0, bytes: []),
                          extra: BitString(bitCount: 0, bytes: []))
    }

    static func payloadBytes(kind: Kind, detections d: Int) -> Int {
        switch kind {
        case .endOfStream: return 0
        case .alice: return 4 * d + 2 * ((d + 7) / 8) + (2 * d + 7) / 8
        case .bob: return 4 * d + 3 * ((d + 7) / 8)
        }
    }

    public func encoded() -> [UInt8] {
        let d = offsets.count
        var w = ByteWriter(capacity: Self.headerBytes + Self.payloadBytes(kind: kind, detections: d))
        w.u32(Self.magic); w.u8(1); w.u8(kind.rawValue); w.u16(0)
        w.u64(block); w.u64(firstPulse); w.u32(UInt32(pulseCount)); w.u32(UInt32(d))
        w.u32(UInt32(Self.payloadBytes(kind: kind, detections: d)))
        w.u32s(offsets)
        if kind != .endOfStream {
            w.raw(bits.bytes); w.raw(bases.bytes); w.raw(extra.bytes)
        }
        return w.bytes
    }
}

/// Decodes QLI blocks from a byte stream, as strictly as the control-channel decoder: every
/// header field is checked before the payload is buffered.
public struct QuantumLayerDecoder: Sendable {
    private var buffer = StreamBuffer()

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(bytes) }

    public var pendingBytes: Int { buffer.count }

    public mutating func next() throws(WireError) -> QuantumLayerBlock? {
        let available = buffer.count
        guard available >= QuantumLayerBlock.headerBytes else {
            if available >= 4 {
                let m = try ByteReader.reading(buffer.prefix(4)) { (r) throws(WireError) in try r.u32() }
                guard m == QuantumLayerBlock.magic else { throw .badBlockMagic(offset: 0, found: m) }
            }
            return nil
        }
        let h = try Self.header(buffer.prefix(QuantumLayerBlock.headerBytes))
        let total = QuantumLayerBlock.headerBytes + h.payload
        guard available >= total else { return nil }
        let block = try Self.decode(buffer.prefix(total), h)
        buffer.consume(total)
        return block
    }

    /// Decodes exactly one block.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> QuantumLayerBlock {
        guard bytes.count >= QuantumLayerBlock.headerBytes else {
            throw .truncated(offset: bytes.count, needed: QuantumLayerBlock.headerBytes - bytes.count)
        }
        let h = try header(bytes[0..<QuantumLayerBlock.headerBytes])
        let total = QuantumLayerBlock.headerBytes + h.payload
        guard bytes.count >= total else { throw .truncated(offset: bytes.count, needed: total - bytes.count) }
        guard bytes.count == total else { throw .trailingBytes(offset: total, count: bytes.count - total) }
        return try decode(bytes[...], h)
    }

    struct Header {
        var kind: QuantumLayerBlock.Kind
        var block: UInt64
        var firstPulse: UInt64
        var slots: Int
        var detections: Int
        var payload: Int
    }

    private static func header(_ bytes: ArraySlice<UInt8>) throws(WireError) -> Header {
        try ByteReader.reading(bytes) { (r) throws(WireError) in try header(&r) }
    }

    private static func header(_ r: inout ByteReader) throws(WireError) -> Header {
        let magic = try r.u32()
        guard magic == QuantumLayerBlock.magic else { throw .badBlockMagic(offset: 0, found: magic) }
        let version = try r.u8()
        guard version == 1 else { throw .unsupportedVersion(offset: 4, version: version) }
        let k = try r.u8()
        guard let kind = QuantumLayerBlock.Kind(rawValue: k) else { throw .invalidField(offset: 5, field: "block kind", reason: .unknownBlockKind(k)) }
        let flags = try r.u16()
        guard flags == 0 else { throw .invalidField(offset: 6, field: "flags", reason: "reserved bits set") }
        let block = try r.u64(), first = try r.u64()
        let slots = Int(try r.u32()), d = Int(try r.u32()), payload = Int(try r.u32())
        guard slots <= QuantumLayerBlock.maximumSlots else {
            throw .invalidField(offset: 24, field: "pulse slots", reason: .exceeds(slots, limit: QuantumLayerBlock.maximumSlots))
        }
        guard d <= QuantumLayerBlock.maximumDetections, d <= slots else {
            throw .invalidField(offset: 28, field: "detections", reason: .detectionsInSlots(d, slots: slots, limit: QuantumLayerBlock.maximumDetections))
        }
        if kind == .endOfStream, slots != 0 || d != 0 {
            throw .invalidField(offset: 24, field: "end of stream", reason: "must have no slots and no detections")
        }
        let expected = QuantumLayerBlock.payloadBytes(kind: kind, detections: d)
        guard payload == expected else {
            throw .invalidField(offset: 32, field: "payload length", reason: .payloadLayout(bytes: payload, expected: expected))
        }
        return Header(kind: kind, block: block, firstPulse: first, slots: slots, detections: d, payload: payload)
    }

    private static func decode(_ bytes: ArraySlice<UInt8>, _ h: Header) throws(WireError) -> QuantumLayerBlock {
        try ByteReader.reading(bytes[(bytes.startIndex + QuantumLayerBlock.headerBytes)...], base: QuantumLayerBlock.headerBytes) {
            (r) throws(WireError) in try decode(&r, h)
        }
    }

    private static func decode(_ r: inout ByteReader, _ h: Header) throws(WireError) -> QuantumLayerBlock {
        let first = r.offset
        let offsets = try r.u32s(h.detections)
        var previous: Int64 = -1
        for (i, o) in offsets.enumerated() {
            guard Int64(o) > previous, Int(o) < h.slots else {
                throw .invalidField(offset: first + 4 * i, field: "offset", reason: .offsetOrder(o, slots: h.slots))
            }
            previous = Int64(o)
        }
        func column(_ bits: Int, _ name: String) throws(WireError) -> BitString {
            let bytes = try r.raw((bits + 7) / 8)
            if bits % 8 != 0, let last = bytes.last, last >> UInt8(bits % 8) != 0 {
                throw .invalidField(offset: r.offset - 1, field: name, reason: .bitsBeyond(bits))
            }
            return BitString(bitCount: bits, bytes: bytes)
        }
        let d = h.detections
        let empty = BitString(bitCount: 0, bytes: [])
        switch h.kind {
        case .endOfStream:
            return QuantumLayerBlock(kind: .endOfStream, block: h.block, firstPulse: h.firstPulse, pulseCount: 0, offsets: [],
                                     bits: empty, bases: empty, extra: empty)
        case .alice, .bob:
            let bits = try column(d, "bits"), bases = try column(d, "bases")
            let extra = try column(h.kind == .alice ? 2 * d : d, h.kind == .alice ? "intensity classes" : "double clicks")
            try r.finish()
            return QuantumLayerBlock(kind: h.kind, block: h.block, firstPulse: h.firstPulse, pulseCount: h.slots,
                                     offsets: offsets, bits: bits, bases: bases, extra: extra)
        }
    }
}
