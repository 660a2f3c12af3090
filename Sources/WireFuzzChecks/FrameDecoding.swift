import Foundation
import Wire

/// What the fuzz targets check of the frame decoder. The frame-decoder target runs ``decode(_:)``
/// alone — strict decoding of untrusted bytes must never trap, hang or touch memory it should
/// not — so that the parser every peer's bytes reach first is fuzzed at its full rate (every
/// extra check is more code run per input, and libFuzzer's per-input cost grows with it). The
/// round-trip target adds the properties (``streamAgreement(_:whole:)`` and ``FrameRoundTrip``).
package enum FrameDecoding {
    /// The frame-decoder target: the bytes decoded as one frame, strictly, where they lie, by
    /// ``FrameDecoder/decodeFrame(borrowing:)`` — the entry `capture inspect` reads every frame
    /// of an untrusted file with. It checks the header itself and decodes a well-formed frame's
    /// payload in place; anything else (a bad header, a length that disagrees with the bytes, an
    /// unknown type) it hands to ``FrameDecoder/decode(slice:)``, the stream decoder's path, so
    /// both entries' header checks and the one payload codec are fuzzed. The payload of a
    /// well-formed frame read through a slice (the node's path) is the round-trip target's.
    package static func decode(_ bytes: UnsafeRawBufferPointer) {
        _ = try? FrameDecoder.decodeFrame(borrowing: bytes)
    }

    /// The frame-decoder target on bytes kept in an array (a replayed finding).
    package static func decode(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { decode($0) }
    }

    /// The frame-decoder target on libFuzzer's input, read where libFuzzer put it: a heap copy
    /// of exactly the input's size, so a read past its end lands in the allocation's redzone and
    /// is reported, with no copy of ours.
    package static func decode(_ data: UnsafePointer<UInt8>, _ size: Int) {
        decode(UnsafeRawBufferPointer(start: data, count: size))
    }

    /// The longest input the round-trip target is run with (`Fuzz/run.sh`'s `-max_len`); a
    /// longer one gets an array of its own.
    package static let maximumInput = 1 << 16

    /// The array every input of the round-trip target is copied into (its checks take arrays).
    /// libFuzzer runs a target's inputs one at a time on one thread, so one buffer serves them all.
    nonisolated(unsafe) package static var input = FuzzInputBuffer(capacity: maximumInput)

    /// The stream decoder, fed `bytes` in two pieces, agrees with decoding them whole (`whole`):
    /// the same frame, framed from the same bytes, nothing left over; and when the bytes are not
    /// one frame, every frame the stream finds decodes on its own to the same value. Returns
    /// those frames (none when the bytes are one frame), for the round trip.
    package static func streamAgreement(_ bytes: [UInt8], whole: FrameDecoder.Decoded?) -> [Frame] {
        var stream = FrameDecoder()
        let cut = bytes.count / 2
        stream.append(bytes[0..<cut])
        if let whole {
            // One frame: streaming must frame exactly these bytes, with the same header and tag.
            // Its payload is the same bytes through the same function, so it is not decoded again.
            var raw = try? stream.nextRaw()
            precondition(raw == nil, "streaming framed a frame from half its bytes")
            stream.append(bytes[cut...])
            raw = try? stream.nextRaw()
            guard let raw else { preconditionFailure("streaming in two pieces does not frame a frame that decodes whole") }
            precondition(sameBytes(raw.bytes, bytes[...]) && raw.sessionID == whole.frame.sessionID && raw.sequence == whole.frame.sequence
                             && raw.type == whole.frame.message.type && raw.tag == whole.frame.tag && stream.pendingBytes == 0,
                         "streaming in two pieces disagrees with whole-frame decoding")
            return []
        }
        // Not one frame. The stream frames what it can; a frame that is the whole input failed in
        // its payload above, and decoding the same bytes again would fail the same way, so only
        // frames that are part of the input are decoded (stopping at the first that fails, as a
        // receiver would).
        var streamed: [Frame] = []
        var failed = false
        func take() {
            while !failed, let raw = try? stream.nextRaw() {
                if raw.bytes.count == bytes.count { return }
                guard let decoded = try? FrameDecoder.decode(raw) else {
                    failed = true
                    return
                }
                // A frame the stream found is a frame on its own: its bytes (header, payload and
                // tag) decode whole to the same value.
                guard let alone = try? FrameDecoder.decode(slice: raw.bytes) else {
                    preconditionFailure("a frame found by streaming does not decode on its own")
                }
                precondition(sameValue(alone.frame, decoded.frame), "a frame found by streaming decodes on its own to another value")
                streamed.append(decoded.frame)
            }
        }
        take()
        stream.append(bytes[cut...])
        take()
        return streamed
    }

    /// Byte equality by one `memcmp`: an element-by-element comparison in instrumented code
    /// costs a coverage callback per byte, and this runs on every input.
    static func sameBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                guard let p = x.baseAddress, let q = y.baseAddress else { return true }
                return memcmp(p, q, x.count) == 0
            }
        }
    }

    /// Frame equality, except that a NaN in a parameters message equals the same NaN (Double's
    /// == says NaN ≠ NaN; the bytes are what the protocol carries).
    static func sameValue(_ a: Frame, _ b: Frame) -> Bool {
        if case .parameters(let p) = a.message, case .parameters(let q) = b.message {
            var a2 = a, b2 = b
            let bits = [p.qberThreshold, p.epsilonSecrecy, p.epsilonCorrectness, p.sampleFraction].map(\.bitPattern)
            let bits2 = [q.qberThreshold, q.epsilonSecrecy, q.epsilonCorrectness, q.sampleFraction].map(\.bitPattern)
            guard bits == bits2 else { return false }
            var p0 = p, q0 = q
            p0.qberThreshold = 0; p0.epsilonSecrecy = 0; p0.epsilonCorrectness = 0; p0.sampleFraction = 0
            q0.qberThreshold = 0; q0.epsilonSecrecy = 0; q0.epsilonCorrectness = 0; q0.sampleFraction = 0
            a2.message = .parameters(p0)
            b2.message = .parameters(q0)
            return a2 == b2
        }
        return a == b
    }
}
