import Capture
import Foundation
import Testing

/// Where a damaged record is reported: the byte offset of its first byte, counted by hand from
/// the record lengths. The reader keeps classic pcap offsets by arithmetic; these cases include a
/// record longer than the snapshot length, which libpcap cuts (and skips the rest of), so its
/// captured length no longer says where the next record starts.
@Suite struct RecordOffsetTests {
    /// A classic pcap (little-endian, microseconds, Ethernet) with snapshot length `snapshot`:
    /// complete records of the given captured lengths, then a record that promises 60 bytes and
    /// holds 10.
    static func file(snapshot: UInt32, records: [Int]) throws -> String {
        var b = [UInt8]()
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(snapshot); le32(1)
        for (i, n) in records.enumerated() {
            le32(UInt32(i)); le32(0); le32(UInt32(n)); le32(UInt32(n))
            b += [UInt8](repeating: 0, count: n)
        }
        le32(99); le32(0); le32(60); le32(60)
        b += [UInt8](repeating: 0, count: 10)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("offsets-\(UUID().uuidString).pcap").path
        try Data(b).write(to: URL(fileURLWithPath: path))
        return path
    }

    struct Case: Sendable, CustomStringConvertible {
        var snapshot: UInt32
        var records: [Int]
        /// 24-byte file header, then 16 bytes of record header and the captured bytes per record.
        var brokenRecordAt: Int
        var description: String { "snapshot \(snapshot), records \(records)" }
    }

    @Test(arguments: [
        Case(snapshot: 65535, records: [54, 100], brokenRecordAt: 24 + (16 + 54) + (16 + 100)),
        // The 200-byte record is cut to the 100-byte snapshot; the file still holds all 200.
        Case(snapshot: 100, records: [200, 54], brokenRecordAt: 24 + (16 + 200) + (16 + 54)),
        Case(snapshot: 100, records: [100], brokenRecordAt: 24 + (16 + 100)),
    ])
    func damagedRecordIsReportedWhereItStarts(_ c: Case) throws {
        let path = try Self.file(snapshot: c.snapshot, records: c.records)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try PcapReader(path: path)
        var packets = 0
        do {
            while try reader.next() != nil { packets += 1 }
            Issue.record("the truncated last record was not reported")
        } catch {
            guard case let .damaged(_, offset, packet, _) = error else {
                Issue.record("expected a damaged record, got \(error)")
                return
            }
            #expect(offset == c.brokenRecordAt)
            #expect(packet == c.records.count && packets == c.records.count)
        }
    }
}
