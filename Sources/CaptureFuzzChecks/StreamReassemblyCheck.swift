import Capture

/// What the reassembler fuzz target checks. The input is a sequence of TCP segments of one
/// direction, each `seq (4 bytes, big-endian) | flags (1) | length (1) | payload (length)`;
/// segments are fed to a ``StreamReassembler`` with small limits (so that the limit paths are
/// reached), then it is flushed. Checked:
/// - what it delivers is contiguous: each delivery and each gap starts where the last one ended;
/// - it never returns a byte it was not given: every delivered byte was carried, at that stream
///   offset, by some segment;
/// - gaps are reported only over bytes no segment carried (before the gap was declared), and
///   every gap is reported both ways (the event list and the consumer), with a positive length;
/// - after the flush nothing given ahead of the stream is lost: every byte carried at or past
///   the stream offset of its arrival has been delivered;
/// - its event list stays within its limit.
package enum StreamReassemblyCheck {
    /// Segments fed per input at most (the work cap).
    package static let maximumSegments = 512

    package static let limits: ReassemblyLimits = {
        var l = ReassemblyLimits()
        l.pendingBytes = 1024
        l.pendingSegments = 8
        l.historyBytes = 64
        return l
    }()

    package static func check(_ bytes: [UInt8]) {
        let consumer = RecordingConsumer()
        let reassembler = StreamReassembler(consumer: consumer, limits: limits)
        var given: [(start: Int64, bytes: ArraySlice<UInt8>)] = []
        var i = 0, packet = 0
        while i + 6 <= bytes.count, packet < maximumSegments {
            let seq = UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
            let flags = bytes[i + 4]
            let length = min(Int(bytes[i + 5]), bytes.count - i - 6)
            let payload = bytes[(i + 6)..<(i + 6 + length)]
            i += 6 + length
            packet += 1
            let offsetBefore = reassembler.offset
            let gapsBefore = consumer.gaps.count
            payload.withUnsafeBytes { reassembler.add(sequence: seq, flags: flags, payload: $0, packet: packet, time: Double(packet)) }
            // Where the reassembler placed the payload: the nearest offset modulo 2³² to the
            // next expected byte, under the initial sequence number as it stands after this
            // segment (a late SYN may set it).
            let dataSequence = flags & 0x02 != 0 ? seq &+ 1 : seq
            let next = reassembler.initialSequence &+ UInt32(truncatingIfNeeded: offsetBefore)
            let start = offsetBefore + Int64(Int32(bitPattern: dataSequence &- next))
            // Only the part at or past the stream's offset is new; the rest is a retransmission.
            if length > 0 && start + Int64(length) > offsetBefore {
                let fresh = max(start, offsetBefore)
                given.append((fresh, payload.dropFirst(Int(fresh - start))))
            }
            // Gaps declared while this segment was added may not cover bytes given so far.
            for gap in consumer.gaps[gapsBefore...] { checkGap(gap, given: given) }
            checkDeliveries(consumer, given: given)
            precondition(reassembler.events.count <= StreamReassembler.eventLimit, "the event list outgrew its limit")
        }
        let gapsBefore = consumer.gaps.count
        reassembler.flush()
        for gap in consumer.gaps[gapsBefore...] { checkGap(gap, given: given) }
        checkDeliveries(consumer, given: given)
        // Nothing given ahead of the stream is left behind.
        for g in given {
            let end = g.start + Int64(g.bytes.count)
            precondition(end <= reassembler.offset, "bytes up to stream offset \(end) were given but the stream ended at \(reassembler.offset)")
            for o in max(0, g.start)..<end {
                precondition(!consumer.gaps.contains { o >= $0.offset && o < $0.offset + $0.length },
                             "byte \(o) was given but reported missing")
            }
        }
        let reportedGaps = reassembler.events.filter { if case .gap = $0 { return true } else { return false } }.count
        if reassembler.eventsDropped == 0 {
            precondition(reportedGaps == consumer.gaps.count, "\(consumer.gaps.count) gaps told to the consumer, \(reportedGaps) in the events")
        }
    }

    private static func checkGap(_ gap: (offset: Int64, length: Int64), given: [(start: Int64, bytes: ArraySlice<UInt8>)]) {
        precondition(gap.length > 0, "a gap of \(gap.length) bytes")
        for g in given where g.start < gap.offset + gap.length && gap.offset < g.start + Int64(g.bytes.count) {
            preconditionFailure("a gap at \(gap.offset)+\(gap.length) covers bytes a segment gave at \(g.start)")
        }
    }

    /// Every delivered byte not yet checked was given at its offset by some segment.
    private static func checkDeliveries(_ consumer: RecordingConsumer, given: [(start: Int64, bytes: ArraySlice<UInt8>)]) {
        while consumer.checked < consumer.deliveries.count {
            let (start, bytes) = consumer.deliveries[consumer.checked]
            for (i, byte) in bytes.enumerated() {
                let offset = start + Int64(i)
                let carried = given.contains { g in
                    offset >= g.start && offset < g.start + Int64(g.bytes.count)
                        && g.bytes[g.bytes.startIndex + Int(offset - g.start)] == byte
                }
                precondition(carried, "byte \(offset) (0x\(String(byte, radix: 16))) was delivered but no segment carried it there")
            }
            consumer.checked += 1
        }
    }
}

/// Records what a reassembler hands over, and checks that it is contiguous.
final class RecordingConsumer: ReassembledStreamConsumer {
    /// Each delivery: its stream offset and bytes.
    var deliveries: [(offset: Int64, bytes: [UInt8])] = []
    /// Deliveries checked against the segments so far.
    var checked = 0
    var gaps: [(offset: Int64, length: Int64)] = []
    /// Where the next delivery or gap must start.
    var end: Int64 = 0

    func consume(_ bytes: UnsafeRawBufferPointer, at offset: Int64, packet: Int, time: Double) {
        precondition(offset == end, "bytes delivered at \(offset), the stream was at \(end)")
        precondition(bytes.count > 0, "an empty delivery")
        deliveries.append((offset, Array(bytes)))
        end += Int64(bytes.count)
    }

    func gap(at offset: Int64, length: Int64) {
        precondition(offset == end, "a gap at \(offset), the stream was at \(end)")
        gaps.append((offset, length))
        end += length
    }
}
