import Capture
import Testing

/// Collects what a reassembler delivers.
final class Collector: ReassembledStreamConsumer {
    var bytes: [UInt8] = []
    var gaps: [(Int64, Int64)] = []
    var packets: [Int] = []
    func consume(_ b: UnsafeRawBufferPointer, at offset: Int64, packet: Int, time: Double) {
        #expect(offset == Int64(bytes.count) + gaps.reduce(0) { $0 + $1.1 })
        bytes += b
        packets.append(packet)
    }
    func gap(at offset: Int64, length: Int64) { gaps.append((offset, length)) }
}

@Suite struct ReassemblyTests {
    /// Feeds (sequence, flags, payload) triples as packets 1, 2, 3, ….
    func run(_ segments: [(UInt32, UInt8, [UInt8])], limits: ReassemblyLimits = ReassemblyLimits()) -> (Collector, StreamReassembler) {
        let c = Collector()
        let r = StreamReassembler(consumer: c, limits: limits)
        for (i, s) in segments.enumerated() {
            s.2.withUnsafeBytes { r.add(sequence: s.0, flags: s.1, payload: $0, packet: i + 1, time: 0) }
        }
        r.flush()
        return (c, r)
    }

    let text = Array("the quick brown fox jumps over the lazy dog".utf8)
    func part(_ a: Int, _ b: Int) -> [UInt8] { Array(text[a..<b]) }

    @Test func inOrderAfterSYN() {
        let (c, r) = run([(99, 0x02, []), (100, 0x18, part(0, 10)), (110, 0x18, part(10, 43))])
        #expect(c.bytes == text)
        #expect(r.sawSYN && r.events.isEmpty)
    }

    @Test func outOfOrderSegmentsAreReordered() {
        let (c, r) = run([(99, 0x02, []), (120, 0x18, part(20, 43)), (110, 0x18, part(10, 20)), (100, 0x18, part(0, 10))])
        #expect(c.bytes == text)
        #expect(r.outOfOrder == 2)
        // The last bytes were let through by packet 4, which filled the hole.
        #expect(c.packets.last == 4)
    }

    @Test func identicalRetransmissionIsNotAConflict() {
        let (c, r) = run([(99, 0x02, []), (100, 0x18, part(0, 20)), (105, 0x18, part(5, 25)), (100, 0x18, part(0, 20)), (125, 0x18, part(25, 43))])
        #expect(c.bytes == text)
        #expect(r.retransmissions == 2)
        #expect(r.events.isEmpty)
    }

    @Test func differingOverlapIsReportedAsInjection() {
        var forged = part(5, 15)
        forged[3] = UInt8(ascii: "X")  // stream offset 8
        let (c, r) = run([(99, 0x02, []), (100, 0x18, part(0, 20)), (105, 0x18, forged), (120, 0x18, part(20, 43))])
        #expect(c.bytes == text)  // the first bytes taken stand
        #expect(r.events == [.conflictingOverlap(offset: 5, length: 10, packet: 3)])
    }

    @Test func differingOverlapBetweenHeldSegments() {
        var forged = part(25, 35)
        forged[0] = 0
        let (_, r) = run([(99, 0x02, []), (120, 0x18, part(20, 30)), (125, 0x18, forged), (100, 0x18, part(0, 20)), (130, 0x18, part(30, 43))])
        #expect(r.events.contains(.conflictingOverlap(offset: 25, length: 5, packet: 3)))
    }

    @Test func missingBytesAreAGapBetweenTheirPackets() {
        // Bytes [10, 20) never arrive: packet 2 delivered before them, packet 3 is the first after.
        let (c, r) = run([(99, 0x02, []), (100, 0x18, part(0, 10)), (120, 0x18, part(20, 43)), (143, 0x11, [])])
        #expect(r.events == [.gap(offset: 10, length: 10, afterPacket: 2, beforePacket: 3)])
        #expect(c.gaps.count == 1 && c.gaps[0] == (10, 10))
        #expect(c.bytes == part(0, 10) + part(20, 43))  // never glued: the consumer was told
    }

    @Test func sequenceNumbersWrapAround() {
        let isn: UInt32 = 0xFFFF_FFF5
        let (c, r) = run([(isn, 0x02, []), (isn &+ 1, 0x18, part(0, 10)), (isn &+ 11, 0x18, part(10, 30)), (isn &+ 31, 0x18, part(30, 43))])
        #expect(c.bytes == text)
        #expect(r.events.isEmpty)
    }

    @Test func pickedUpWithoutSYN() {
        let (c, r) = run([(5000, 0x18, part(0, 10)), (5010, 0x18, part(10, 43))])
        #expect(!r.sawSYN)
        #expect(c.bytes == text)
    }

    @Test func heldBytesBeyondTheLimitBecomeAGap() {
        var limits = ReassemblyLimits()
        limits.pendingBytes = 16
        let (c, r) = run([(99, 0x02, []), (110, 0x18, part(10, 20)), (120, 0x18, part(20, 30)), (130, 0x18, part(30, 43))], limits: limits)
        #expect(r.events.first == .limitExceeded(packet: 3, pendingBytes: 20))
        #expect(r.events.contains(.gap(offset: 0, length: 10, afterPacket: 1, beforePacket: 2)))
        #expect(c.bytes == part(10, 43))
    }
}
