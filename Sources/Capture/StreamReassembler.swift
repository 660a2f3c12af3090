/// Receives one direction's bytes in stream order from a ``StreamReassembler``.
package protocol ReassembledStreamConsumer: AnyObject {
    /// Bytes at stream `offset`, completed by packet `packet` (the packet whose arrival let them through).
    func consume(_ bytes: UnsafeRawBufferPointer, at offset: Int64, packet: Int, time: Double)
    /// The bytes [offset, offset + length) were never captured: what follows does not continue
    /// what came before.
    func gap(at offset: Int64, length: Int64)
}

/// Something reassembly had to report about a direction.
package enum ReassemblyEvent: Sendable, Equatable, Codable {
    /// Missing bytes between the last packet delivered before them and the first one after.
    case gap(offset: Int64, length: Int64, afterPacket: Int, beforePacket: Int)
    /// A segment carried bytes for a range already taken, and they differ: how injection looks.
    case conflictingOverlap(offset: Int64, length: Int64, packet: Int)
    /// Out-of-order data exceeded the per-direction limit and was declared a gap at that packet.
    case limitExceeded(packet: Int, pendingBytes: Int)
}

/// Limits that keep reassembly in bounded memory whatever the capture holds.
package struct ReassemblyLimits: Sendable {
    /// Out-of-order bytes held for one direction before the hole in front of them is declared a gap.
    package var pendingBytes = 4 << 20
    /// Out-of-order segments held for one direction.
    package var pendingSegments = 4096
    /// Bytes of delivered data kept to compare retransmissions and overlaps against.
    package var historyBytes = 16 << 10
    package init() {}
}

/// TCP reassembly of one direction: segments in any order, retransmitted or overlapping, become
/// one byte stream. Sequence numbers are compared modulo 2³² (wrap-around is ordinary). A hole
/// is never glued over: when the data after it can no longer wait (limits, RST, end of capture), the hole is reported as a gap and the consumer is told.
///
/// The state lives in one value (``DirectionState``) that a segment changes through one mutating
/// call: one run-time exclusivity check per segment instead of one per field touched. The
/// consumer is called during that call, so it must not read this reassembler's properties (it
/// has no reason to: what it needs comes as arguments); doing so would trap, not corrupt.
/// (`capture inspect` does not use this class: its flows hold ``DirectionState`` values.)
package final class StreamReassembler {
    package let limits: ReassemblyLimits
    /// Held strongly: a consumer does not hold its reassembler, so there is no cycle (and no
    /// per-segment cost of turning an unowned reference into a strong one).
    private let consumer: any ReassembledStreamConsumer
    private var state: DirectionState

    /// Sequence number of stream offset 0 (the byte after the SYN, or the first byte seen).
    package var initialSequence: UInt32 { state.initialSequence }
    package var started: Bool { state.started }
    /// True when the capture showed this direction's SYN (else it was picked up mid-stream).
    package var sawSYN: Bool { state.sawSYN }
    package var sawFIN: Bool { state.sawFIN }
    package var sawRST: Bool { state.sawRST }
    /// Next stream offset expected in order.
    package var offset: Int64 { state.offset }
    package var segments: Int { state.segments }
    package var retransmissions: Int { state.retransmissions }
    package var outOfOrder: Int { state.outOfOrder }
    package var events: [ReassemblyEvent] { state.events }
    package static let eventLimit = 1000
    package var eventsDropped: Int { state.eventsDropped }

    package init(consumer: any ReassembledStreamConsumer, limits: ReassemblyLimits = ReassemblyLimits()) {
        self.consumer = consumer
        self.limits = limits
        state = DirectionState(limits: limits)
    }

    /// One segment of this direction, from packet `packet`.
    package func add(sequence: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer, packet: Int, time: Double) {
        let consumer = self.consumer
        state.add(sequence: sequence, flags: flags, payload: payload, packet: packet, time: time,
                  deliver: { consumer.consume($0, at: $1, packet: $2, time: $3) }, gap: { consumer.gap(at: $0, length: $1) })
    }

    /// Delivers everything held, declaring each hole a gap (FIN, RST, limits, end of capture).
    package func flush() {
        let consumer = self.consumer
        state.flush(deliver: { consumer.consume($0, at: $1, packet: $2, time: $3) }, gap: { consumer.gap(at: $0, length: $1) })
    }
}

