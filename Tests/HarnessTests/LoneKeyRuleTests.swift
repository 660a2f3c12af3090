import Foundation
import PostProcessing
import QuantumChannel
import Testing
@testable import Harness

/// Keys stranded at one end when the channel fails mid-confirmation, judged against the end the
/// stack declares; and the seeded layouts of the huge-lengths probe.
@Suite("Lone keys and the huge-lengths probe")
struct LoneKeyRuleTests {
    /// A session where the two ends share `both` keys, and Alice / Bob alone hold the others.
    func session(both: Int, aliceOnly: Int, bobOnly: Int) -> Session {
        var s = Session(scenario: .gys(distanceKm: 1))
        let key = BitKey(count: 16)
        let shared = (0..<both).map { _ in DeliveredKey(keyID: UUID(), key: key) }
        s.aliceKeys = shared + (0..<aliceOnly).map { _ in DeliveredKey(keyID: UUID(), key: key) }
        s.bobKeys = shared + (0..<bobOnly).map { _ in DeliveredKey(keyID: UUID(), key: key) }
        return s
    }

    @Test("a declared end may hold keys alone; the other may not; 'neither' allows none")
    func declaredEnd() {
        let atAlice = session(both: 3, aliceOnly: 1, bobOnly: 0), atBob = session(both: 3, aliceOnly: 0, bobOnly: 2)
        #expect(Catalogue.loneKeyBreach(atAlice, allowedAt: .alice) == nil)
        #expect(Catalogue.loneKeyBreach(atBob, allowedAt: .alice)?.contains("2 keys only at Bob") == true)
        #expect(Catalogue.loneKeyBreach(atBob, allowedAt: .bob) == nil)
        #expect(Catalogue.loneKeyBreach(atAlice, allowedAt: .bob)?.contains("1 keys only at Alice") == true)
        #expect(Catalogue.loneKeyBreach(atAlice, allowedAt: .neither) != nil)
        #expect(Catalogue.loneKeyBreach(atBob, allowedAt: .neither) != nil)
        #expect(Catalogue.loneKeyBreach(session(both: 4, aliceOnly: 0, bobOnly: 0), allowedAt: .neither) == nil)
    }

    @Test("undeclared: keys alone at one end pass, at both ends in one session fail (one lost message strands one end)")
    func undeclared() {
        #expect(Catalogue.loneKeyBreach(session(both: 2, aliceOnly: 1, bobOnly: 0), allowedAt: nil) == nil)
        #expect(Catalogue.loneKeyBreach(session(both: 2, aliceOnly: 0, bobOnly: 1), allowedAt: nil) == nil)
        #expect(Catalogue.loneKeyBreach(session(both: 2, aliceOnly: 1, bobOnly: 1), allowedAt: nil) != nil)
    }

    @Test("the huge-lengths probe: every layout is drawn by some seed, each announces a length ≥ 2^15 - 1 where its framing reads it")
    func hugeLengthLayouts() {
        var seen = Set<HugeLengthProbe.Layout>()
        for seed in UInt64(0)..<200 {
            var random = CaseRandom(seed: seed, label: "robustness/garbage/huge-lengths")
            let p = HugeLengthProbe(random: &random)
            #expect(p.bytes.count == 96)
            seen.insert(p.layout)
            let b = p.bytes
            // Checked by hand against each framing's rule, not against the generator's tables.
            switch p.layout {
            case .allOnesAtStart:
                #expect(b.prefix(8).allSatisfy { $0 == 0xFF })
            case .varint:
                // Protobuf: tag (field << 3 | 2), then base-128 groups low first; nine zero groups and 1 = 2^63.
                #expect(b[0] & 7 == 2 && b[0] >> 3 >= 1)
                var value: UInt64 = 0
                for (i, byte) in b[1...10].enumerated() { value |= UInt64(byte & 0x7F) << (7 * UInt64(i)) }
                #expect(value == 1 << 63 && b[10] & 0x80 == 0)
            case .derLongForm:
                #expect(b[0] == 0x30 && b[1] == 0x84 && b[2...5].reduce(0) { $0 << 8 | Int($1) } == Int(Int32.max))
            case .largestSigned:
                #expect(b[0...7].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == UInt64(Int64.max))
                #expect(b[8...15].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == UInt64(Int64.max))
            case .recordHeader:
                #expect(b[3] == 0xFF && b[4] == 0xFF)
            case .allOnesAfterHeader:
                let header = Int(p.layoutDescription.dropFirst(2).prefix { $0.isNumber }) ?? -1
                #expect((1...8).contains(header) && b[header..<(header + 8)].allSatisfy { $0 == 0xFF })
            }
        }
        #expect(seen.count == HugeLengthProbe.Layout.allCases.count, "\(seen)")
        var a = CaseRandom(seed: 9, label: "x"), b = CaseRandom(seed: 9, label: "x")
        #expect(HugeLengthProbe(random: &a).bytes == HugeLengthProbe(random: &b).bytes)
    }
}
