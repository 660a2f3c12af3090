/// Decodes frames from a byte stream, strictly: the header is checked as soon as its 28 bytes
/// are in — magic, version, reserved flags and the payload limit — before any payload is
/// buffered, so a hostile length cannot make the decoder allocate.
public struct FrameDecoder: Sendable {
    private var buffer = StreamBuffer()
    /// Bytes consumed by complete frames so far (the stream offset of the next frame).
    public private(set) var streamOffset = 0

    public init() {}

    /// A decoded frame and its authenticated bytes (header and payload) for tag verification.
    public struct Decoded: Sendable, Equatable {
        public var frame: Frame
        public var authenticatedBytes: ArraySlice<UInt8>
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(bytes) }
    /// Contiguous bytes, appended with one copy (the generic entry is not specialised for
    /// callers in other modules).
    public mutating func append(_ bytes: ArraySlice<UInt8>) { buffer.append(contiguous: bytes) }
    public mutating func append(_ bytes: [UInt8]) { buffer.append(contiguous: bytes[...]) }

    /// Bytes waiting for the rest of their frame.
    public var pendingBytes: Int { buffer.count }

    /// The next complete frame, nil if more bytes are needed; throws on the first malformed byte
    /// (the stream cannot be resynchronised after that: the connection must close).
    public mutating func next() throws(WireError) -> Decoded? {
        guard let raw = try nextRaw() else { return nil }
        return try Self.decode(raw)
    }

    /// A complete frame whose header is checked but whose payload is not yet parsed: a receiver
    /// authenticates `authenticatedBytes` against `tag` first, and only then parses (``decode(_:)``),
    /// so no byte of an unauthenticated payload is interpreted.
    public struct RawFrame: Sendable {
        public var sessionID: UInt64
        public var sequence: UInt64
        public var type: UInt8
        public var tag: UInt64
        public var authenticatedBytes: ArraySlice<UInt8>
        fileprivate var frameBytes: ArraySlice<UInt8>
        fileprivate var header: Header

        /// The whole frame as it arrived: header, payload and tag.
        public var bytes: ArraySlice<UInt8> { frameBytes }
    }

    /// The next complete frame, header checked, payload unparsed; nil if more bytes are needed.
    public mutating func nextRaw() throws(WireError) -> RawFrame? {
        let available = buffer.count
        guard available >= Frame.headerBytes else {
            // Reject a bad magic or version as early as the bytes allow.
            if available >= 4 { try Self.checkMagic(buffer.prefix(4)) }
            return nil
        }
        let header = try Self.decodeHeader(buffer.prefix(Frame.headerBytes))
        let total = Frame.headerBytes + header.length + Frame.tagBytes
        guard available >= total else { return nil }
        let bytes = buffer.prefix(total)
        let tag = try ByteReader.reading(bytes.suffix(Frame.tagBytes), base: Frame.headerBytes + header.length) { (r) throws(WireError) in
            try r.u64()
        }
        buffer.consume(total)
        streamOffset += total
        return RawFrame(sessionID: header.sessionID, sequence: header.sequence, type: header.type, tag: tag,
                        authenticatedBytes: bytes.prefix(Frame.headerBytes + header.length), frameBytes: bytes, header: header)
    }

    /// Parses a raw frame's payload.
    public static func decode(_ raw: RawFrame) throws(WireError) -> Decoded {
        try decode(frame: raw.frameBytes, header: raw.header)
    }

    /// Decodes exactly one complete frame from `bytes` (no trailing bytes allowed).
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Decoded {
        try decode(slice: bytes[...])
    }

    /// Decodes exactly one complete frame from a slice of a larger buffer (no trailing bytes
    /// allowed), without copying it out: a reader of many frames in one buffer (a capture's
    /// reassembled stream) decodes each in place. The result's `authenticatedBytes` share the
    /// slice's storage and keep its indices (they start at `bytes.startIndex`, not 0); error
    /// offsets count from the slice's first byte.
    public static func decode(slice bytes: ArraySlice<UInt8>) throws(WireError) -> Decoded {
        guard bytes.count >= Frame.headerBytes else {
            if bytes.count >= 4 { try checkMagic(bytes.prefix(4)) }
            throw .truncated(offset: bytes.count, needed: Frame.headerBytes - bytes.count)
        }
        let header = try decodeHeader(bytes.prefix(Frame.headerBytes))
        let total = Frame.headerBytes + header.length + Frame.tagBytes
        guard bytes.count >= total else { throw .truncated(offset: bytes.count, needed: total - bytes.count) }
        guard bytes.count == total else { throw .trailingBytes(offset: total, count: bytes.count - total) }
        return try decode(frame: bytes, header: header)
    }

