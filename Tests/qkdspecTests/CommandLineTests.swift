import Foundation
import Testing

@Suite("qkdspec command line", .serialized)
struct CommandLineTests {
    @Test("--version and --help with examples")
    func versionAndHelp() throws {
        let v = try QKDSpecBinary.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let help = try QKDSpecBinary.run(["--help"])
        #expect(help.status == 0)
        for word in ["simulate", "rate", "bench", "Examples:", "Exit codes"] { #expect(help.stdout.contains(word)) }
        let simulateHelp = try QKDSpecBinary.run(["simulate", "--help"])
        #expect(simulateHelp.stdout.contains("--eve") && simulateHelp.stdout.contains("qkdspec simulate --distance-km 50"))
    }

    @Test("simulate at 50 km: the JSON has every field and the QBER lies in the 99.9 % interval around the expectation")
    func simulate() throws {
        let object = try QKDSpecBinary.json(["simulate", "--distance-km", "50", "--pulses", "100000000", "--seed", "7", "--format", "json"])
        let r = try #require(object as? [String: Any])
        for key in ["pulses", "detections", "sifted_bits", "qber", "expected_qber", "gain", "expected_gain",
                    "asymptotic_key_rate", "pulses_per_second", "seed"] {
            #expect(r[key] != nil, "missing \(key)")
        }
        #expect(r["pulses"] as? Int == 100_000_000)
        #expect(r["seed"] as? Int == 7)
        let qber = try #require(r["qber"] as? Double), expected = try #require(r["expected_qber"] as? Double)
        let sifted = try #require(r["sifted_bits"] as? Int)
        // Normal approximation, z = 3.29 for 99.9 % two-sided: independent of the tool's own interval.
        let sigma = (expected * (1 - expected) / Double(sifted)).squareRoot()
        #expect(abs(qber - expected) <= 3.29 * sigma, "qber \(qber), expected \(expected) ± \(3.29 * sigma)")
        // 50 km of GYS fibre: η = 0.045·10^(−1.05); the signal's QBER is near e_det = 3.3 %.
        #expect(expected > 0.03 && expected < 0.04)
        let gain = try #require(r["expected_gain"] as? Double)
        let eta = 0.045 * pow(10, -1.05)
        let byHand = 0.7 * (1.7e-6 + 1 - exp(-eta * 0.48)) + 0.2 * (1.7e-6 + 1 - exp(-eta * 0.1)) + 0.1 * 1.7e-6
        #expect(abs(gain / byHand - 1) < 1e-3)
    }

    @Test("the same seed prints the same counts; another seed does not")
    func reproducible() throws {
        let args = ["simulate", "--distance-km", "10", "--pulses", "1e7", "--format", "json"]
        let a = try #require(try QKDSpecBinary.json(args + ["--seed", "3", "--threads", "1"]) as? [String: Any])
        let b = try #require(try QKDSpecBinary.json(args + ["--seed", "3", "--threads", "2"]) as? [String: Any])
        let c = try #require(try QKDSpecBinary.json(args + ["--seed", "4"]) as? [String: Any])
        #expect(a["detections"] as? Int == b["detections"] as? Int)
        #expect(a["qber"] as? Double == b["qber"] as? Double)
        #expect(a["detections"] as? Int != c["detections"] as? Int)
    }

    @Test("intercept-resend on every pulse shows in the QBER")
    func eavesdropper() throws {
        let r = try #require(try QKDSpecBinary.json([
            "simulate", "--distance-km", "0", "--pulses", "2e7", "--seed", "1", "--eve", "intercept-resend:1", "--format", "json",
        ]) as? [String: Any])
        let qber = try #require(r["qber"] as? Double)
        #expect(qber > 0.25 && qber < 0.30)
        #expect(r["asymptotic_key_rate"] as? Double == 0)
    }

    @Test("rate reproduces the published GYS figures at μ = 0.48")
    func rate() throws {
        let rows = try #require(try QKDSpecBinary.json(["rate", "--distance-km", "0,50,100,140", "--mu", "0.48", "--format", "json"]) as? [[String: Any]])
        let published: [Double: Double] = [0: 2.555e-3, 50: 2.226e-4, 100: 1.718e-5, 140: 2.46e-7]
        #expect(rows.count == 4)
        for row in rows {
            let d = try #require(row["distance_km"] as? Double), rate = try #require(row["key_rate"] as? Double)
            #expect(row["mu"] as? Double == 0.48)
            #expect(abs(rate / published[d]! - 1) < 0.01, "\(d) km: \(rate)")
        }
    }

    @Test("rate --plot writes an SVG with the three series")
    func plot() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-rate-\(UUID().uuidString).svg").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try QKDSpecBinary.run(["rate", "--distance-km", "0,40,80", "--plot", path, "--simulate-pulses", "2e7"])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("GLLP, no decoys") && svg.contains("simulated") && svg.contains("Fibre length (km)"))
        #expect(svg.components(separatedBy: "class=\"point\"").count - 1 == 3)
    }

    @Test("bench simulate reports pulses per second and the build")
    func bench() throws {
        let r = try #require(try QKDSpecBinary.json(["bench", "simulate", "--pulses", "1e8", "--repeat", "1", "--format", "json"]) as? [String: Any])
        #expect((r["pulses_per_second"] as? Double ?? 0) > 0)
        #expect(["debug", "release"].contains(r["build"] as? String ?? ""))
    }

    @Test("bad input: a clear message and exit code 2", arguments: [
        (["simulate", "--eve", "trojan-horse"], "eve"),
        (["simulate", "--pulses", "lots"], "--pulses"),
        (["simulate", "--detector-efficiency", "4.5"], "detector-efficiency"),
        (["simulate", "--p-signal", "0.9"], "sum to 1"),
        (["rate", "--distance-km", "0,x"], "--distance-km"),
        (["simulate", "--no-such-option"], "no-such-option"),
    ])
    func badInput(arguments: [String], mentions: String) throws {
        let r = try QKDSpecBinary.run(arguments)
        #expect(r.status == 2, "\(arguments): exit \(r.status)")
        #expect(r.stderr.contains(mentions), "\(arguments): \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test("an unwritable plot path is a usage error, not a crash")
    func unwritablePlot() throws {
        let r = try QKDSpecBinary.run(["rate", "--distance-km", "0", "--plot", "/nonexistent-dir/x.svg", "--simulate-pulses", "0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot write the plot"))
    }
}
