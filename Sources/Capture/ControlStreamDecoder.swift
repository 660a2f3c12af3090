import TargetFiles
import Wire

/// A decode error in a reassembled stream: where it is in the capture and in the stream.
package struct StreamDecodeError: Sendable, Codable, Equatable {
    package var flow: Int
    /// "alice", "bob", or the sending endpoint when the role is not known.
    package var direction: String
    package var packet: Int
    package var streamOffset: Int64
    package var message: String
}

/// What one direction of a connection carries, once its first bytes are seen.
package enum StreamKind: String, Sendable, Codable {
    case unknown, control, quantumLayer = "qli", other
    /// A protocol qkdspec does not know, cut into messages by a declared framing (`--target`).
    case opaque
}

/// Where a direction's decoding state (``DirectionDecoding``) sends what it finds: a value
/// changed in place (`inout`), so the analyzer's tallies take each frame without a class access.
/// `flow` and `side` name the direction.
protocol DecodedFrameSink {
    /// Whether frames must come with their authenticated bytes (``frame(_:flow:side:packet:time:offset:)``,
    /// for tag verification); when false they may come as ``frame(_:length:flow:side:packet:time:offset:)``,
    /// decoded in place without a slice of the stream.
    var needsAuthenticatedBytes: Bool { get }
    /// `tally`: the direction's part of the tallies (``DirectionTally``), kept in its state.
    mutating func frame(_ decoded: FrameDecoder.Decoded, flow: Int, side: Int, packet: Int, time: Double, offset: Int64, tally: inout DirectionTally)
    /// A frame decoded in place; `length` is its size in bytes, tag included, and `type` the type
    /// byte of its header (the type of its message).
    mutating func frame(_ frame: Frame, length: Int, type: UInt8, flow: Int, side: Int, packet: Int, time: Double, offset: Int64,
                        tally: inout DirectionTally)
    /// The direction has ended: what its tally holds is added to the totals.
    mutating func directionEnded(_ tally: inout DirectionTally)
    mutating func quantumLayerBlock(_ block: QuantumLayerBlock, flow: Int, side: Int, packet: Int)
    mutating func decodeError(flow: Int, side: Int, packet: Int, streamOffset: Int64, message: String)
    /// A frame boundary found after `skipped` bytes that could not be placed.
    mutating func resynchronised(flow: Int, side: Int, at offset: Int64, skipped: Int64, packet: Int)
    /// A whole message of an opaque direction, `offset` its first byte's stream offset.
    mutating func opaqueMessage(_ message: [UInt8], flow: Int, side: Int, packet: Int, time: Double, offset: Int64)
}

/// One reassembled direction turned into reference-protocol frames (Wire's ``FrameDecoder`` does
/// all the decoding), quantum-layer blocks when the stream starts with the QLI magic, or opaque
/// messages of a declared framing. After a gap, a decode error or a mid-stream start, a control
/// stream is scanned for the next plausible frame header (``FrameBoundary``) instead of being
/// given up. A capture's flow holds its two directions' states as values and hands what they
/// find to a ``DecodedFrameSink``.
struct DirectionDecoding {
    // What a frame in place reads and writes comes first, on the value's first cache lines (with
    // hundreds of directions interleaved, each line is a cache miss per packet).
    var kind: StreamKind = .unknown
    private var scanning: Bool
    private var dead = false
    var frames = 0
    private var start = 0
    /// Stream offset of buffer[start].
    private var bufferOffset: Int64 = 0
    /// The direction's part of the tallies (its role, its session's counts not yet handed over).
    var tally = DirectionTally()
    let flow: Int
    let side: Int
    /// (stream offset, packet) of each chunk still in the buffer, to name the packet of a byte.
    private var chunks = HeldChunks()
    /// The bytes held (consumed ones before `start`), inline in this value while they are few.
    private var buffer = HeldBytes()
    var blocks = 0
    var skippedBytes: Int64 = 0
    private var qli = QuantumLayerDecoder()
    private var qliOffset: Int64 = 0
    /// The declared framing of an opaque protocol, and the direction's messages once it is one.
    private let framing: MessageFraming?
    private var opaque: OpaqueMessageStream?

    init(flow: Int, side: Int, scanning: Bool, framing: MessageFraming?) {
        self.flow = flow
        self.side = side
        self.scanning = scanning
        self.framing = framing
    }

    mutating func startMidStream() { if bufferOffset == 0 && buffer.isEmpty { scanning = true } }

