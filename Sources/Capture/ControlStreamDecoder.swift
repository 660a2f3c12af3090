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
}

/// Receives what a ``ControlStreamDecoder`` finds.
package protocol ControlStreamObserver: AnyObject {
    /// A complete frame; `packet` is the packet that completed it, `offset` its first byte's stream offset.
    func frame(_ decoded: FrameDecoder.Decoded, from decoder: ControlStreamDecoder, packet: Int, time: Double, offset: Int64)
    func quantumLayerBlock(_ block: QuantumLayerBlock, from decoder: ControlStreamDecoder, packet: Int)
    func decodeError(_ error: StreamDecodeError)
    /// The decoder found a frame boundary after `skipped` bytes it could not place (mid-session start, gap, error).
    func resynchronised(_ decoder: ControlStreamDecoder, at offset: Int64, skipped: Int64, packet: Int)
}

/// Turns one reassembled direction into reference-protocol frames (Wire's ``FrameDecoder`` does
/// all the decoding), or quantum-layer blocks when the stream starts with the QLI magic. After a
/// gap, a decode error or a mid-stream start, it scans for the next plausible frame header
/// (``FrameBoundary``) instead of giving the stream up.
package final class ControlStreamDecoder: ReassembledStreamConsumer {
    package let flow: Int
    /// 0: the connection's first sender (client), 1: the other.
    package let side: Int
    /// Set by whoever knows the roles (HELLO, or a message only one role sends).
    package var role: Role?
    package var directionLabel: String
    package private(set) var kind: StreamKind = .unknown
    package private(set) var frames = 0
    package private(set) var blocks = 0
    package private(set) var skippedBytes: Int64 = 0
    private unowned let observer: any ControlStreamObserver
    private var buffer: [UInt8] = []
    private var start = 0
    /// Stream offset of buffer[start].
    private var bufferOffset: Int64 = 0
    private var scanning: Bool
    /// (stream offset, packet) of each chunk still in the buffer, to name the packet of a byte.
    private var chunks: [(offset: Int64, packet: Int)] = []
    private var chunkStart = 0
    private var qli = QuantumLayerDecoder()
    private var qliOffset: Int64 = 0
    private var dead = false

    /// `midStream`: the capture missed the start, so the first frame boundary must be found.
    package init(flow: Int, side: Int, label: String, midStream: Bool, observer: any ControlStreamObserver) {
        self.flow = flow
        self.side = side
        self.directionLabel = label
        self.scanning = midStream
        self.observer = observer
    }

    package var label: String { role.map { $0 == .alice ? "alice" : "bob" } ?? directionLabel }

    /// Called before the first byte when the reassembler turns out not to have seen the SYN.
    package func startMidStream() { if bufferOffset == 0 && buffer.isEmpty { scanning = true } }

    package func consume(_ bytes: UnsafeRawBufferPointer, at offset: Int64, packet: Int, time: Double) {
        guard !dead else { return }
        if kind == .unknown && !scanning && buffer.count - start + bytes.count >= 4 {
            var head = Array(buffer[start...]); head += bytes.prefix(4)
            let magic = UInt32(head[0]) << 24 | UInt32(head[1]) << 16 | UInt32(head[2]) << 8 | UInt32(head[3])
            kind = magic == QuantumLayerBlock.magic ? .quantumLayer : .control
        }
        if kind == .quantumLayer { feedQuantumLayer(bytes, packet: packet); return }
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        if chunkStart > 64 { chunks.removeFirst(chunkStart); chunkStart = 0 }
        chunks.append((offset, packet))
        buffer.append(contentsOf: bytes)
        extract(packet: packet, time: time)
    }

    package func gap(at offset: Int64, length: Int64) {
        guard !dead, kind != .quantumLayer else {
            if kind == .quantumLayer { dead = true }
            return
        }
        // What was waiting for the rest of its frame will never be completed.
        skippedBytes += Int64(buffer.count - start)
        buffer.removeAll(keepingCapacity: true)
        start = 0
        chunks.removeAll(keepingCapacity: true)
        chunkStart = 0
        bufferOffset = offset + length
        scanning = true
    }

    /// The packet that carried the byte at stream `offset` (among the bytes still buffered).
    private func packet(at offset: Int64) -> Int {
        var found = chunks.last?.packet ?? 0
        var i = chunks.count - 1
        while i >= chunkStart {
            if chunks[i].offset <= offset { found = chunks[i].packet; break }
            i -= 1
        }
        return found
    }

    private func consumeBuffered(_ n: Int) {
        start += n
        bufferOffset += Int64(n)
        while chunkStart + 1 < chunks.count && chunks[chunkStart + 1].offset <= bufferOffset { chunkStart += 1 }
    }

    private func extract(packet: Int, time: Double) {
        while true {
            let available = buffer.count - start
            if scanning {
                guard let skip = buffer.withUnsafeBytes({ FrameBoundary.find(in: UnsafeRawBufferPointer(rebasing: $0[start...])) }) else {
                    // Keep the last 27 bytes: a header may straddle the next chunk.
                    let drop = max(0, available - (Frame.headerBytes - 1))
                    skippedBytes += Int64(drop)
                    consumeBuffered(drop)
                    return
                }
                if skip > 0 || bufferOffset > 0 || frames > 0 {
                    observer.resynchronised(self, at: bufferOffset + Int64(skip), skipped: Int64(skip), packet: packet)
                }
                skippedBytes += Int64(skip)
                consumeBuffered(skip)
                scanning = false
                kind = .control
                continue
            }
            guard available >= Frame.headerBytes else { return }
            let length = buffer.withUnsafeBytes { b -> Int in
                Int(PacketDissector.be32(UnsafeRawBufferPointer(rebasing: b[start...]), 24))
            }
            let headerOK = buffer.withUnsafeBytes { FrameBoundary.plausibleHeader(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            if !headerOK {
                // Let Wire say what is wrong with the header, then look for the next frame.
                var message = "not a frame header"
                do { _ = try FrameDecoder.decode(Array(buffer[start..<start + Frame.headerBytes])) } catch {
                    message = error.description
                    report(message, at: bufferOffset + Int64(error.offset))
                }
                if message == "not a frame header" { report(message, at: bufferOffset) }
                consumeBuffered(1)
                scanning = true
                continue
            }
            let total = Frame.headerBytes + length + Frame.tagBytes
            guard available >= total else { return }
            let frameOffset = bufferOffset
            do {
                let decoded = try FrameDecoder.decode(Array(buffer[start..<start + total]))
                frames += 1
                consumeBuffered(total)
                observer.frame(decoded, from: self, packet: packet, time: time, offset: frameOffset)
            } catch {
                report(error.description, at: frameOffset + Int64(error.offset))
                consumeBuffered(total)  // the header held: the next frame starts after this one
            }
        }
    }

    private func report(_ message: String, at offset: Int64) {
        observer.decodeError(StreamDecodeError(flow: flow, direction: label, packet: packet(at: offset), streamOffset: offset, message: message))
    }

    private func feedQuantumLayer(_ bytes: UnsafeRawBufferPointer, packet: Int) {
        qli.append(bytes)
        while true {
            let before = qli.pendingBytes
            do {
                guard let block = try qli.next() else { return }
                qliOffset += Int64(before - qli.pendingBytes)
                blocks += 1
                observer.quantumLayerBlock(block, from: self, packet: packet)
            } catch {
                observer.decodeError(StreamDecodeError(flow: flow, direction: label, packet: packet,
                                                       streamOffset: qliOffset + Int64(error.offset), message: "QLI: \(error.description)"))
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
        return MessageType(rawValue: b[5]) != nil || flags & Frame.ignorableFlag != 0
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
