import Testing
@testable import Wire

@Suite("Wire frame codec")
struct FrameCodecTests {
    @Test("decode ∘ encode = identity over 5 000 generated frames of every type")
    func roundTrip() throws {
        var g = MessageGenerator(seed: 1)
        var types = Set<UInt8>()
        for i in 0..<5_000 {
            let frame = Frame(sessionID: g.u64(), sequence: UInt64(i), message: g.message(), tag: g.u64())
            types.insert(frame.message.type)
            let bytes = frame.encoded()
            let decoded = try FrameDecoder.decode(bytes)
            #expect(decoded.frame == frame)
            #expect(Array(decoded.authenticatedBytes) == Array(bytes.dropLast(8)))
        }
        #expect(types.count == MessageType.allCases.count)
    }

    @Test("the keepalive example of docs/protocol.md, byte for byte")
    func documentedExample() throws {
        // Written by hand from the layout, independent of the encoder.
        let hex = "514b4457" + "01" + "70" + "0000" + "1122334455667788" + "0000000000000005" + "00000008"
            + "0102030405060708" + "aabbccddeeff0011"
        let bytes = try #require(Self.bytes(hex))
        let frame = Frame(sessionID: 0x1122_3344_5566_7788, sequence: 5, message: .keepalive(nonce: 0x0102_0304_0506_0708),
                          tag: 0xAABB_CCDD_EEFF_0011)
        #expect(frame.encoded() == bytes)
        #expect(try FrameDecoder.decode(bytes).frame == frame)
    }

    @Test("the CONFIRMATION_RESULT example of docs/protocol.md, byte for byte; a match byte other than 0/1 is refused")
    func confirmationResultExample() throws {
        // Written by hand from the layout, independent of the encoder.
        let hex = "514b4457" + "01" + "52" + "0000" + "1122334455667788" + "0000000000000009" + "00000019"
            + "0000000000000003" + "000102030405060708090a0b0c0d0e0f" + "01" + "3333333333333333"
        let bytes = try #require(Self.bytes(hex))
        let frame = Frame(sessionID: 0x1122_3344_5566_7788, sequence: 9,
                          message: .confirmationResult(ConfirmationResult(frame: 3, keyID: Array(0..<16), match: true)),
                          tag: 0x3333_3333_3333_3333)
        #expect(frame.encoded() == bytes)
        #expect(try FrameDecoder.decode(bytes).frame == frame)
        var bad = bytes
        bad[28 + 24] = 2
        #expect(throws: WireError.self) { try FrameDecoder.decode(bad) }
        #expect(AbortReason(rawValue: 8) == .noSinglePhotonKey)
    }

