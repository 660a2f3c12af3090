import Wire

/// libFuzzer entry point: the quantum-layer interface decoder, with the same canonical
/// round-trip oracle as the frame decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func quantumLayerFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let block = try? QuantumLayerDecoder.decode(bytes) {
        precondition(block.encoded() == bytes, "round trip changed the block")
    }
    var stream = QuantumLayerDecoder()
    stream.append(bytes)
    while let block = try? stream.next() {
        precondition((try? QuantumLayerDecoder.decode(block.encoded())) == block, "a streamed block does not round-trip")
    }
    return 0
}
