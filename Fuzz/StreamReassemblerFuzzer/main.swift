import CaptureFuzzChecks

/// libFuzzer entry point: the input as TCP segments of one direction, fed to the reassembler,
/// whose invariants ``StreamReassemblyCheck`` checks.
@_cdecl("LLVMFuzzerTestOneInput")
public func streamReassemblerFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    StreamReassemblyCheck.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
