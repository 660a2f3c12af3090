/// The bytes a control direction's decoding holds between segments (``DirectionDecoding``): the
/// start of a frame cut by a segment's end, or bytes the buffered path must still judge. Up to
/// ``inlineCapacity`` bytes are stored in the value itself, beside the rest of the direction's
/// state; more go to an array on the heap. A capture of many interleaved connections holds a
/// cut frame in nearly every direction between its packets: kept inline, completing it reads
/// and writes memory the packet's direction has brought in already, where an array was a heap
/// header to load (a cache miss per packet), a uniqueness check and a call per append.
///
/// It behaves as the `[UInt8]` it replaces for the operations the decoder uses (count, append,
/// drop from the front, empty, read in place, copy out as a slice): where the bytes are kept is
/// invisible to the decoder.
struct HeldBytes {
    /// A frame of the reference protocol's usual messages (KEEPALIVE 44 bytes, PARAMETERS 83)
    /// fits with room to spare; sifting and Cascade messages (kilobytes) go to the heap.
    static let inlineCapacity = 128

    /// The number of bytes held.
    private(set) var count = 0
    /// True while the bytes are in `large` (more than fit inline were held at once); then
    /// `large.count == count`. Back to inline when emptied.
    private var spilled = false
    /// The heap storage; its capacity is kept once allocated (a direction that carried one large
    /// frame is likely to carry more).
    private var large: [UInt8] = []
    /// The inline storage: bytes 0..<count while not spilled.
    private var small: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    var isEmpty: Bool { count == 0 }

    /// Whether `n` more bytes can be appended without leaving the inline storage.
    func fitsInline(adding n: Int) -> Bool { !spilled && count + n <= Self.inlineCapacity }

