import Capture
import Foundation
import Testing
import Wire

/// The per-session tallies of `capture inspect` when a direction's frames switch between
/// sessions (the analyzer remembers each direction's last session to skip the lookup): every
/// switch must still land on the right tally and record the flow.
@Suite struct SessionTallyTests {
    @Test func framesSwitchingSessionsAreCountedPerSession() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path)
        let a: UInt64 = 0xA, b: UInt64 = 0xB, c: UInt64 = 0xC
        func frame(_ session: UInt64, _ sequence: UInt64, _ message: Message = .keepalive(nonce: 1)) -> [UInt8] {
            Frame(sessionID: session, sequence: sequence, message: message).encoded()
        }
        // Flow 1: the client sends A, A, B, A (key confirmation), B; the server sends C.
        let one = TCPStreamRecorder(writer: writer, client: .init(address: (10, 0, 0, 1), port: 40000), server: .init(address: (10, 0, 0, 2), port: 9000))
        one.record(fromClient: true, frame(a, 0) + frame(a, 1))
        one.record(fromClient: true, frame(b, 0))
        one.record(fromClient: true, frame(a, 2, .keyConfirmation(KeyConfirmation(frame: 0, keyID: [UInt8](repeating: 7, count: 16), fingerprint: 1))))
        one.record(fromClient: false, frame(c, 0))
        one.record(fromClient: true, frame(b, 1))
        one.finish()
        // Flow 2: the client sends B, then A.
        let two = TCPStreamRecorder(writer: writer, client: .init(address: (10, 0, 0, 3), port: 40001), server: .init(address: (10, 0, 0, 2), port: 9000))
        two.record(fromClient: true, frame(b, 2))
        two.record(fromClient: true, frame(a, 3))
        two.finish()
        writer.close()

        let analyzer = CaptureAnalyzer()
        try analyzer.read(try PcapReader(path: path))
        let s = analyzer.summary
        // Packets: flow 1 is 3 handshake packets, A A in 4, B in 5, A in 6, C in 7, B in 8 and 3
        // closing packets (9–11); flow 2 is 3 handshake packets (12–14), B in 15, A in 16 and 3
        // closing packets (17–19).
        let sessions = Dictionary(uniqueKeysWithValues: s.sessions.map { ($0.id, $0) })
        let tallyA = try #require(sessions[CaptureAnalyzer.hex(a)])
        let tallyB = try #require(sessions[CaptureAnalyzer.hex(b)])
        let tallyC = try #require(sessions[CaptureAnalyzer.hex(c)])
        #expect(s.sessions.map(\.id) == [a, b, c].map(CaptureAnalyzer.hex))
        #expect(tallyA.frames == 4 && tallyA.flows == [1, 2] && tallyA.firstPacket == 4 && tallyA.lastPacket == 16 && tallyA.keysConfirmed == 1)
        #expect(tallyB.frames == 3 && tallyB.flows == [1, 2] && tallyB.firstPacket == 5 && tallyB.lastPacket == 15 && tallyB.keysConfirmed == 0)
        #expect(tallyC.frames == 1 && tallyC.flows == [1] && tallyC.firstPacket == 7 && tallyC.lastPacket == 7)
        #expect(s.messages == 8 && s.packets == 19 && s.decodeErrorCount == 0)
    }
}
