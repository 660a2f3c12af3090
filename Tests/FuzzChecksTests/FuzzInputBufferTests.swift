import Testing
@testable import WireFuzzChecks

/// The frame targets copy every input into one reused array: each input must come out exactly,
/// whatever the inputs before it, and an input past the capacity must still be whole.
@Suite("Fuzz input buffer")
struct FuzzInputBufferTests {
    @Test("inputs that grow, shrink, empty and overflow the capacity each come out exactly")
    func exactInputs() {
        var buffer = FuzzInputBuffer(capacity: 64)
        // Sizes chosen around the edges: empty, a partial 8-byte granule, the capacity, one
        // past it (a fresh array), then shorter again after a longer one.
        for (n, size) in [0, 5, 64, 3, 65, 200, 17, 0, 40].enumerated() {
            let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }
            let seen = input.withUnsafeBufferPointer { p in
                buffer.withInput(p.baseAddress ?? UnsafePointer(bitPattern: 1)!, size) { $0 }
            }
            #expect(seen == input, "input \(n) of \(size) bytes")
        }
    }
}