/// The state of one reassembled direction and the reassembly itself (``StreamReassembler`` holds
/// one and hands it each segment; a capture's flow holds its two directions' states as values).
/// What comes out in order goes to `deliver` (bytes, stream offset, packet, time) and each hole
/// declared to `gap` (offset, length): non-escaping closures, so a flow's direction can hand its
/// bytes to its decoding state, a sibling value, without a class or a run-time exclusivity check.
struct DirectionState {
    typealias Deliver = (UnsafeRawBufferPointer, Int64, Int, Double) -> Void
    typealias Gap = (Int64, Int64) -> Void

    private struct Pending {
        var start: Int64
        var bytes: [UInt8]
        var packet: Int
        var time: Double
        /// Where `bytes` lie in the capture file (-1: not known).
        var fileOffset: Int64
        var end: Int64 { start + Int64(bytes.count) }
    }

    // What a segment in order reads and writes comes first, on the first two cache lines of the
    // value: with hundreds of directions interleaved, each line is a cache miss per packet.
    var offset: Int64 = 0
    var initialSequence: UInt32 = 0
    var started = false
    var sawSYN = false
    var sawFIN = false
    var sawRST = false
    /// True from the first delivered byte when `runs` holds the window (else the ring does).
    private var historyInFile = false
    var segments = 0
    /// Bytes held out of order: zero exactly when `pending` is empty, and read instead of it (the
    /// array's storage, kept once allocated, is memory a segment in order need not touch).
    private var pendingBytes = 0
    private var lastPacket = 0
    /// Bytes of delivered data compared with retransmissions (the ring's size).
    private let historyCapacity: Int
    // The last `historyBytes` delivered bytes, to compare retransmissions with, are kept in one of
    // two ways. While every delivered byte came from a capture file that can be read again
    // (`recorded`) and no gap was declared, only where each run of them lies in the file is kept
    // (`runs`): writing 16 bytes per segment instead of copying the segment into a ring of cold
    // memory, which was the largest cost of reading a capture. Otherwise (a reassembler fed from
    // memory, standard input, pcapng, after a gap, or too many short runs) the bytes themselves
    // are kept in a ring, the byte at stream offset o at o % capacity; a direction switches to
    // the ring by reading the window back from the file, so both ways compare the same bytes.
    private var runs = DeliveredRunLog()
    private let recorded: RecordedBytes?
    // The ring, written through `ring`, the owner's memory kept in this value, so a segment does
    // not load an array header apart from the bytes it writes. `history` owns the memory: it
    // lives as long as any copy of this value. A copy shares the ring (and the runs), so a copy
    // is only read, never fed (summaries read the flow's final state; the flow table and
    // ``StreamReassembler`` change their one value).
    private var history: HistoryRing?
    private var ring = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    let limits: ReassemblyLimits
    private var pending: [Pending] = []
    var retransmissions = 0
    var outOfOrder = 0
    var events: [ReassemblyEvent] = []
    var eventsDropped = 0

    /// `recorded`: the capture file the segments' `fileOffset`s point into, if it can be read again.
    init(limits: ReassemblyLimits, recorded: RecordedBytes? = nil) {
        self.limits = limits
        self.recorded = recorded
        historyCapacity = max(1, limits.historyBytes)
    }

    private mutating func report(_ e: ReassemblyEvent) {
        if events.count < StreamReassembler.eventLimit { events.append(e) } else { eventsDropped += 1 }
    }

    /// Stream offset of sequence number `seq` (the nearest one modulo 2³² to the next expected).
    @inline(__always) private func streamOffset(of seq: UInt32) -> Int64 {
        let next = initialSequence &+ UInt32(truncatingIfNeeded: offset)
        return offset + Int64(Int32(bitPattern: seq &- next))
    }

    /// One segment of this direction, from packet `packet`; `fileOffset` is where `payload` lies in
    /// the capture file (-1 when not known).
    mutating func add(sequence: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer, packet: Int, time: Double, fileOffset: Int64 = -1,
                      deliver: Deliver, gap: Gap) {
        segments += 1
        let syn = flags & 0x02 != 0, fin = flags & 0x01 != 0, rst = flags & 0x04 != 0
        if !started {
            started = true
            sawSYN = syn
            initialSequence = syn ? sequence &+ 1 : sequence
            lastPacket = packet
        } else if syn && !sawSYN && offset == 0 && pendingBytes == 0 {
            sawSYN = true
            initialSequence = sequence &+ 1
        }
        if rst { sawRST = true }
        let dataSequence = syn ? sequence &+ 1 : sequence
        if payload.count > 0 {
            let start = streamOffset(of: dataSequence)
            insert(payload, start: start, packet: packet, time: time, fileOffset: fileOffset, deliver: deliver, gap: gap)
        }
        if fin { sawFIN = true }
        if rst { flush(deliver: deliver, gap: gap) }
    }

