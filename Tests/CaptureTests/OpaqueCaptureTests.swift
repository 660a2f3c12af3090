import Capture
import Foundation
import TargetFiles
import Testing
import Wire

/// `capture inspect --target`: a protocol qkdspec does not know, cut into messages by the
/// framing its target file declares. The expected messages are worked out by hand from the bytes
/// written below.
@Suite struct OpaqueCaptureTests {
    /// A 2-byte big-endian length at byte 0 that counts the whole message.
    static let framing = MessageFraming(lengthOffset: 0, lengthSize: 2, byteOrder: .big, counts: .message, maxMessageBytes: 64)

    /// Flow 1 (packets 1–3 the handshake): the client sends [00 05 aa bb cc] and the first three
    /// bytes of a 10-byte message in packet 4, the rest of it and the 2-byte message [00 02] in
    /// packet 5; the server sends [00 04 de ad] and then a length of 1 (shorter than the length
    /// field itself: not a message of this framing) in packet 6.
    static func capture() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opaque-\(UUID().uuidString).pcap").path
        let writer = try PcapWriter(path: path)
        let flow = TCPStreamRecorder(writer: writer, client: .init(address: (10, 0, 0, 1), port: 40000), server: .init(address: (10, 0, 0, 2), port: 7000))
        let second: [UInt8] = [0x00, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8]
        flow.record(fromClient: true, [0x00, 0x05, 0xAA, 0xBB, 0xCC] + second.prefix(3))
        flow.record(fromClient: true, Array(second.dropFirst(3)) + [0x00, 0x02])
        flow.record(fromClient: false, [0x00, 0x04, 0xDE, 0xAD, 0x00, 0x01, 0xFF])
        flow.finish()
        writer.close()
        return path
    }

    @Test func messagesAreCutByTheDeclaredFraming() throws {
        let path = try Self.capture()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let analyzer = CaptureAnalyzer()
        analyzer.framing = Self.framing
        analyzer.keepMessages = true
        try analyzer.read(try PcapReader(path: path))
        let s = analyzer.summary
        #expect(s.messages == 4)
        #expect(s.messageList.map(\.packet) == [4, 5, 5, 6])
        #expect(s.messageList.map(\.length) == [5, 10, 2, 4])
        #expect(s.messageList.map(\.summary) == ["header 0005", "header 000a", "header 0002", "header 0004"])
        #expect(s.messageList.allSatisfy { $0.type == "opaque" && $0.session == "" })
        #expect(s.messagesByType["opaque"] == ["10.0.0.1:40000": 3, "10.0.0.2:7000": 1])
        #expect(s.sessions.isEmpty)
        let directions = try #require(s.flows.first).directions
        #expect(directions.map(\.kind) == [.opaque, .opaque] && directions.map(\.frames) == [3, 1])
        // The server's second "message" announces 1 byte: at stream offset 4, packet 6.
        #expect(s.decodeErrorCount == 1)
        let error = try #require(s.decodeErrors.first)
        #expect(error.packet == 6 && error.streamOffset == 4 && error.message.contains("shorter than its own length field"))
    }

    @Test func withoutTheFramingTheBytesAreNotMessages() throws {
        let path = try Self.capture()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let analyzer = CaptureAnalyzer()
        try analyzer.read(try PcapReader(path: path))
        let s = analyzer.summary
        // Read as qkdspec-wire/1, the 17 and 7 bytes never make a 28-byte frame header.
        #expect(s.messages == 0 && s.messagesByType.isEmpty)
        #expect(try #require(s.flows.first).directions.allSatisfy { $0.kind != .opaque && $0.frames == 0 })
    }

    @Test func theReferenceProtocolIsStillDecodedWhenAFramingIsGiven() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opaque-wire-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path)
        let flow = TCPStreamRecorder(writer: writer, client: .init(address: (10, 0, 0, 1), port: 40001), server: .init(address: (10, 0, 0, 2), port: 9000))
        flow.record(fromClient: true, Frame(sessionID: 7, sequence: 0, message: .keepalive(nonce: 1)).encoded())
        flow.finish()
        writer.close()
        let analyzer = CaptureAnalyzer()
        analyzer.framing = Self.framing
        try analyzer.read(try PcapReader(path: path))
        let s = analyzer.summary
        #expect(s.messages == 1 && s.messagesByType["keepalive"] != nil && s.messagesByType["opaque"] == nil && s.decodeErrorCount == 0)
    }
}
