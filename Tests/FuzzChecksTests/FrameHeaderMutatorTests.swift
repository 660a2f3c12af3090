import Testing
import Wire
@testable import WireFuzzChecks

/// The frame target's custom mutator must turn any bytes into a frame whose header the decoder
/// accepts, so that the payload decoder is reached.
@Suite("Frame header mutator")
struct FrameHeaderMutatorTests {
    @Test("a header with a wrong magic, version, flags and length is repaired to one that decodes to the payload")
    func repairsHeader() throws {
        // A KEEPALIVE (0x70) whose 8-byte payload is the nonce 0x0102030405060708, behind a
        // header that is wrong in every field the repair owns (docs/protocol.md, "Frame").
        var bytes: [UInt8] = Array("XXXX".utf8) + [9, 0x70, 0xFF, 0xFE] + [UInt8](repeating: 0, count: 16) + [0xFF, 0xFF, 0xFF, 0xFF]
        bytes += [1, 2, 3, 4, 5, 6, 7, 8]  // payload
        bytes += [UInt8](repeating: 0xAB, count: 8)  // tag
        bytes.withUnsafeMutableBufferPointer { FrameHeaderMutator.fixHeader($0, seed: 1) }
        #expect(Array(bytes[0..<4]) == [0x51, 0x4B, 0x44, 0x57])
        #expect(bytes[4] == 1)
        #expect(Array(bytes[6..<8]) == [0, 0])
        #expect(Array(bytes[24..<28]) == [0, 0, 0, 8])
        let decoded = try FrameDecoder.decode(bytes)
        #expect(decoded.frame.message == .keepalive(nonce: 0x0102_0304_0506_0708))
        #expect(decoded.frame.tag == 0xABAB_ABAB_ABAB_ABAB)
    }

    @Test("an unknown type without the IGNORABLE flag becomes a known one; with the flag it is kept")
    func typeRepair() {
        var unknown = [UInt8](repeating: 0, count: 36)
        unknown[5] = 0x7E
        unknown.withUnsafeMutableBufferPointer { FrameHeaderMutator.fixHeader($0, seed: 0) }
        #expect(MessageType(rawValue: unknown[5]) != nil)
        var ignorable = [UInt8](repeating: 0, count: 36)
        ignorable[5] = 0x7E
        ignorable[7] = 1
        ignorable.withUnsafeMutableBufferPointer { FrameHeaderMutator.fixHeader($0, seed: 0) }
        #expect(ignorable[5] == 0x7E)
        #expect(ignorable[7] == 1)
    }

    @Test("without libFuzzer the mutator only repairs, and grows a short input to an empty frame")
    func growsShortInput() {
        #expect(!FrameHeaderMutator.fuzzerLinked)
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        let size = buffer.withUnsafeMutableBufferPointer { FrameHeaderMutator.mutate($0.baseAddress!, size: 5, maxSize: 64, seed: 3) }
        #expect(size == 36)
        #expect(Array(buffer[24..<28]) == [0, 0, 0, 0])
    }
}