    private mutating func insert(_ payload: UnsafeRawBufferPointer, start: Int64, packet: Int, time: Double, fileOffset: Int64, deliver: Deliver,
                                 gap: Gap) {
        let end = start + Int64(payload.count)
        if end <= offset {
            retransmissions += 1
            compareWithHistory(payload, start: start, packet: packet)
            return
        }
        if start <= offset {
            var fresh = payload
            var freshOffset = fileOffset
            if start < offset {
                retransmissions += 1
                let old = Int(offset - start)
                compareWithHistory(UnsafeRawBufferPointer(rebasing: payload[0..<old]), start: start, packet: packet)
                fresh = UnsafeRawBufferPointer(rebasing: payload[old...])
                if freshOffset >= 0 { freshOffset += Int64(old) }
            }
            emit(fresh, packet: packet, time: time, fileOffset: freshOffset, deliver: deliver)
            drain(packet: packet, time: time, deliver: deliver, gap: gap)
            return
        }
        // Ahead of a hole: hold a copy, in order of start.
        outOfOrder += 1
        var index = pending.count
        while index > 0 && pending[index - 1].start > start { index -= 1 }
        for p in pending where p.start < end && start < p.end {
            let lo = max(p.start, start), hi = min(p.end, end)
            let mine = payload[Int(lo - start)..<Int(hi - start)]
            if !mine.elementsEqual(p.bytes[Int(lo - p.start)..<Int(hi - p.start)]) {
                report(.conflictingOverlap(offset: lo, length: hi - lo, packet: packet))
            }
        }
        pending.insert(Pending(start: start, bytes: Array(payload), packet: packet, time: time, fileOffset: fileOffset), at: index)
        pendingBytes += payload.count
        if pendingBytes > limits.pendingBytes || pending.count > limits.pendingSegments {
            report(.limitExceeded(packet: packet, pendingBytes: pendingBytes))
            skipToPending(deliver: deliver, gap: gap)
        }
    }

    /// Delivers everything held, declaring each hole a gap (FIN, RST, limits, end of capture).
    mutating func flush(deliver: Deliver, gap: Gap) {
        while !pending.isEmpty { skipToPending(deliver: deliver, gap: gap) }
    }

    /// The first held segment cannot wait any longer: the hole before it is a gap.
    private mutating func skipToPending(deliver: Deliver, gap: Gap) {
        guard let first = pending.first else { return }
        if first.start > offset {
            let length = first.start - offset
            report(.gap(offset: offset, length: length, afterPacket: lastPacket, beforePacket: first.packet))
            // The ring keeps what it held for the hole's offsets (it is compared as it is), which
            // the runs cannot stand for: from here on the ring keeps the history.
            if historyInFile { moveHistoryToRing() }
            gap(offset, length)
            offset = first.start
        }
        drain(packet: first.packet, time: first.time, deliver: deliver, gap: gap)
    }

    private mutating func drain(packet: Int, time: Double, deliver: Deliver, gap: Gap) {
        while pendingBytes > 0, let first = pending.first, first.start <= offset {
            pending.removeFirst()
            pendingBytes -= first.bytes.count
            first.bytes.withUnsafeBytes { b in
                let old = Int(min(Int64(b.count), offset - first.start))
                if old > 0 { compareWithHistory(UnsafeRawBufferPointer(rebasing: b[0..<old]), start: first.start, packet: first.packet) }
                if old < b.count {
                    emit(UnsafeRawBufferPointer(rebasing: b[old...]), packet: max(packet, first.packet), time: max(time, first.time),
                         fileOffset: first.fileOffset >= 0 ? first.fileOffset + Int64(old) : -1, deliver: deliver)
                }
            }
        }
    }

    private mutating func emit(_ bytes: UnsafeRawBufferPointer, packet: Int, time: Double, fileOffset: Int64, deliver: Deliver) {
        guard bytes.count > 0 else { return }
        // The first delivered byte chooses where the history is kept (allocated on first use: a
        // direction that carries nothing costs nothing).
        if history == nil && !runs.isAllocated {
            if fileOffset >= 0 && recorded != nil {
                runs.allocate()
                historyInFile = true
            } else {
                allocateRing()
            }
        }
        deliver(bytes, offset, packet, time)
        if historyInFile && !(fileOffset >= 0 && keepRun(from: offset, fileOffset: fileOffset)) {
            moveHistoryToRing()
        }
        if !historyInFile { keepInRing(bytes) }
        offset += Int64(bytes.count)
        lastPacket = packet
    }

