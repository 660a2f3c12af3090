import Capture
import Foundation
import Testing
import Wire

/// A control direction holds the start of a frame cut by a segment's end until the next
/// segment completes it: inline in its state up to 128 bytes, on the heap beyond. Where the
/// bytes are kept must not show: the frames decoded, and the packet a decode error names (the
/// packet that carried its byte), are worked out here by hand for every segment size.
@Suite struct HeldFrameTests {
    static func frame(_ m: Message, _ n: UInt64) -> [UInt8] { Frame(sessionID: 0xCD, sequence: n, message: m, tag: 0x77).encoded() }

    /// HELLO with a 200-byte node name (28 + 1 + 2 + 200 + 4 + 8 = 243 bytes: held on the heap
    /// when cut), a KEEPALIVE (44 bytes), a KEEPALIVE whose version byte is 2 (a header error at
    /// its byte 4), a KEEPALIVE, a second long HELLO, a KEEPALIVE.
    static let longName = String(repeating: "n", count: 200)
    static let parts: [[UInt8]] = {
        var bad = frame(.keepalive(nonce: 2), 2)
        bad[4] = 2
        return [frame(.hello(Hello(role: .alice, nodeName: longName)), 0), frame(.keepalive(nonce: 1), 1), bad,
                frame(.keepalive(nonce: 3), 3), frame(.hello(Hello(role: .alice, nodeName: longName)), 4), frame(.keepalive(nonce: 5), 5)]
    }()

    @Test("frames of 44 and 243 bytes cut at every segment size from 1 to 300: five frames, one error, named by the packet of its byte")
    func everySegmentSize() throws {
        #expect(Self.parts[0].count == 243 && Self.parts[1].count == 44)
        let stream = Self.parts.flatMap { $0 }
        // The bad frame starts after the first HELLO and a KEEPALIVE; the error is at its byte 4.
        let errorOffset = 243 + 44 + 4
        for size in 1...300 {
            for observed in [false, true] {
                let json = try InPlaceDecodingTests.report(InPlaceDecodingTests.feed(stream, segments: size), observed: observed)
                // Packet 1 is the SYN; stream byte o is in packet 2 + o / size.
                let packet = 2 + errorOffset / size
                #expect(json.contains("\"messages\":5,"), "segments of \(size) bytes: \(json)")
                #expect(json.contains("\"decode_error_count\":1,"), "segments of \(size) bytes: \(json)")
                #expect(json.contains("\"packet\":\(packet),\"streamOffset\":\(errorOffset)"), "segments of \(size) bytes, observed \(observed): \(json)")
            }
        }
    }
}