    /// Runs `body` on the held bytes, in place. The pointer is valid only inside `body` (the
    /// storage is this value's own, reached through an `inout` access that lasts the call, or
    /// the array's, borrowed for the call).
    @inline(__always)
    mutating func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if spilled { return try large.withUnsafeBytes(body) }
        let n = count  // ≤ inlineCapacity, the size of `small`
        return try Swift.withUnsafeMutableBytes(of: &small) { try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[0..<n])) }
    }

    /// Appends `bytes` (a copy).
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        if fitsInline(adding: n) {
            let at = count
            // at + n ≤ inlineCapacity (checked above): the copy stays within `small`.
            Swift.withUnsafeMutableBytes(of: &small) { UnsafeMutableRawBufferPointer(rebasing: $0[at..<at + n]).copyMemory(from: bytes) }
            count += n
            return
        }
        if !spilled {
            // Move what is held inline to the heap, then go on there.
            large.removeAll(keepingCapacity: true)
            let held = count
            Swift.withUnsafeBytes(of: &small) { large.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<held])) }
            spilled = true
        }
        large.append(contentsOf: bytes)
        count += n
    }

    /// Drops the first `n` bytes (0 ≤ n ≤ count).
    mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "dropping more bytes than held")
        if spilled {
            large.removeFirst(n)
        } else if n > 0 {
            let left = count - n
            // Both ranges lie within 0..<count ≤ inlineCapacity; `copyMemory` allows the overlap.
            Swift.withUnsafeMutableBytes(of: &small) { b in
                if left > 0 { b.baseAddress!.copyMemory(from: b.baseAddress! + n, byteCount: left) }
            }
        }
        count -= n
    }

    /// Drops every byte (the heap storage's capacity is kept).
    mutating func removeAll() {
        if spilled {
            large.removeAll(keepingCapacity: true)
            spilled = false
        }
        count = 0
    }

    /// A copy of the bytes in `range` (within 0..<count) as a slice: of the heap storage itself
    /// when the bytes are there (its indices, as before), else of a new array. The decoder's
    /// buffered path hands it to ``FrameDecoder/decode(slice:)``; only the contents matter.
    mutating func slice(_ range: Range<Int>) -> ArraySlice<UInt8> {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "a slice beyond the held bytes")
        if spilled { return large[range] }
        return withUnsafeBytes { ArraySlice(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}

/// Where a direction's held bytes came from (``DirectionDecoding``): the (stream offset, packet)
/// of each chunk appended, oldest first, from the chunk that holds the first byte still held
/// (older ones are dropped as the bytes are consumed). A decode error names the packet that
/// carried its byte. Up to ``inlineCapacity`` chunks are stored in the value (a cut frame and
/// the segment that completes it are two), more on the heap.
///
/// It answers as the array and start index it replaces did: ``packet(at:)`` finds the latest
/// chunk at or before the offset among those kept, or, when there is none, the last chunk's
/// packet (0 with no chunk). A chunk from the same packet as the last one is not stored: the
/// held bytes are contiguous in the stream, so every offset from the last chunk on names that
/// packet either way, and the answers are the same.
struct HeldChunks {
    struct Chunk {
        var offset: Int64
        var packet: Int
    }

    static let inlineCapacity = 2

    /// Chunks in storage, and the index of the first one kept (0 ≤ first < count, or both 0).
    private var count = 0
    private var first = 0
    /// True while the chunks are in `large` (`large.count == count`).
    private var spilled = false
    private var large: [Chunk] = []
    private var small = (Chunk(offset: 0, packet: 0), Chunk(offset: 0, packet: 0))

    /// The chunk at storage index `i` (first ≤ i < count).
    @inline(__always)
    private mutating func chunk(_ i: Int) -> Chunk {
        if spilled { return large[i] }
        precondition(i >= 0 && i < count, "a chunk beyond those held")
        // i < count ≤ inlineCapacity: within `small`.
        return Swift.withUnsafeBytes(of: &small) { $0.load(fromByteOffset: i * MemoryLayout<Chunk>.stride, as: Chunk.self) }
    }

    /// Notes that the bytes appended next start at stream `offset` and came in `packet`.
    @inline(__always)
    mutating func append(offset: Int64, packet: Int) {
        if count > 0 && chunk(count - 1).packet == packet { return }  // the same answers without it (above)
        let c = Chunk(offset: offset, packet: packet)
        if !spilled {
            if count == Self.inlineCapacity && first > 0 {
                // Move the chunks kept to the front (those before `first` are never read again).
                let kept = count - first
                Swift.withUnsafeMutableBytes(of: &small) { b in
                    let stride = MemoryLayout<Chunk>.stride
                    b.baseAddress!.copyMemory(from: b.baseAddress! + first * stride, byteCount: kept * stride)
                }
                count = kept
                first = 0
            }
            if count < Self.inlineCapacity {
                let at = count
                // at < inlineCapacity: within `small`.
                Swift.withUnsafeMutableBytes(of: &small) { $0.storeBytes(of: c, toByteOffset: at * MemoryLayout<Chunk>.stride, as: Chunk.self) }
                count += 1
                return
            }
            // More chunks kept than fit inline: they go to the heap from here on.
            large.removeAll(keepingCapacity: true)
            for i in first..<count { large.append(chunk(i)) }
            count -= first
            first = 0
            spilled = true
        }
        if first > 64 {
            large.removeFirst(first)
            count -= first
            first = 0
        }
        large.append(c)
        count += 1
    }

    /// Forgets every chunk (the bytes they named are all consumed).
    mutating func removeAll() {
        if spilled {
            large.removeAll(keepingCapacity: true)
            spilled = false
        }
        count = 0
        first = 0
    }

    /// The held bytes now start at stream offset `offset`: the chunks wholly before it are dropped
    /// (the chunk that holds it stays).
    @inline(__always)
    mutating func consumed(upTo offset: Int64) {
        while first + 1 < count && chunk(first + 1).offset <= offset { first += 1 }
    }

    /// The packet that carried the byte at stream `offset` (among the bytes still held).
    mutating func packet(at offset: Int64) -> Int {
        guard count > 0 else { return 0 }
        var found = chunk(count - 1).packet
        var i = count - 1
        while i >= first {
            let c = chunk(i)
            if c.offset <= offset { found = c.packet; break }
            i -= 1
        }
        return found
    }
}
