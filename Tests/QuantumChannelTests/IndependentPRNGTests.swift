import Foundation
import QKDMath
import Testing
@testable import QuantumChannel

/// Cross-checks the simulator's random layout against vectors/tools/prng_reference.py, an
/// implementation written separately from docs/prng.md in plain Python.
@Suite("Random layout against the independent Python reference")
struct IndependentPRNGTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("vectors/tools/prng_reference.py")

    func python(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.script.path] + arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "python3 prng_reference.py \(arguments) failed; is python3 installed (make setup)?")
        return String(decoding: data, as: UTF8.self)
    }

    @Test("the reference passes Random123's known answers")
    func kat() throws {
        let out = try python(["kat"])
        #expect(out.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count == 3)
    }

    @Test("Alice's records agree pulse for pulse", arguments: [
        (UInt64(7), UInt64(0), [0.7, 0.2, 0.1], 0.5),
        (UInt64(0xDEAD_BEEF_0123), UInt64(1) << 40, [0.5, 0.25, 0.125, 0.125], 0.9),
    ])
    func aliceRecords(seed: UInt64, first: UInt64, probabilities: [Double], pZ: Double) throws {
        let n = 2000
        let out = try python(["alice", String(seed), String(first), String(n),
                              "--probabilities", probabilities.map { String($0) }.joined(separator: ","), "--p-z", String(pZ)])
        let intensities = probabilities.enumerated().map {
            IntensityClass(name: "c\($0.offset)", meanPhotonNumber: $0.offset == 0 ? 0.5 : 0.1 / Double($0.offset), probability: $0.element)
        }
        let sim = try QuantumChannelSimulator(
            scenario: Scenario(intensities: intensities, probabilityZ: pZ, distanceKm: 0), seed: seed)
        let lines = out.split(separator: "\n")
        #expect(lines.count == n)
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let a = sim.aliceRecord(pulse: first + UInt64(i))
            #expect(object["bit"] as? Int == Int(a.bit))
            #expect(object["basis"] as? String == (a.basis == .z ? "Z" : "X"))
            #expect(object["class"] as? Int == Int(a.intensityClass))
        }
    }

    @Test("the gap and pulse streams' words agree", arguments: [(UInt64(7), UInt64(0), UInt32(0)), (UInt64(1) << 63, UInt64(123_456_789_012), UInt32(5))])
    func words(seed: UInt64, index: UInt64, draw: UInt32) throws {
        let g = Philox4x32(seed: seed)
        for stream in [PulseStream.pulse, PulseStream.gaps] {
            let w = g.block(index: index, draw: draw, stream: stream)
            let expected = [w.0, w.1, w.2, w.3].map { String(format: "%08x", $0) }.joined(separator: " ")
            let out = try python(["words", String(seed), String(index), String(draw), String(stream)])
            #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
        }
    }
}