    mutating func consume(_ bytes: UnsafeRawBufferPointer, at offset: Int64, packet: Int, time: Double,
                          into sink: inout some DecodedFrameSink) {
        guard !dead else { return }
        if kind == .unknown && !scanning && buffer.count - start + bytes.count >= 4 {
            var head = Array(buffer.slice(start..<buffer.count)); head += bytes.prefix(4)
            let magic = UInt32(head[0]) << 24 | UInt32(head[1]) << 16 | UInt32(head[2]) << 8 | UInt32(head[3])
            kind = magic == QuantumLayerBlock.magic ? .quantumLayer : .control
            if let framing, magic != Frame.magic && magic != QuantumLayerBlock.magic {
                // Neither protocol qkdspec knows, and the target declares its framing: the bytes
                // held so far are the first of its first message.
                kind = .opaque
                opaque = OpaqueMessageStream(framing: framing)
                head.removeLast(min(4, bytes.count))
                feedOpaque(head, packet: packet, time: time, into: &sink)
                buffer.removeAll()
                start = 0
            }
        }
        if kind == .quantumLayer { feedQuantumLayer(bytes, packet: packet, into: &sink); return }
        if kind == .opaque {
            feedOpaque(Array(bytes), packet: packet, time: time, into: &sink)
            return
        }
        if kind == .control && !scanning && !sink.needsAuthenticatedBytes {
            consumeInPlace(bytes, at: offset, packet: packet, time: time, into: &sink)
            return
        }
        hold(bytes, at: offset, packet: packet)
        extract(packet: packet, time: time, into: &sink)
    }

    /// Appends delivered bytes to the buffer (and notes the packet they came in).
    private mutating func hold(_ bytes: UnsafeRawBufferPointer, at offset: Int64, packet: Int) {
        guard bytes.count > 0 else { return }
        // Consumed bytes are dropped once they are half the buffer, or when the new bytes would
        // not fit inline otherwise (invisible to the decoder: it reads from `start`).
        if start > 0 && (start >= buffer.count / 2 || !buffer.fitsInline(adding: bytes.count)) {
            buffer.removeFirst(start)
            start = 0
        }
        chunks.append(offset: offset, packet: packet)
        buffer.append(bytes)
    }

    /// The same decoding as ``hold(_:at:packet:)`` then ``extract(packet:time:into:)``, with the
    /// same frames, errors and offsets, but the frames that lie whole in `bytes` are decoded
    /// where they lie (``FrameDecoder/decodeFrame(borrowing:)``): only a frame cut by a segment
    /// boundary is copied into the buffer, as far as it goes. Anything unusual (a header that is
    /// not plausible, a frame that does not decode) is left to `extract` on the buffer, which
    /// reports it as it always did.
    private mutating func consumeInPlace(_ bytes: UnsafeRawBufferPointer, at offset: Int64, packet: Int, time: Double,
                                         into sink: inout some DecodedFrameSink) {
        var rest = bytes
        var at = offset
        // A frame begun in an earlier segment: complete it from the front of this one.
        while start < buffer.count {
            let held = buffer.count - start
            let wanted: Int
            if held < Frame.headerBytes {
                wanted = Frame.headerBytes - held
            } else {
                let s = start
                let size = buffer.withUnsafeBytes {
                    FrameBoundary.plausibleFrameSize(UnsafeRawBufferPointer(rebasing: $0[s..<s + Frame.headerBytes]))
                }
                // Not a header: `extract` reports it and scans on, over everything that is left.
                guard let size else { break }
                wanted = size - held
            }
            // `extract` leaves only an incomplete frame held (wanted > 0); should that ever not
            // hold, the buffered path takes over rather than a negative range.
            guard wanted > 0 else { break }
            let taken = min(wanted, rest.count)
            hold(UnsafeRawBufferPointer(rebasing: rest[0..<taken]), at: at, packet: packet)
            rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            at += Int64(taken)
            if taken < wanted { return }  // all of this segment went to the held frame
            if held >= Frame.headerBytes {
                // The frame is complete and alone in the buffer: decoded there in place; one that
                // does not decode is reported by `extract`, as before.
                let total = held + taken
                let s = start
                let (frame, type) = buffer.withUnsafeBytes { b in
                    // [s, s + total) is the held frame (total = held + taken = buffer.count − s);
                    // its type byte lies within the header held (held ≥ 28).
                    (try? FrameDecoder.decodeFrame(borrowing: UnsafeRawBufferPointer(rebasing: b[s..<s + total])), b[s + 5])
                }
                guard let frame else {
                    extract(packet: packet, time: time, into: &sink)
                    if scanning { break } else { continue }
                }
                frames += 1
                let frameOffset = bufferOffset
                consumeBuffered(total)
                sink.frame(frame, length: total, type: type, flow: flow, side: side, packet: packet, time: time, offset: frameOffset, tally: &tally)
            }
        }
        if start == buffer.count && !scanning {
            // Nothing held: forget the consumed bytes and their packets.
            buffer.removeAll()
            start = 0
            chunks.removeAll()
            // Frames that lie whole in the rest of the segment, decoded in place. bufferOffset is
            // the stream offset of `rest`'s first byte (everything before it is consumed).
            while rest.count >= Frame.headerBytes {
                guard let total = FrameBoundary.plausibleFrameSize(UnsafeRawBufferPointer(rebasing: rest[0..<Frame.headerBytes])),
                      rest.count >= total
                else { break }
                // On an error the frame is left to `extract`, which reports it from the buffer.
                guard let frame = try? FrameDecoder.decodeFrame(borrowing: UnsafeRawBufferPointer(rebasing: rest[0..<total])) else { break }
                frames += 1
                let frameOffset = bufferOffset
                let type = rest[5]  // within the frame's header (rest.count ≥ total > 28)
                bufferOffset += Int64(total)
                rest = UnsafeRawBufferPointer(rebasing: rest[total...])
                at += Int64(total)
                sink.frame(frame, length: total, type: type, flow: flow, side: side, packet: packet, time: time, offset: frameOffset, tally: &tally)
            }
        }
        // What is left (the start of a frame cut by the segment's end, or bytes `extract` must
        // judge) is held, and `extract` goes on from there as it would have.
        hold(rest, at: at, packet: packet)
        extract(packet: packet, time: time, into: &sink)
    }