    struct Header {
        var type: UInt8
        var flags: UInt16
        var sessionID: UInt64
        var sequence: UInt64
        var length: Int
    }

    private static func checkMagic(_ bytes: ArraySlice<UInt8>) throws(WireError) {
        let magic = try ByteReader.reading(bytes) { (r) throws(WireError) in try r.u32() }
        guard magic == Frame.magic else { throw .badMagic(offset: 0, found: magic) }
    }

    /// The 28-byte header (`bytes` holds at least that many), checked in field order. Read with
    /// one bounds check and unaligned loads: every frame, decoded or only framed, passes here.
    private static func decodeHeader(_ bytes: ArraySlice<UInt8>) throws(WireError) -> Header {
        guard bytes.count >= Frame.headerBytes else {
            throw .truncated(offset: bytes.count, needed: Frame.headerBytes - bytes.count)
        }
        let (magic, version, header) = bytes.withUnsafeBytes { headerFields($0) }
        guard magic == Frame.magic else { throw .badMagic(offset: 0, found: magic) }
        guard version == Frame.version else { throw .unsupportedVersion(offset: 4, version: version) }
        guard header.flags & ~Frame.ignorableFlag == 0 else {
            throw .invalidField(offset: 6, field: "flags", reason: .reservedFlags(header.flags))
        }
        guard header.length <= Frame.maximumPayload else {
            throw .frameTooLong(offset: 24, length: header.length, limit: Frame.maximumPayload)
        }
        return header
    }

    /// The header's fields as they stand, unchecked (`raw` holds at least 28 bytes): the checks
    /// are the caller's (``decodeHeader(_:)``, ``decodeFrame(borrowing:)``). Four unaligned loads
    /// — magic, version, type and flags share the first eight bytes — rather than one per field:
    /// every frame passes here, and in the fuzz build each load is a sanitizer check and a
    /// coverage block that libFuzzer accounts for after every input.
    @inline(__always)
    static func headerFields(_ raw: UnsafeRawBufferPointer) -> (magic: UInt32, version: UInt8, header: Header) {
        let lead = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))  // magic 4, version 1, type 1, flags 2
        return (UInt32(truncatingIfNeeded: lead >> 32), UInt8(truncatingIfNeeded: lead >> 24),
                Header(type: UInt8(truncatingIfNeeded: lead >> 16), flags: UInt16(truncatingIfNeeded: lead),
                       sessionID: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                       sequence: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                       length: Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self)))))
    }

    private static func decode(frame bytes: ArraySlice<UInt8>, header: Header) throws(WireError) -> Decoded {
        let payloadStart = bytes.startIndex + Frame.headerBytes
        let payloadEnd = payloadStart + header.length
        let message: Message
        if let type = MessageType(rawValue: header.type) {
            message = try ByteReader.reading(bytes[payloadStart..<payloadEnd], base: Frame.headerBytes) { (r) throws(WireError) in
                try PayloadCodec.decode(type: type, &r)
            }
        } else if header.flags & Frame.ignorableFlag != 0 {
            message = .ignored(type: header.type, payload: Array(bytes[payloadStart..<payloadEnd]))
        } else {
            throw .unknownMessageType(offset: 5, type: header.type)
        }
        // The tag read in place (no slice of its own to retain and release: every frame passes
        // here), with the same bounds check and error a reader over the last eight bytes gives.
        let tagAt = payloadEnd - bytes.startIndex
        guard bytes.count - tagAt >= Frame.tagBytes else {
            throw .truncated(offset: Frame.headerBytes + header.length, needed: Frame.tagBytes - (bytes.count - tagAt))
        }
        let tag = bytes.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: tagAt, as: UInt64.self)) }
        let frame = Frame(sessionID: header.sessionID, sequence: header.sequence, flags: header.flags, message: message, tag: tag)
        return Decoded(frame: frame, authenticatedBytes: bytes[bytes.startIndex..<payloadEnd])
    }
}

extension FrameDecoder {
    /// Whether a frame survives encode → decode unchanged (compared as bytes, so NaN fields in
    /// parameters compare equal to themselves). The fuzzers' oracle.
    public static func decodeRoundTrips(_ frame: Frame) -> Bool {
        let bytes = frame.encoded()
        guard let again = try? decode(bytes) else { return false }
        return again.frame.encoded() == bytes
    }
}
