import Testing
@testable import Wire

/// `FrameDecoder.decodeFrame(borrowing:)`: a frame decoded from bytes it only borrows (how
/// `capture inspect` reads the frames that lie whole in a packet). It must agree with
/// `decode(slice:)` on every input: the same frame, or the same error at the same offset.
@Suite("Wire frame decoding from borrowed bytes")
struct BorrowedDecodingTests {
    /// What `decode(slice:)` says about `bytes`: the frame or the error.
    static func viaSlice(_ bytes: [UInt8]) -> Result<Frame, WireError> {
        do { return .success(try FrameDecoder.decode(slice: bytes[...]).frame) } catch { return .failure(error) }
    }

    static func viaBorrow(_ bytes: [UInt8]) -> Result<Frame, WireError> {
        bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) -> Frame in try FrameDecoder.decodeFrame(borrowing: raw) }
        }
    }

    @Test("the keepalive of docs/protocol.md, written by hand, decodes to its fields")
    func handWrittenKeepalive() throws {
        let frame = try SliceDecodingTests.keepalive.withUnsafeBytes { try FrameDecoder.decodeFrame(borrowing: $0) }
        #expect(frame == Frame(sessionID: 0x1122_3344_5566_7788, sequence: 5, message: .keepalive(nonce: 0x0102_0304_0506_0708),
                               tag: 0xAABB_CCDD_EEFF_0011))
    }

    @Test("hand-made faults give the errors the frame layout predicts")
    func handMadeFaults() {
        let k = SliceDecodingTests.keepalive
        var version = k; version[4] = 2
        #expect(Self.viaBorrow(version) == .failure(.unsupportedVersion(offset: 4, version: 2)))
        #expect(Self.viaBorrow(Array(k.prefix(43))) == .failure(.truncated(offset: 43, needed: 1)))
        #expect(Self.viaBorrow(k + [0]) == .failure(.trailingBytes(offset: 44, count: 1)))
        // Payload length 7 (header says so, one byte less): the nonce is cut at payload offset 28.
        var short = Array(k.prefix(35)) + Array(k.suffix(8)); short[27] = 7
        #expect(Self.viaBorrow(short) == .failure(.truncated(offset: 28, needed: 1)))
        var unknown = k; unknown[5] = 0x7F
        #expect(Self.viaBorrow(unknown) == .failure(.unknownMessageType(offset: 5, type: 0x7F)))
        unknown[7] = 1  // IGNORABLE: kept whole
        #expect(Self.viaBorrow(unknown) == .success(Frame(sessionID: 0x1122_3344_5566_7788, sequence: 5, flags: 1,
                                                          message: .ignored(type: 0x7F, payload: Array(k[28..<36])),
                                                          tag: 0xAABB_CCDD_EEFF_0011)))
    }

    @Test("random frames of every type, whole, cut short, extended and with one byte changed: the same answer as decode(slice:)")
    func agreesWithSliceDecoding() {
        var g = MessageGenerator(seed: 13)
        for i in 0..<600 {
            let bytes = Frame(sessionID: g.u64(), sequence: UInt64(i), message: g.message(), tag: g.u64()).encoded()
            var variants = [bytes, Array(bytes.dropLast()), bytes + [0x00], Array(bytes.prefix(Int(g.u32(below: UInt32(bytes.count)))))]
            var flipped = bytes
            let at = Int(g.u32(below: UInt32(bytes.count)))
            flipped[at] ^= UInt8(1 + g.u32(below: 255))
            variants.append(flipped)
            for v in variants {
                #expect(Self.viaBorrow(v) == Self.viaSlice(v), "frame \(i), \(v.count) bytes")
            }
        }
    }
}