    private mutating func allocateRing() {
        let r = HistoryRing(capacity: historyCapacity)
        history = r
        ring = r.bytes
    }

    /// Notes that the stream bytes from `start` lie in the file at `fileOffset`. False when the
    /// runs are full (the caller keeps the ring).
    private mutating func keepRun(from start: Int64, fileOffset: Int64) -> Bool {
        // The window before these bytes is kept, so a full log can still be read back.
        runs.append(DeliveredRun(start: start, fileOffset: fileOffset), windowStart: start - Int64(historyCapacity))
    }

    /// From now on the delivered bytes are kept in the ring: it is filled with what it would hold
    /// had it been kept all along (no gap so far: the window's bytes at their positions, zeros
    /// where nothing was delivered yet), read back from the file.
    private mutating func moveHistoryToRing() {
        historyInFile = false
        guard runs.isAllocated else { return }
        let r = runs
        runs = DeliveredRunLog()
        allocateRing()
        let capacity = Int64(ring.count)
        let lo = max(0, offset - capacity)
        guard lo < offset else { return }
        // The window is at most `capacity` bytes (bounded by the limit, not by the input).
        withUnsafeTemporaryAllocation(byteCount: Int(offset - lo), alignment: 16) { window in
            let window = UnsafeMutableRawBufferPointer(window)
            guard readHistory(r, from: lo, into: window) else { return }
            var o = lo
            for byte in window {
                ring[Int(o % capacity)] = byte
                o += 1
            }
        }
    }

    /// Reads the delivered bytes [from, from + buffer.count) back from the file through `runs`.
    /// False when the file cannot be read there.
    private func readHistory(_ runs: DeliveredRunLog, from: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard let recorded else { return false }
        let to = from + Int64(buffer.count)
        var ok = true
        runs.forEach(until: offset) { start, end, fileOffset in
            let lo = max(start, from), hi = min(end, to)
            guard ok, lo < hi else { return }
            // [lo, hi) lies within [from, to) (clamped above), so the slice is within `buffer`.
            let part = UnsafeMutableRawBufferPointer(rebasing: buffer[Int(lo - from)..<Int(hi - from)])
            ok = recorded.read(at: fileOffset + (lo - start), into: part)
        }
        return ok
    }

    private func keepInRing(_ bytes: UnsafeRawBufferPointer) {
        // Keep the tail in the history ring.
        let capacity = ring.count
        let keep = min(bytes.count, capacity)
        let from = bytes.count - keep
        var position = Int((offset + Int64(from)) % Int64(capacity))
        // Each run stays within the ring (run ≤ capacity − position) and within `bytes`
        // (from + copied + run ≤ bytes.count).
        var copied = 0
        while copied < keep {
            let run = min(keep - copied, capacity - position)
            ring.baseAddress!.advanced(by: position).copyMemory(from: bytes.baseAddress!.advanced(by: from + copied), byteCount: run)
            copied += run
            position = 0
        }
    }

    /// A segment re-sends bytes already delivered: they must be the same bytes.
    private mutating func compareWithHistory(_ bytes: UnsafeRawBufferPointer, start: Int64, packet: Int) {
        guard history != nil || runs.isAllocated else { return }
        let capacity = Int64(historyCapacity)
        let oldest = max(0, offset - capacity)
        let lo = max(start, oldest), hi = min(start + Int64(bytes.count), offset)
        guard lo < hi else { return }
        // Offsets within the ring (o % capacity) and within `bytes` (lo ≥ start, hi ≤ start + count).
        var differs = false
        if historyInFile {
            // At most `capacity` bytes (hi − lo ≤ offset − oldest): bounded by the limit.
            let readable = withUnsafeTemporaryAllocation(byteCount: Int(hi - lo), alignment: 16) { kept in
                let kept = UnsafeMutableRawBufferPointer(kept)
                guard readHistory(runs, from: lo, into: kept) else { return false }
                differs = !kept.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[Int(lo - start)..<Int(hi - start)]))
                return true
            }
            // The file no longer holds the bytes (cut short while being read): nothing to compare.
            guard readable else { return }
        } else {
            var o = lo
            while o < hi {
                if ring[Int(o % capacity)] != bytes[Int(o - start)] { differs = true; break }
                o += 1
            }
        }
        if differs { report(.conflictingOverlap(offset: lo, length: hi - lo, packet: packet)) }
    }
}

/// The memory of a direction's history ring (``DirectionState``): allocated zeroed once, freed
/// with the last reference. Its bytes are reached through the pointer the state keeps.
final class HistoryRing {
    let bytes: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { bytes.deallocate() }
}

