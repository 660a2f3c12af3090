/// libFuzzer entry point that does nothing: the same build (release, fuzzer + address sanitizers)
/// and the same seeds, dictionary and input limit as the target it is run beside, so its rate is
/// what libFuzzer and the sanitizers cost on this machine at this minute. `Fuzz/run.sh` times it
/// right after each target and prints the target's rate as a share of it: a figure that moves
/// far less with the machine's load than the raw executions per second do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFloor(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    0
}
