import Vectors

/// libFuzzer entry point: one shim-protocol line, as an answer the harness judges and as a
/// request the reference shim answers (FuzzOracles.shimLine says what is checked).
@_cdecl("LLVMFuzzerTestOneInput")
public func shimAnswerFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzOracles.shimLine(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
