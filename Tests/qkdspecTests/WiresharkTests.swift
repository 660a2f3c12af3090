import Foundation
import Testing

@Suite("Wireshark dissector")
struct WiresharkTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func tshark(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tshark"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "tshark failed; is it installed (make setup installs it)?")
        return String(decoding: data, as: UTF8.self)
    }

    @Test("tshark with tools/wireshark/qkdspec.lua decodes a capture recorded from the demo")
    func decodesDemoCapture() throws {
        let pcap = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-demo-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: pcap) }
        let demo = try QKDSpecBinary.run(["demo", "--distance-km", "10", "--blocks", "2", "--block-pulses", "4194304",
                                          "--frame-bits", "32768", "--pcap", pcap, "--format", "json"], timeout: 300)
        #expect(demo.status == 0, "\(demo.stderr)")
        let lua = Self.repository.appendingPathComponent("tools/wireshark/qkdspec.lua").path
        let fields = try tshark(["-X", "lua_script:\(lua)", "-r", pcap, "-Y", "qkdw", "-T", "fields", "-E", "separator=;",
                                 "-e", "ip.src", "-e", "qkdw.type", "-e", "qkdw.sequence", "-e", "qkdw.hello.role",
                                 "-e", "qkdw.parameters.qber_threshold", "-e", "qkdw.parameters.frame_bits",
                                 "-e", "qkdw.parameters.cascade", "-e", "qkdw.pa.final_bits"])
        // One row per packet; several frames in one segment are comma-separated within a column.
        var frames = [(source: String, type: String, sequence: Int)]()
        var threshold: Double?, frameBits: Int?, variant: Int?, finalBits = 0, aliceRole: Int?
        for line in fields.split(separator: "\n") {
            let c = line.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            guard c.count >= 8 else { continue }
            let types = c[1].split(separator: ","), sequences = c[2].split(separator: ",")
            for (t, s) in zip(types, sequences) { frames.append((c[0], String(t), Int(s) ?? -1)) }
            if let r = Int(c[3].split(separator: ",").first ?? ""), c[0] == "127.0.0.1" { aliceRole = r }
            if let v = Double(c[4]) { threshold = v }
            if let v = Int(c[5]) { frameBits = v }
            if let v = Int(c[6]) { variant = v }
            finalBits += c[7].split(separator: ",").compactMap { Int($0) }.reduce(0, +)
        }
        #expect(frames.first?.type == "0x01", "the session opens with Alice's HELLO")
        #expect(aliceRole == 0)
        #expect(threshold == 0.05 && frameBits == 32768 && variant == 2)
        #expect(frames.contains { $0.type == "0x30" } && frames.contains { $0.type == "0x31" })
        #expect(frames.last?.type == "0x71", "the session ends with CLOSE")
        #expect(finalBits > 0)
        // Sequence numbers run 0, 1, 2, … in each direction.
        for source in ["127.0.0.1", "127.0.0.2"] {
            let seqs = frames.filter { $0.source == source }.map(\.sequence)
            #expect(!seqs.isEmpty && seqs == Array(0..<seqs.count), "\(source)")
        }
    }
}
