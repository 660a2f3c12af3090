import Foundation
import PostProcessing
import Testing
@testable import KeyDelivery

@Suite struct KeyMaterialTests {
    @Test func carvesAcrossNodeKeysInDeliveryOrder() throws {
        let a = UUID(), b = UUID()
        // Node key A: 12 bits 1010 1010 1010 (bit 0 first); B: 12 bits all one.
        let ka = BitKey(bits: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]), kb = BitKey(bits: Array(repeating: 1, count: 12))
        var master = KeyMaterial()
        master.add([(a, ka), (b, kb)])
        #expect(master.availableBits == 24)
        let carved = master.carve(bits: 16)
        let (first, bits) = try #require(carved)
        #expect(bits.deliveryBytes == [0x55, 0xF5])
        #expect(first == [KeySegment(nodeKeyID: a, start: 0, length: 12), KeySegment(nodeKeyID: b, start: 0, length: 4)])
        #expect(master.availableBits == 8)
        // 16 bits, bit 0 first: 1010 1010 | 1010 1111 → bytes 0x55, 0xF5.
        var slave = KeyMaterial()
        slave.add([(a, ka), (b, kb)])
        #expect(slave.read(first)?.deliveryBytes == [0x55, 0xF5])
        // What was carved is never carved again; too much is refused.
        let second = master.carve(bits: 8), third = master.carve(bits: 1)
        #expect(second?.segments == [KeySegment(nodeKeyID: b, start: 4, length: 8)])
        #expect(third == nil)
    }

    @Test func readsTheNodesKeyOutputFormat() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // docs/targets.md: bit i is bit (i mod 8) of byte (i div 8); "a5" = 1010 0101 read bit 0 first.
        try (#"{"key_id": "3f1e0d52-8c1a-4a41-9a36-0c4cdd2f9b77", "bits": 8, "hex": "a5"}"# + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let keys = try KeyOutputFileSource(path: path).deliveredKeys()
        #expect(keys.count == 1)
        #expect(keys[0].0 == UUID(uuidString: "3f1e0d52-8c1a-4a41-9a36-0c4cdd2f9b77"))
        #expect(keys[0].1.deliveryBytes == [0xA5])
        #expect((0..<8).map { keys[0].1[$0] } == [1, 0, 1, 0, 0, 1, 0, 1])
        // A broken line that is not the last is an error naming the line.
        try "not json\n{}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: KeyDeliveryError.self) { try KeyOutputFileSource.parse(path: path) }
    }
}
