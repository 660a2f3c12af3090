import CaptureFuzzChecks

/// libFuzzer entry point: the bytes as a pcap or pcapng file, opened by libpcap from memory
/// (`fmemopen` + `pcap_fopen_offline`), then the capture analyzer — dissection, TCP reassembly,
/// control-stream and QLI decoding — and the offline audit over every packet
/// (``CapturePcapCheck``).
@_cdecl("LLVMFuzzerTestOneInput")
public func capturePcapFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    CapturePcapCheck.check(UnsafeBufferPointer(start: data, count: size))
    return 0
}