    mutating func gap(at offset: Int64, length: Int64) {
        guard !dead, kind != .quantumLayer, kind != .opaque else {
            // A QLI stream or an opaque one cannot be picked up again after a hole: no marker says
            // where its next unit starts.
            if kind == .quantumLayer || kind == .opaque { dead = true }
            return
        }
        // What was waiting for the rest of its frame will never be completed.
        skippedBytes += Int64(buffer.count - start)
        buffer.removeAll()
        start = 0
        chunks.removeAll()
        bufferOffset = offset + length
        scanning = true
    }

    private mutating func consumeBuffered(_ n: Int) {
        start += n
        bufferOffset += Int64(n)
        chunks.consumed(upTo: bufferOffset)
    }

    private mutating func extract(packet: Int, time: Double, into sink: inout some DecodedFrameSink) {
        while true {
            let available = buffer.count - start
            if scanning {
                let s = start
                guard let skip = buffer.withUnsafeBytes({ FrameBoundary.find(in: UnsafeRawBufferPointer(rebasing: $0[s...])) }) else {
                    // Keep the last 27 bytes: a header may straddle the next chunk.
                    let drop = max(0, available - (Frame.headerBytes - 1))
                    skippedBytes += Int64(drop)
                    consumeBuffered(drop)
                    return
                }
                if skip > 0 || bufferOffset > 0 || frames > 0 {
                    sink.resynchronised(flow: flow, side: side, at: bufferOffset + Int64(skip), skipped: Int64(skip), packet: packet)
                }
                skippedBytes += Int64(skip)
                consumeBuffered(skip)
                scanning = false
                kind = .control
                continue
            }
            guard available >= Frame.headerBytes else { return }
            let s = start
            let header = buffer.withUnsafeBytes { b in
                let h = UnsafeRawBufferPointer(rebasing: b[s..<s + Frame.headerBytes])
                return (plausible: FrameBoundary.plausibleHeader(h), length: Int(PacketDissector.be32(h, 24)))
            }
            let length = header.length
            if !header.plausible {
                // Let Wire say what is wrong with the header, then look for the next frame.
                var message = "not a frame header"
                do { _ = try FrameDecoder.decode(slice: buffer.slice(start..<start + Frame.headerBytes)) } catch {
                    message = error.description
                    report(message, at: bufferOffset + Int64(error.offset), into: &sink)
                }
                if message == "not a frame header" { report(message, at: bufferOffset, into: &sink) }
                consumeBuffered(1)
                scanning = true
                continue
            }
            let total = Frame.headerBytes + length + Frame.tagBytes
            guard available >= total else { return }
            let frameOffset = bufferOffset
            do {
                // A slice of the buffer's heap storage, or a copy of the few bytes held inline.
                let decoded = try FrameDecoder.decode(slice: buffer.slice(start..<start + total))
                frames += 1
                consumeBuffered(total)
                sink.frame(decoded, flow: flow, side: side, packet: packet, time: time, offset: frameOffset, tally: &tally)
            } catch {
                report(error.description, at: frameOffset + Int64(error.offset), into: &sink)
                consumeBuffered(total)  // the header held: the next frame starts after this one
            }
        }
    }

