import Vectors

/// libFuzzer entry point: a vector file through the parser, schema validator, linter and the
/// reference (FuzzOracles.vectorFile says what is checked).
@_cdecl("LLVMFuzzerTestOneInput")
public func vectorFileFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzOracles.vectorFile(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
