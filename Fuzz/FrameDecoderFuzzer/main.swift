import WireFuzzChecks

/// libFuzzer entry point: the control-channel frame decoder, strictly, on untrusted bytes
/// (``FrameDecoding``). The codec's properties (round trip, streaming) are FrameRoundTripFuzzer's.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FrameDecoding.decode(data, size)
    return 0
}

/// libFuzzer's custom mutator: its own mutations, then a consistent frame header, so that most
/// inputs reach a payload decoder (``FrameHeaderMutator``). QKDSPEC_FUZZ_PLAIN_MUTATOR=1 turns
/// the header repair off (libFuzzer's mutations alone), to measure what it gains.
@_cdecl("LLVMFuzzerCustomMutator")
public func frameDecoderMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    FrameHeaderMutator.mutate(data, size: size, maxSize: maxSize, seed: seed)
}
