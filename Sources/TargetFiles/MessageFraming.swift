import Foundation

/// How an opaque control protocol cuts its byte stream into messages, as a target file declares
/// it (`framing`, docs/targets.md): where each message's length field is, its size and byte
/// order, and what it counts. With it the proxy's faults, the replay and tamper cases and the
/// network fuzzer work on the messages of a protocol qkdspec cannot decode; without it they
/// work on the byte chunks as they arrive.
package struct MessageFraming: Sendable, Codable, Equatable {
    /// What a length field's value counts.
    package enum Counts: String, Sendable, Codable, CaseIterable {
        /// The whole message, the bytes before the field and the field itself included.
        case message
        /// The bytes after the length field (to which `extra_bytes` adds any trailer it leaves out).
        case rest
    }

    package enum ByteOrder: String, Sendable, Codable, CaseIterable {
        case big, little
    }

    /// Offset of the length field from the start of the message.
    package var lengthOffset: Int
    /// Size of the length field: 1, 2, 4 or 8 bytes.
    package var lengthSize: Int
    package var byteOrder: ByteOrder
    package var counts: Counts
    /// Bytes the length does not count, added to it (e.g. a trailing tag): may be negative for a
    /// length that counts more than the message (a length that includes its own field under `rest`).
    package var extraBytes: Int
    /// The message's authentication tag, its last `tagBytes` bytes (0: none declared). The tag
    /// cases flip bits in it; without it they are not judged.
    package var tagBytes: Int
    /// The largest message the stack sends, in bytes; a length announcing more means the stream
    /// is not framed as declared (the harness then falls back to chunks and says so).
    package var maxMessageBytes: Int

    package init(lengthOffset: Int, lengthSize: Int, byteOrder: ByteOrder = .big, counts: Counts, extraBytes: Int = 0, tagBytes: Int = 0,
                 maxMessageBytes: Int = 1 << 24) {
        self.lengthOffset = lengthOffset
        self.lengthSize = lengthSize
        self.byteOrder = byteOrder
        self.counts = counts
        self.extraBytes = extraBytes
        self.tagBytes = tagBytes
        self.maxMessageBytes = maxMessageBytes
    }

    enum CodingKeys: String, CodingKey {
        case lengthOffset = "length_offset", lengthSize = "length_size", byteOrder = "byte_order", counts
        case extraBytes = "extra_bytes", tagBytes = "tag_bytes", maxMessageBytes = "max_message_bytes"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lengthOffset = try c.decode(Int.self, forKey: .lengthOffset)
        lengthSize = try c.decode(Int.self, forKey: .lengthSize)
        byteOrder = try c.decodeIfPresent(ByteOrder.self, forKey: .byteOrder) ?? .big
        counts = try c.decode(Counts.self, forKey: .counts)
        extraBytes = try c.decodeIfPresent(Int.self, forKey: .extraBytes) ?? 0
        tagBytes = try c.decodeIfPresent(Int.self, forKey: .tagBytes) ?? 0
        maxMessageBytes = try c.decodeIfPresent(Int.self, forKey: .maxMessageBytes) ?? 1 << 24
    }

    /// The fields of a target file's `framing` object.
    package static let fields: Set<String> = ["length_offset", "length_size", "byte_order", "counts", "extra_bytes", "tag_bytes",
                                              "max_message_bytes"]

    /// The qkdspec-wire/1 framing, as a target would declare it (docs/protocol.md: a 28-byte
    /// header whose last four bytes are the payload length, big-endian, then the payload and an
    /// 8-byte tag): the length counts the bytes after it, less the tag.
    package static let referenceWire = MessageFraming(lengthOffset: 24, lengthSize: 4, counts: .rest, extraBytes: 8, tagBytes: 8)

    /// The smallest message: the length field must fit in it.
    package var headerBytes: Int { lengthOffset + lengthSize }

    /// The checks decoding cannot make; the message names the field.
    package func check() throws {
        guard (0...4096).contains(lengthOffset) else { throw HarnessError("target file: framing.length_offset must lie in 0 ... 4096") }
        guard [1, 2, 4, 8].contains(lengthSize) else { throw HarnessError("target file: framing.length_size must be 1, 2, 4 or 8 (bytes)") }
        guard (-4096...4096).contains(extraBytes) else { throw HarnessError("target file: framing.extra_bytes must lie in -4096 ... 4096") }
        guard (1...(1 << 30)).contains(maxMessageBytes), maxMessageBytes >= headerBytes else {
            throw HarnessError("target file: framing.max_message_bytes must lie in \(headerBytes) ... 2^30 (it bounds what a length field may announce)")
        }
        guard (0...64).contains(tagBytes), tagBytes < maxMessageBytes else { throw HarnessError("target file: framing.tag_bytes must lie in 0 ... 64") }
    }

    /// The size of the message whose first bytes are `header` (at least ``headerBytes`` of
    /// them), or why the bytes are not a message of this framing.
    package func messageSize(header: some Collection<UInt8>) -> Result<Int, FramingProblem> {
        let field = header.dropFirst(lengthOffset).prefix(lengthSize)
        guard field.count == lengthSize else { return .failure(FramingProblem(reason: "fewer than \(headerBytes) bytes")) }
        // Big-endian: most significant byte first. Eight bytes whose value passes 2^62 are refused
        // before they overflow.
        var value: UInt64 = 0
        for byte in byteOrder == .big ? Array(field) : field.reversed() {
            guard value >> 56 == 0 else { return .failure(FramingProblem(reason: "a length field beyond 2^56")) }
            value = value << 8 | UInt64(byte)
        }
        // Checked before the arithmetic: a value this large could only overflow it.
        guard value <= UInt64(maxMessageBytes) + 4096 else {
            return .failure(FramingProblem(reason: "a length of \(value), over max_message_bytes (\(maxMessageBytes))"))
        }
        let size = (counts == .message ? Int(value) : headerBytes + Int(value)) + extraBytes
        guard size >= headerBytes else {
            return .failure(FramingProblem(reason: "a length of \(value) makes a message of \(size) bytes, shorter than its own length field"))
        }
        guard size <= maxMessageBytes else {
            return .failure(FramingProblem(reason: "a length of \(value) makes a message of \(size) bytes, over max_message_bytes (\(maxMessageBytes))"))
        }
        return .success(size)
    }
}

