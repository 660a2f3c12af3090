import Wire

/// What the frame-decoder fuzz target checks on every input: strict decoding never traps, and
/// every frame that decodes survives decode → encode → decode as the same value (and, the
/// format being canonical, re-encodes to exactly the bytes it came from). The stream decoder,
/// fed the same bytes in two pieces, must agree.
package enum FrameRoundTrip {
    package static func check(_ bytes: [UInt8]) {
        let whole = try? FrameDecoder.decode(bytes)
        if let whole { checkRoundTrip(whole.frame, original: bytes[...]) }
        var stream = FrameDecoder()
        let cut = bytes.count / 2
        stream.append(bytes[0..<cut])
        var streamed: [Frame] = []
        if let first = try? stream.next() { streamed.append(first.frame) }
        stream.append(bytes[cut...])
        while let next = try? stream.next() { streamed.append(next.frame) }
        if let whole {
            // One frame, already round-tripped: streaming must find exactly it (no need to
            // round-trip the same value twice — this is the common case, and the hot path).
            precondition(streamed.count == 1 && sameValue(streamed[0], whole.frame), "streaming in two pieces disagrees with whole-frame decoding")
        } else {
            for frame in streamed { checkRoundTrip(frame, original: nil) }
        }
    }

    /// decode(encode(frame)) is the same frame; when the frame was decoded from `original`, its
    /// encoding is exactly those bytes.
    static func checkRoundTrip(_ frame: Frame, original: ArraySlice<UInt8>?) {
        let encoded = frame.encoded()
        if let original { precondition(encoded.elementsEqual(original), "re-encoding changed the frame's bytes") }
        guard let again = try? FrameDecoder.decode(encoded) else {
            preconditionFailure("a decoded \(CaptureName.of(frame.message)) does not decode after re-encoding")
        }
        precondition(sameValue(again.frame, frame), "decode → encode → decode changed a \(CaptureName.of(frame.message))")
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

/// A message type's name for a check's message.
enum CaptureName {
    static func of(_ m: Message) -> String {
        MessageType(rawValue: m.type).map { "\($0)" } ?? "type 0x\(String(m.type, radix: 16))"
    }
}
