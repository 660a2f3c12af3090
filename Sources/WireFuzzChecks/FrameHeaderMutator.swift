import CFuzzerSupport
import Foundation
import Wire

/// The frame-decoder target's structure-aware mutator: libFuzzer's own byte mutations, then the
/// header put back in order — magic, version, no reserved flag bits and, above all, a payload
/// length that matches the bytes there are — so that most inputs pass the header checks and
/// reach the payload decoders (a random length is wrong almost always, and a wrong length ends
/// decoding before the payload is looked at). One input in eight keeps its mutated header, so
/// the header checks stay fuzzed too.
package enum FrameHeaderMutator {
    /// Mutates `data[0..<size]` in place (at most `maxSize` bytes); returns the new size.
    package static func mutate(_ data: UnsafeMutablePointer<UInt8>, size: Int, maxSize: Int, seed: UInt32) -> Int {
        var size = qkdspec_fuzzer_mutate(data, size, maxSize)
        guard !plainRequested, seed % 8 != 0 else { return size }
        let minimum = Frame.headerBytes + Frame.tagBytes
        if size < minimum, maxSize >= minimum {
            // Too short for a frame: grow to an empty payload (zero bytes: a tag of 0).
            for i in size..<minimum { data[i] = 0 }
            size = minimum
        }
        guard size >= minimum else { return size }
        let buffer = UnsafeMutableBufferPointer(start: data, count: size)
        fixHeader(buffer, seed: seed)
        return size
    }

    /// Puts a valid header on `frame` whose payload is every byte between header and tag.
    static func fixHeader(_ frame: UnsafeMutableBufferPointer<UInt8>, seed: UInt32) {
        let magic = Frame.magic
        for i in 0..<4 { frame[i] = UInt8(truncatingIfNeeded: magic >> UInt32(24 - 8 * i)) }
        frame[4] = Frame.version
        // Keep the mutated type when the protocol knows it; otherwise pick one from the seed,
        // so every payload decoder gets its share.
        if MessageType(rawValue: frame[5]) == nil && frame[7] & 1 == 0 {
            frame[5] = types[Int(seed >> 3) % types.count]
        }
        frame[6] = 0
        frame[7] &= UInt8(Frame.ignorableFlag)
        let length = UInt32(frame.count - Frame.headerBytes - Frame.tagBytes)
        for i in 0..<4 { frame[24 + i] = UInt8(truncatingIfNeeded: length >> UInt32(24 - 8 * i)) }
    }

    /// Every message type's byte, made once: `MessageType.allCases` builds a new array on each
    /// call, and the mutator runs once per input.
    static let types = MessageType.allCases.map(\.rawValue)

    /// QKDSPEC_FUZZ_PLAIN_MUTATOR=1: libFuzzer's mutations alone, no header repair (to measure
    /// what the repair gains). Read once.
    static let plainRequested = ProcessInfo.processInfo.environment["QKDSPEC_FUZZ_PLAIN_MUTATOR"] == "1"

    /// Whether libFuzzer is linked in (the mutator then does more than fix headers).
    package static var fuzzerLinked: Bool { qkdspec_fuzzer_linked() != 0 }
}
