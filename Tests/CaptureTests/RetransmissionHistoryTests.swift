import Capture
import Foundation
import Testing

/// A retransmission is compared with the bytes delivered before it. Reading a classic pcap file,
/// those bytes are read back from the file (only where they lie is kept); a reassembler fed from
/// memory keeps a copy in its history ring. Both must report the same conflicting overlaps: the
/// expected ones are worked out by hand from the 16 KiB window, and the file's report is also
/// compared with a ``StreamReassembler`` fed the same segments from memory.
@Suite struct RetransmissionHistoryTests {
    /// One segment of the client's direction: its sequence number, flags and payload.
    struct Segment {
        var sequence: UInt32
        var flags: UInt8 = 0x18
        var payload: [UInt8] = []
    }

    static let isn: UInt32 = 1000

    /// The byte at stream offset `o` as first sent.
    static func byte(_ o: Int) -> UInt8 { UInt8(truncatingIfNeeded: o &* 7 &+ 3) }

    /// Segments carrying stream bytes [from, to), `size` bytes each, as first sent.
    static func data(_ from: Int, _ to: Int, size: Int) -> [Segment] {
        stride(from: from, to: to, by: size).map { o in
            Segment(sequence: isn &+ 1 &+ UInt32(o), payload: (o..<min(o + size, to)).map(byte))
        }
    }

    /// A resent segment for [from, to) whose bytes differ from the first ones where `changed` says.
    static func resend(_ from: Int, _ to: Int, changed: (Int) -> Bool = { _ in false }) -> Segment {
        Segment(sequence: isn &+ 1 &+ UInt32(from), payload: (from..<to).map { changed($0) ? ~byte($0) : byte($0) })
    }

    /// Ethernet, IPv4 and TCP headers around `s`, from 10.0.0.1:40000 to 10.0.0.2:9000.
    static func frame(_ s: Segment) -> [UInt8] {
        var b: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        let total = 20 + 20 + s.payload.count
        b += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
        b += [0x9C, 0x40, 0x23, 0x28] + be32(s.sequence) + be32(0) + [0x50, s.flags, 0xFF, 0xFF, 0, 0, 0, 0]
        return b + s.payload
    }

    /// The overlaps `capture inspect` reports for a file of `segments` (after a SYN), and the ones
    /// a reassembler fed the same segments from memory reports.
    static func overlaps(_ segments: [Segment]) throws -> (file: [ReassemblyEvent], memory: [ReassemblyEvent]) {
        let all = [Segment(sequence: isn, flags: 0x02)] + segments
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path)
        for s in all { writer.write(frame(s), at: Date(timeIntervalSince1970: 1_767_225_600)) }
        writer.close()
        let analyzer = CaptureAnalyzer()
        try analyzer.read(PcapReader(path: path))
        let file = analyzer.summary.overlaps.map { ReassemblyEvent.conflictingOverlap(offset: $0.streamOffset, length: $0.length, packet: $0.packet) }
        final class Discard: ReassembledStreamConsumer {
            func consume(_ b: UnsafeRawBufferPointer, at offset: Int64, packet: Int, time: Double) {}
            func gap(at offset: Int64, length: Int64) {}
        }
        let r = StreamReassembler(consumer: Discard())
        for (i, s) in all.enumerated() {
            s.payload.withUnsafeBytes { r.add(sequence: s.sequence, flags: s.flags, payload: $0, packet: i + 1, time: 0) }
        }
        r.flush()
        return (file, r.events.filter { if case .conflictingOverlap = $0 { true } else { false } })
    }

    @Test func retransmissionsWithinTheWindowAreComparedByte_for_byte() throws {
        // 40 000 bytes in 1000-byte segments (packets 2–41); the window is then [23 616, 40 000).
        var s = Self.data(0, 40_000, size: 1000)
        s.append(Self.resend(0, 1000, changed: { _ in true }))               // packet 42: before the window, not compared
        s.append(Self.resend(23_000, 24_000, changed: { $0 < 23_616 }))      // packet 43: differs only before the window
        s.append(Self.resend(23_000, 24_000, changed: { $0 == 23_700 }))     // packet 44: differs in the window
        s.append(Self.resend(39_000, 40_000))                                 // packet 45: the same bytes
        let (file, memory) = try Self.overlaps(s)
        #expect(file == [.conflictingOverlap(offset: 23_616, length: 384, packet: 44)])
        #expect(file == memory)
    }

    @Test func manyShortSegmentsKeepTheirBytesInMemory() throws {
        // 600 one-byte segments: more runs than are kept, so the window moves to a ring read back
        // from the file; retransmissions before and after that compare the same bytes.
        var s = Self.data(0, 100, size: 1)
        s.append(Self.resend(10, 20, changed: { $0 == 15 }))                  // packet 102
        s += Self.data(100, 600, size: 1)
        s.append(Self.resend(10, 20, changed: { $0 == 12 }))                  // packet 603
        s.append(Self.resend(30, 40))                                         // packet 604: the same bytes
        s.append(Self.resend(590, 600, changed: { $0 >= 598 }))               // packet 605
        let (file, memory) = try Self.overlaps(s)
        #expect(file == [.conflictingOverlap(offset: 10, length: 10, packet: 102), .conflictingOverlap(offset: 10, length: 10, packet: 603),
                         .conflictingOverlap(offset: 590, length: 10, packet: 605)])
        #expect(file == memory)
    }

    @Test func aRetransmissionPartlyNewComparesOnlyItsOldBytes() throws {
        var s = Self.data(0, 3000, size: 1000)
        s.append(Self.resend(2500, 3500, changed: { $0 == 2600 }))            // packet 5: 500 old bytes, one differs
        s.append(Self.resend(2000, 3600, changed: { $0 >= 3500 }))            // packet 6: the old bytes match
        let (file, memory) = try Self.overlaps(s)
        #expect(file == [.conflictingOverlap(offset: 2500, length: 500, packet: 5)])
        #expect(file == memory)
    }

    @Test func afterAGapBothWaysCompareTheSameBytes() throws {
        // [0, 1000) (packet 2), then 4097 one-byte segments behind a hole at 1000 (packets 3–4099):
        // one more than may be held, so the hole is declared a gap and the rest delivered.
        // Retransmissions before, across and after the hole then compare what the history holds.
        var s = Self.data(0, 1000, size: 1000) + Self.data(1001, 5098, size: 1)
        s.append(Self.resend(500, 900, changed: { $0 == 800 }))               // packet 4100
        s.append(Self.resend(900, 1100))                                      // packet 4101
        s.append(Self.resend(5000, 5098, changed: { $0 == 5050 }))            // packet 4102
        let (file, memory) = try Self.overlaps(s)
        #expect(file.contains(.conflictingOverlap(offset: 500, length: 400, packet: 4100)))
        #expect(file.contains(.conflictingOverlap(offset: 5000, length: 98, packet: 4102)))
        #expect(file == memory)
    }
}