    static func bytes(_ hex: String) -> [UInt8]? {
        var out = [UInt8](), i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            guard let b = UInt8(hex[i..<j], radix: 16) else { return nil }
            out.append(b); i = j
        }
        return out
    }

    @Test("every truncation of a valid frame is a typed error at the right place, never a crash")
    func truncations() throws {
        var g = MessageGenerator(seed: 2)
        for _ in 0..<40 {
            let bytes = Frame(sessionID: 1, sequence: 2, message: g.message()).encoded()
            for cut in 0..<bytes.count {
                do {
                    _ = try FrameDecoder.decode(Array(bytes.prefix(cut)))
                    Issue.record("a frame cut at \(cut) of \(bytes.count) bytes decoded")
                } catch let e {
                    if case .truncated = e {} else { Issue.record("cut at \(cut): \(e)") }
                }
            }
        }
    }

    @Test("malformed headers: magic, version, reserved flags, oversized length, unknown type")
    func malformedHeaders() throws {
        let good = Frame(sessionID: 9, sequence: 0, message: .keepalive(nonce: 1)).encoded()
        var bad = good; bad[0] = 0x00
        #expect(throws: WireError.badMagic(offset: 0, found: 0x004B_4457)) { try FrameDecoder.decode(bad) }
        bad = good; bad[4] = 2
        #expect(throws: WireError.unsupportedVersion(offset: 4, version: 2)) { try FrameDecoder.decode(bad) }
        bad = good; bad[7] = 0x02
        #expect(throws: WireError.self) { try FrameDecoder.decode(bad) }
        // A header claiming a 2 GiB payload is refused from its 28 bytes alone.
        bad = Array(good.prefix(28)); bad[24] = 0x7f
        #expect(throws: WireError.frameTooLong(offset: 24, length: 0x7f00_0008, limit: Frame.maximumPayload)) {
            try FrameDecoder.decode(bad)
        }
        var stream = FrameDecoder()
        stream.append(bad)
        #expect(throws: WireError.self) { _ = try stream.next() }
        // Unknown type 0x7e: an error, unless the sender marked it IGNORABLE.
        bad = good; bad[5] = 0x7e
        #expect(throws: WireError.unknownMessageType(offset: 5, type: 0x7e)) { try FrameDecoder.decode(bad) }
        bad[7] = 0x01
        #expect(try FrameDecoder.decode(bad).frame.message == .ignored(type: 0x7e, payload: Array(good[28..<36])))
        // One byte past the tag.
        #expect(throws: WireError.trailingBytes(offset: good.count, count: 1)) { try FrameDecoder.decode(good + [0]) }
    }

    @Test("malformed payloads: lying counts, stray bits, bad booleans, empty ranges, mismatched lengths")
    func malformedPayloads() throws {
        func frame(_ type: MessageType, _ payload: [UInt8]) -> [UInt8] {
            var w = ByteWriter()
            w.u32(Frame.magic); w.u8(1); w.u8(type.rawValue); w.u16(0); w.u64(1); w.u64(0); w.u32(UInt32(payload.count))
            w.raw(payload); w.u64(0)
            return w.bytes
        }
        // SIFTING_BASES claiming 4 million offsets in a 20-byte payload.
        var w = ByteWriter(); w.u64(1); w.u32(4_000_000); w.u32(0); w.u32(0)
        #expect(throws: WireError.self) { try FrameDecoder.decode(frame(.siftingBases, w.bytes)) }
        // A bit string with a bit set beyond its length.
        // The matches' length (3) sits at 36, after the 28-byte header and the block number; its
        // one byte, 0xff, at 40 has five bits past the length.
        w = ByteWriter(); w.u64(1); w.u32(3); w.u8(0xff); w.u32(0)
        #expect(throws: WireError.invalidField(offset: 40, field: "matches", reason: "bits set beyond the 3-bit length")) {
            try FrameDecoder.decode(frame(.siftingResult, w.bytes))
        }
        // A boolean of 2.
        w = ByteWriter(); w.u64(1); w.u8(2)
        #expect(throws: WireError.invalidField(offset: 36, field: "match", reason: "boolean must be 0 or 1, got 2")) {
            try FrameDecoder.decode(frame(.verificationResult, w.bytes))
        }
        // A parity query for an empty range, the second of its entry: header 28 + entries 4 +
        // frame 8 + round 4 + query count 4 + the first query's 10 bytes puts it at offset 58.
        w = ByteWriter(); w.u32(1); w.u64(1); w.u32(0); w.u32(2); w.u16(0); w.u32(1); w.u32(2); w.u16(0); w.u32(5); w.u32(5)
        #expect(throws: WireError.invalidField(offset: 58, field: "parity query", reason: "empty range 5..<5")) {
            try FrameDecoder.decode(frame(.cascadeRequest, w.bytes))
        }
        // Bases that do not match the offsets.
        // Block (28–35), count 2 (36), offsets (40–47): the bases' length, 3, is read at 48.
        w = ByteWriter(); w.u64(1); w.u32(2); w.u32(7); w.u32(9); w.u32(3); w.u8(0)
        #expect(throws: WireError.invalidField(offset: 48, field: "bases", reason: "3 bases for 2 offsets")) {
            try FrameDecoder.decode(frame(.siftingBases, w.bytes))
        }
        // The sentence a refusal prints is made when it is printed, from the numbers it keeps.
        let refusal = WireError.invalidField(offset: 40, field: "offset count", reason: .countExceeds(4_000_000, limit: 1_048_576))
        #expect(refusal.description == "invalid offset count at byte 40: count 4000000 exceeds 1048576")
        #expect(refusal == .invalidField(offset: 40, field: "offset count", reason: "count 4000000 exceeds 1048576"))
        // An unknown abort reason, and trailing payload bytes.
        w = ByteWriter(); w.u64(1); w.u16(999); w.u16(0)
        #expect(throws: WireError.self) { try FrameDecoder.decode(frame(.abort, w.bytes)) }
        w = ByteWriter(); w.u64(1); w.u8(0)
        #expect(throws: WireError.trailingBytes(offset: 36, count: 1)) { try FrameDecoder.decode(frame(.keepalive, w.bytes)) }
        // Text that is not UTF-8.
        w = ByteWriter(); w.u16(2); w.raw([0xff, 0xfe])
        #expect(throws: WireError.self) { try FrameDecoder.decode(frame(.close, w.bytes)) }
    }

    /// Fuzzer findings, kept as regression tests (Fuzz/crashes/ held the inputs).
    @Test("regression: an IGNORABLE frame of an unknown type re-encodes byte for byte, payload included")
    func ignorableRoundTrip() throws {
        // FrameDecoderFuzzer-crash-ba426dbc: type 0x7e, IGNORABLE, a 2-byte payload.
        let bytes = try #require(Self.bytes("514b4457017e0001112233445566778800000000000000000000000200010000000000000000"))
        let decoded = try FrameDecoder.decode(bytes)
        #expect(decoded.frame.message == .ignored(type: 0x7e, payload: [0x00, 0x01]))
        #expect(decoded.frame.encoded() == bytes)
    }

    @Test("the stream decoder reassembles frames split at every byte and reports their offsets")
    func streaming() throws {
        var g = MessageGenerator(seed: 3)
        let frames = (0..<30).map { Frame(sessionID: 4, sequence: UInt64($0), message: g.message()) }
        let stream = frames.flatMap { $0.encoded() }
        for chunk in [1, 7, 64, 4096] {
            var d = FrameDecoder()
            var out = [Frame]()
            var i = 0
            while i < stream.count {
                d.append(stream[i..<min(i + chunk, stream.count)])
                while let f = try d.next() { out.append(f.frame) }
                i += chunk
            }
            #expect(out == frames)
            #expect(d.pendingBytes == 0 && d.streamOffset == stream.count)
        }
    }
}