/// Why bytes are not a message of a declared framing.
package struct FramingProblem: Error, Sendable, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}

/// Cuts one direction's byte stream into messages of a declared ``MessageFraming``. Bytes are
/// appended as they arrive; whole messages come out in order. Memory is bounded by the framing's
/// `max_message_bytes`: a length announcing more is a ``FramingProblem``, never an allocation.
package struct MessageSplitter: Sendable {
    package let framing: MessageFraming
    private var pending: [UInt8] = []
    private var start = 0

    package init(framing: MessageFraming) { self.framing = framing }

    /// Bytes received and not yet part of a whole message.
    package var pendingBytes: [UInt8] { Array(pending[start...]) }

    package mutating func append(_ bytes: [UInt8]) {
        if start > 0 && start >= pending.count / 2 {
            pending.removeFirst(start)
            start = 0
        }
        pending += bytes
    }

    /// The next whole message, nil while it is incomplete; a ``FramingProblem`` when the bytes
    /// at the head of the stream are not a message of the framing.
    package mutating func next() throws(FramingProblem) -> [UInt8]? {
        let available = pending.count - start
        guard available >= framing.headerBytes else { return nil }
        let size: Int
        switch framing.messageSize(header: pending[start..<(start + framing.headerBytes)]) {
        case .success(let s): size = s
        case .failure(let problem): throw problem
        }
        guard available >= size else { return nil }
        let message = Array(pending[start..<(start + size)])
        start += size
        return message
    }
}
