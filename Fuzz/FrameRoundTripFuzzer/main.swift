import WireFuzzChecks

/// libFuzzer entry point: the control-channel codec's properties — every frame that decodes
/// survives decode → encode → decode, a whole frame re-encodes to its bytes, and streaming in two
/// pieces agrees with decoding whole (``FrameRoundTrip``).
@_cdecl("LLVMFuzzerTestOneInput")
public func frameRoundTripFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FrameRoundTrip.check(data, size)
    return 0
}

/// libFuzzer's custom mutator: its own mutations, then a consistent frame header, so that most
/// inputs reach a payload decoder (``FrameHeaderMutator``). QKDSPEC_FUZZ_PLAIN_MUTATOR=1 turns
/// the header repair off (libFuzzer's mutations alone), to measure what it gains.
@_cdecl("LLVMFuzzerCustomMutator")
public func frameRoundTripMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    FrameHeaderMutator.mutate(data, size: size, maxSize: maxSize, seed: seed)
}
