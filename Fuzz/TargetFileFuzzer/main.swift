import FormatFuzzChecks

/// libFuzzer entry point: a target file's bytes through the harness's parser and checks
/// (``TargetFileCheck``).
@_cdecl("LLVMFuzzerTestOneInput")
public func targetFileFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TargetFileCheck.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
