/// One frame of protocol version 1:
///
///     offset  size  field
///          0     4  magic "QKDW" (0x514B4457)
///          4     1  version (1)
///          5     1  message type
///          6     2  flags (bit 0: IGNORABLE — a receiver that does not know the type skips it;
///                   the other bits are reserved and must be 0)
///          8     8  session ID
///         16     8  sequence number (per direction, starting at 0, +1 per frame)
///         24     4  payload length L (≤ 16 MiB)
///         28     L  payload
///       28+L     8  Wegman–Carter tag over bytes [0, 28 + L)
///
/// All integers are big-endian.
public struct Frame: Sendable, Equatable {
    public static let magic: UInt32 = 0x514B_4457
    public static let version: UInt8 = 1
    public static let headerBytes = 28
    public static let tagBytes = 8
    public static let maximumPayload = 16 << 20
    public static let ignorableFlag: UInt16 = 1

    public var sessionID: UInt64
    public var sequence: UInt64
    public var flags: UInt16
    public var message: Message
    public var tag: UInt64

    public init(sessionID: UInt64, sequence: UInt64, flags: UInt16 = 0, message: Message, tag: UInt64 = 0) {
        self.sessionID = sessionID
        self.sequence = sequence
        self.flags = flags
        self.message = message
        self.tag = tag
    }

    /// The header and payload: the bytes the tag authenticates.
    public func authenticatedBytes() -> [UInt8] {
        var w = ByteWriter(capacity: Self.headerBytes + PayloadCodec.sizeHint(message) + Self.tagBytes)
        writeAuthenticatedBytes(into: &w)
        return w.bytes
    }

    /// Header, then the payload straight after it in the same buffer: a multi-megabyte sifting
    /// announcement is written once, not encoded, grown and copied again.
    private func writeAuthenticatedBytes(into w: inout ByteWriter) {
        Self.writeHeader(type: message.type, flags: flags, sessionID: sessionID, sequence: sequence, length: 0, into: &w)
        PayloadCodec.encode(message, into: &w)
        w.patchU32(UInt32(w.count - Self.headerBytes), at: Self.headerBytes - 4)
    }

    /// The 28-byte header, its payload length last.
    private static func writeHeader(type: UInt8, flags: UInt16, sessionID: UInt64, sequence: UInt64, length: Int, into w: inout ByteWriter) {
        w.u32(magic); w.u8(version); w.u8(type); w.u16(flags)
        w.u64(sessionID); w.u64(sequence); w.u32(UInt32(length))
    }

    /// A complete frame around a payload encoded beforehand (``EncodedPayload``): the same bytes
    /// as ``encoded(tagger:)`` of a frame carrying that message.
    public static func encoded(sessionID: UInt64, sequence: UInt64, flags: UInt16 = 0, payload: EncodedPayload,
                               tagger: ([UInt8]) throws -> UInt64) rethrows -> [UInt8] {
        var w = ByteWriter(capacity: headerBytes + payload.bytes.count + tagBytes)
        writeHeader(type: payload.type, flags: flags, sessionID: sessionID, sequence: sequence, length: payload.bytes.count, into: &w)
        w.raw(payload.bytes)
        w.u64(try tagger(w.bytes))
        return w.bytes
    }

    /// The complete frame; `tagger` computes the tag from the authenticated bytes (the node's
    /// Wegman–Carter authenticator), or the frame's own `tag` is used.
    public func encoded(tagger: (([UInt8]) throws -> UInt64)? = nil) rethrows -> [UInt8] {
        var w = ByteWriter(capacity: Self.headerBytes + PayloadCodec.sizeHint(message) + Self.tagBytes)
        writeAuthenticatedBytes(into: &w)
        let t = try tagger?(w.bytes) ?? tag
        w.u64(t)
        return w.bytes
    }
}

/// A message's payload, encoded ahead of its frame: the bulk of a large message (a sifting
/// announcement runs to a megabyte) can be encoded away from the thread that numbers, tags and
/// sends frames, which then only adds the header and the tag.
public struct EncodedPayload: Sendable {
    public let type: UInt8
    public let bytes: [UInt8]

    public init(_ message: Message) {
        var w = ByteWriter(capacity: PayloadCodec.sizeHint(message))
        PayloadCodec.encode(message, into: &w)
        type = message.type
        bytes = w.bytes
    }
}
