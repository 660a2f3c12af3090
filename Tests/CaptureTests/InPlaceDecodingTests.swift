import Capture
import Foundation
import Testing
import Wire

/// `capture inspect` decodes the frames that lie whole in a packet where they lie, and copies
/// only frames cut by a segment boundary; with an `onFrame` observer (`capture check`, which
/// verifies tags over the authenticated bytes) every byte goes through the reassembly buffer.
/// The two ways must find the same: same frames, decode errors, resynchronisations and packets.
@Suite struct InPlaceDecodingTests {
    /// The summary as JSON (the frames listed), its timing and path left out.
    static func report(_ feed: (CaptureAnalyzer) throws -> Void, observed: Bool) rethrows -> String {
        let analyzer = CaptureAnalyzer()
        analyzer.keepMessages = true
        if observed { analyzer.onFrame = { _ in } }
        try feed(analyzer)
        var s = analyzer.summary
        s.seconds = 0
        s.file = ""  // each run reads its own temporary copy
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(s)) ?? Data(), as: UTF8.self)
    }

    /// An Ethernet frame carrying an IPv4 packet with one TCP segment from 10.0.0.1:40000 to
    /// 10.0.0.2:9000, ACK|PSH (SYN when `syn`).
    static func packet(sequence: UInt32, payload: ArraySlice<UInt8>, syn: Bool = false) -> [UInt8] {
        let total = 20 + 20 + payload.count
        var p: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        p += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        p += [0x9c, 0x40, 0x23, 0x28]
        p += withUnsafeBytes(of: sequence.bigEndian) { Array($0) }
        p += [0, 0, 0, 0, 0x50, syn ? 0x02 : 0x18, 0xff, 0xff, 0, 0, 0, 0]
        return p + payload
    }

    /// Writes `stream` after a SYN, cut into segments of `size` bytes, as a pcap file (through
    /// libpcap) and returns a reader of it for the analyzer.
    static func feed(_ stream: [UInt8], segments size: Int) throws -> (CaptureAnalyzer) throws -> Void {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("inplace-\(size)-\(UInt64.random(in: 0...UInt64.max)).pcap").path
        let writer = try PcapWriter(path: path)
        // Fixed times (1 ms apart), so that two files of the same cut compare equal.
        var time = Date(timeIntervalSince1970: 1_767_225_600)
        writer.write(packet(sequence: 999, payload: [], syn: true), at: time)
        var at = 0
        while at < stream.count {
            let end = min(stream.count, at + size)
            time += 0.001
            writer.write(packet(sequence: 1000 + UInt32(at), payload: stream[at..<end]), at: time)
            at = end
        }
        writer.close()
        return { analyzer in
            defer { try? FileManager.default.removeItem(atPath: path) }
            try analyzer.read(PcapReader(path: path))
        }
    }

    /// A control stream with good frames of several sizes, a frame whose payload does not decode,
    /// garbage between frames and a frame cut off at the end.
    static let stream: [UInt8] = {
        func frame(_ m: Message, _ n: UInt64) -> [UInt8] { Frame(sessionID: 0xAB, sequence: n, message: m, tag: 0x1234).encoded() }
        var s = frame(.hello(Hello(role: .alice, nodeName: "alice")), 0)
        s += frame(.keepalive(nonce: 7), 1)
        var bad = frame(.keepalive(nonce: 8), 2)
        bad[27] = 7  // payload length 7: the nonce is cut short, the frame still 43 bytes long
        bad.remove(at: 35)
        s += bad
        s += frame(.close(reason: "done"), 3)
        s += [0xde, 0xad, 0xbe, 0xef, 0x51, 0x4b]  // not a frame: skipped, then scanned past
        s += frame(.keepalive(nonce: 9), 4)
        s += frame(.parameters(SessionParameters(frameBits: 4096, qberThreshold: 0.05, epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12,
                                                 cascadeVariant: 1, sampleFraction: 0.1, permutationSeed: 3)), 5)
        s += Array(frame(.keepalive(nonce: 10), 6).prefix(30))
        return s
    }()

    @Test("a stream cut into segments of every size from 1 to 90 bytes: the same report both ways")
    func everySegmentSize() throws {
        // The hand count: 5 frames decode (hello, keepalive, close, keepalive, parameters), 2
        // decode errors (the short nonce; the garbage, not a frame header), 1 resynchronisation
        // (the keepalive after the garbage); the last keepalive never completes.
        for size in 1...90 {
            let observed = try Self.report(Self.feed(Self.stream, segments: size), observed: true)
            let inPlace = try Self.report(Self.feed(Self.stream, segments: size), observed: false)
            #expect(inPlace == observed, "segments of \(size) bytes")
            #expect(inPlace.contains("\"messages\":5,"), "segments of \(size) bytes: \(inPlace)")
            #expect(inPlace.contains("\"decode_error_count\":2,"), "segments of \(size) bytes: \(inPlace)")
            #expect(inPlace.components(separatedBy: "frame boundary found").count == 2, "segments of \(size) bytes: \(inPlace)")
        }
    }

    @Test("every file in captures/: the same report both ways")
    func everyCapture() throws {
        for e in try ManifestTests.entries() {
            let path = ManifestTests.folder.appendingPathComponent(e.file).path
            func run(_ a: CaptureAnalyzer) { if let r = try? PcapReader(path: path) { try? a.read(r) } }
            #expect(Self.report(run, observed: false) == Self.report(run, observed: true), "\(e.file)")
        }
    }
}
