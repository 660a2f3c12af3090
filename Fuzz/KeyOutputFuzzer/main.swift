import FormatFuzzChecks

/// libFuzzer entry point: a node's key output (JSON lines) through the harness's parser
/// (``KeyOutputCheck``).
@_cdecl("LLVMFuzzerTestOneInput")
public func keyOutputFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    KeyOutputCheck.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
