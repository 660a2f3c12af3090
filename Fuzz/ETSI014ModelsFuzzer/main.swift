import FormatFuzzChecks

/// libFuzzer entry point: ETSI GS QKD 014 request and response bodies (and a GET's query), read
/// strictly by the data-format models; ``ETSI014ModelsCheck`` says what is checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func etsi014ModelsFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ETSI014ModelsCheck.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
