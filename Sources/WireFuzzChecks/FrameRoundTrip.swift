import Wire

/// What the frame round-trip fuzz target checks on every input: every frame that decodes
/// survives decode → encode → decode as the same value, and — the format being canonical — a
/// frame decoded whole re-encodes to exactly the bytes it came from (then decoding it again
/// would only repeat that decoding, so it is not done); frames found only by streaming (two
/// frames back to back, say) are round-tripped by value. And streaming in two pieces agrees
/// with decoding whole (``FrameDecoding/streamAgreement(_:whole:)``).
package enum FrameRoundTrip {
    package static func check(_ bytes: [UInt8]) {
        let whole = try? FrameDecoder.decode(bytes)
        // Frames found only by streaming: returned by the agreement check, which decoded them.
        let streamed = FrameDecoding.streamAgreement(bytes, whole: whole)
        if let whole {
            let encoded = whole.frame.encoded()
            precondition(FrameDecoding.sameBytes(encoded[...], bytes[...]), "re-encoding changed the frame's bytes")
            return
        }
        for frame in streamed {
            guard let again = try? FrameDecoder.decode(frame.encoded()) else {
                preconditionFailure("a decoded \(CaptureName.of(frame.message)) does not decode after re-encoding")
            }
            precondition(FrameDecoding.sameValue(again.frame, frame), "decode → encode → decode changed a \(CaptureName.of(frame.message))")
        }
    }

    /// The check on libFuzzer's input, copied into the round-trip target's reused array
    /// (``FrameDecoding/input``).
    package static func check(_ data: UnsafePointer<UInt8>, _ size: Int) {
        FrameDecoding.input.withInput(data, size) { check($0) }
    }
}

/// A message type's name for a check's message.
enum CaptureName {
    static func of(_ m: Message) -> String {
        MessageType(rawValue: m.type).map { "\($0)" } ?? "type 0x\(String(m.type, radix: 16))"
    }
}
