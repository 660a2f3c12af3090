import Foundation
import TargetFiles
import Testing
import Wire

/// A declared framing cuts an opaque protocol's stream into its messages, and refuses lengths it
/// cannot hold without allocating them.
@Suite("Declared message framing")
struct MessageFramingTests {
    @Test("wire/1 declared as a framing cuts a stream into the frames Wire's own decoder finds, however the bytes arrive")
    func wireFramesAsDeclared() throws {
        // Three frames of different sizes; the framing knows nothing of the protocol but the
        // length field at offset 24 (docs/protocol.md's header) and the 8-byte tag after the payload.
        let frames = [Frame(sessionID: 7, sequence: 0, message: .close(reason: "a")),
                      Frame(sessionID: 7, sequence: 1, message: .close(reason: String(repeating: "b", count: 300))),
                      Frame(sessionID: 7, sequence: 2, message: .close(reason: ""))].map { $0.encoded() }
        let stream = frames.flatMap { $0 }
        for chunk in [1, 7, 29, 1000] {
            var splitter = MessageSplitter(framing: .referenceWire)
            var out: [[UInt8]] = []
            for start in stride(from: 0, to: stream.count, by: chunk) {
                splitter.append(Array(stream[start..<min(stream.count, start + chunk)]))
                while let m = try splitter.next() { out.append(m) }
            }
            #expect(out == frames, "chunks of \(chunk)")
            #expect(splitter.pendingBytes.isEmpty)
        }
    }

    @Test("sizes by hand: a little-endian u16 counting the whole message; a big-endian u32 counting the rest, plus a trailer")
    func sizesByHand() throws {
        // counts: message, u16 LE at offset 2: bytes 0x0a 0x00 = 10 → the message is 10 bytes.
        let le = MessageFraming(lengthOffset: 2, lengthSize: 2, byteOrder: .little, counts: .message)
        #expect(try le.messageSize(header: [9, 9, 0x0A, 0x00]).get() == 10)
        // counts: rest, u32 BE at offset 1 = 0x0000_0105 = 261, plus 4 trailing bytes: 1 + 4 + 261 + 4 = 270.
        let be = MessageFraming(lengthOffset: 1, lengthSize: 4, counts: .rest, extraBytes: 4)
        #expect(try be.messageSize(header: [0xEE, 0, 0, 1, 5]).get() == 270)
        // A length shorter than the field itself, and one past the limit, are not messages.
        #expect(throws: FramingProblem.self) { try le.messageSize(header: [0, 0, 3, 0]).get() }
        let small = MessageFraming(lengthOffset: 0, lengthSize: 8, counts: .message, maxMessageBytes: 1000)
        #expect(throws: FramingProblem.self) { try small.messageSize(header: [UInt8](repeating: 0xFF, count: 8)).get() }
        #expect(throws: FramingProblem.self) { try small.messageSize(header: [0, 0, 0, 0, 0, 0, 0x03, 0xE9]).get() }  // 1001
        #expect(try small.messageSize(header: [0, 0, 0, 0, 0, 0, 0x03, 0xE8]).get() == 1000)
    }

    @Test("a splitter holds no more than one message: a huge announced length is refused, not awaited")
    func hugeLengthRefused() {
        var splitter = MessageSplitter(framing: MessageFraming(lengthOffset: 0, lengthSize: 4, counts: .message, maxMessageBytes: 4096))
        splitter.append([0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(throws: FramingProblem.self) { try splitter.next() }
    }

    @Test("a target file's framing is checked when it loads, naming the field")
    func checked() {
        #expect(throws: HarnessError.self) { try MessageFraming(lengthOffset: 0, lengthSize: 3, counts: .message).check() }
        #expect(throws: HarnessError.self) { try MessageFraming(lengthOffset: 8, lengthSize: 4, counts: .rest, maxMessageBytes: 4).check() }
        #expect(throws: Never.self) { try MessageFraming.referenceWire.check() }
    }
}
