import Testing
@testable import Wire

/// `FrameDecoder.decode(slice:)`: a frame decoded where it lies in a larger buffer (how a
/// capture's reassembled stream is read), without copying it out.
@Suite("Wire frame decoding in place")
struct SliceDecodingTests {
    /// The keepalive example of docs/protocol.md, written by hand from the layout.
    static let keepalive = FrameCodecTests.bytes(
        "514b4457" + "01" + "70" + "0000" + "1122334455667788" + "0000000000000005" + "00000008"
            + "0102030405060708" + "aabbccddeeff0011")!

    @Test("a frame in the middle of a buffer decodes as the frame alone; its authenticated bytes keep the buffer's indices")
    func frameInsideABuffer() throws {
        let buffer = [UInt8](repeating: 0xEE, count: 13) + Self.keepalive + [0x51, 0x4b]
        let decoded = try FrameDecoder.decode(slice: buffer[13..<13 + 44])
        #expect(decoded.frame == Frame(sessionID: 0x1122_3344_5566_7788, sequence: 5, message: .keepalive(nonce: 0x0102_0304_0506_0708),
                                       tag: 0xAABB_CCDD_EEFF_0011))
        #expect(decoded.authenticatedBytes.startIndex == 13 && decoded.authenticatedBytes.endIndex == 13 + 36)
        #expect(Array(decoded.authenticatedBytes) == Array(Self.keepalive.prefix(36)))
        #expect(decoded == (try FrameDecoder.decode(Self.keepalive)))
    }

    @Test("errors in a slice count offsets from the slice's first byte, as for a frame alone")
    func errorOffsetsAreRelativeToTheSlice() {
        var bad = [UInt8](repeating: 0, count: 7) + Self.keepalive
        bad[7 + 4] = 2  // version 2, at offset 4 of the frame
        #expect(throws: WireError.unsupportedVersion(offset: 4, version: 2)) { try FrameDecoder.decode(slice: bad[7...]) }
        // One byte short: 43 of 44 bytes, one needed.
        let good = [UInt8](repeating: 0, count: 7) + Self.keepalive
        #expect(throws: WireError.truncated(offset: 43, needed: 1)) { try FrameDecoder.decode(slice: good[7..<7 + 43]) }
        // One byte too many after a valid frame.
        let long = [0xEE] + Self.keepalive + [0]
        #expect(throws: WireError.trailingBytes(offset: 44, count: 1)) { try FrameDecoder.decode(slice: long[1...]) }
    }
}
