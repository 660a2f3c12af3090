import Wire

/// libFuzzer entry point: the control-channel frame decoder. Anything that decodes must
/// re-encode to exactly the input bytes (the format is canonical), which also proves the
/// re-encoded frame decodes to the same value. Malformed input must be a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Whole-frame decoding.
    if let decoded = try? FrameDecoder.decode(bytes) {
        let again = decoded.frame.encoded()
        precondition(again == bytes, "round trip changed the frame")
    }
    // Stream decoding in two pieces must agree with whole-frame decoding on the first frame.
    var stream = FrameDecoder()
    let cut = size / 2
    stream.append(bytes[0..<cut])
    _ = try? stream.next()
    stream.append(bytes[cut...])
    while let next = try? stream.next() {
        precondition(FrameDecoder.decodeRoundTrips(next.frame), "a streamed frame does not round-trip")
    }
    return 0
}