    private mutating func report(_ message: String, at offset: Int64, into sink: inout some DecodedFrameSink) {
        sink.decodeError(flow: flow, side: side, packet: chunks.packet(at: offset), streamOffset: offset, message: message)
    }

    private mutating func feedOpaque(_ bytes: [UInt8], packet: Int, time: Double, into sink: inout some DecodedFrameSink) {
        guard !bytes.isEmpty, opaque != nil else { return }
        var counted = 0
        let flow = self.flow, side = self.side
        let problem = opaque?.feed(bytes) { message, at in
            counted += 1
            sink.opaqueMessage(message, flow: flow, side: side, packet: packet, time: time, offset: at)
        }
        frames += counted
        if let problem {
            dead = true
            sink.decodeError(flow: flow, side: side, packet: packet, streamOffset: problem.offset,
                             message: "not a message of the declared framing: \(problem.problem.reason)")
        }
    }

    private mutating func feedQuantumLayer(_ bytes: UnsafeRawBufferPointer, packet: Int, into sink: inout some DecodedFrameSink) {
        qli.append(bytes)
        while true {
            let before = qli.pendingBytes
            do {
                guard let block = try qli.next() else { return }
                qliOffset += Int64(before - qli.pendingBytes)
                blocks += 1
                sink.quantumLayerBlock(block, flow: flow, side: side, packet: packet)
            } catch {
                sink.decodeError(flow: flow, side: side, packet: packet, streamOffset: qliOffset + Int64(error.offset),
                                 message: "QLI: \(error.description)")
                dead = true
                return
            }
        }
    }
}

/// Where a frame may start in bytes that are not known to be aligned on frames: the magic
/// "QKDW", version 1, no reserved flag bits, a payload length within the limit, and a type the
/// protocol knows (or one marked IGNORABLE).
package enum FrameBoundary {
    package static func plausibleHeader(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= Frame.headerBytes else { return false }
        guard PacketDissector.be32(b, 0) == Frame.magic, b[4] == Frame.version else { return false }
        let flags = PacketDissector.be16(b, 6)
        guard flags & ~Frame.ignorableFlag == 0 else { return false }
        guard Int(PacketDissector.be32(b, 24)) <= Frame.maximumPayload else { return false }
        return isKnownType(b[5]) || flags & Frame.ignorableFlag != 0
    }

    /// Whether `t` is a message type of the protocol (`MessageType(rawValue: t) != nil`), as two
    /// words of bits: every frame's header passes here, and the initialiser is a call and a switch
    /// (a set made once from the catalogue would cost a lazy-initialisation check per call). The
    /// catalogue's types are all below 128; debug builds check the answer against it.
    @inline(__always) private static func isKnownType(_ t: UInt8) -> Bool {
        // 0x01 0x02 0x03 0x10 0x11 0x20 0x21 0x30 0x31 | 0x40 0x41 0x50 0x51 0x52 0x60 0x61 0x70 0x71
        let low: UInt64 = 1 << 0x01 | 1 << 0x02 | 1 << 0x03 | 1 << 0x10 | 1 << 0x11 | 1 << 0x20 | 1 << 0x21 | 1 << 0x30 | 1 << 0x31
        let high: UInt64 = 1 << (0x40 - 64) | 1 << (0x41 - 64) | 1 << (0x50 - 64) | 1 << (0x51 - 64) | 1 << (0x52 - 64)
            | 1 << (0x60 - 64) | 1 << (0x61 - 64) | 1 << (0x70 - 64) | 1 << (0x71 - 64)
        let known = t < 64 ? low >> UInt64(t) & 1 != 0 : t < 128 ? high >> UInt64(t - 64) & 1 != 0 : false
        assert(known == (MessageType(rawValue: t) != nil), "the set of known types differs from the catalogue")
        return known
    }

    /// The whole frame's size in bytes (header, payload and tag) when `b` starts with a plausible
    /// header, nil otherwise.
    package static func plausibleFrameSize(_ b: UnsafeRawBufferPointer) -> Int? {
        plausibleHeader(b) ? Frame.headerBytes + Int(PacketDissector.be32(b, 24)) + Frame.tagBytes : nil
    }

    /// The index of the first plausible header in `b`, nil if none (more bytes may be needed).
    package static func find(in b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= Frame.headerBytes else { return nil }
        var i = 0
        let last = b.count - Frame.headerBytes
        while i <= last {
            if b[i] == 0x51 && b[i + 1] == 0x4b && b[i + 2] == 0x44 && b[i + 3] == 0x57,
               plausibleHeader(UnsafeRawBufferPointer(rebasing: b[i...])) {
                return i
            }
            i += 1
        }
        return nil
    }
}
