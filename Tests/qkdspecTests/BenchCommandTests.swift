import Foundation
import Testing

/// Every `qkdspec bench` command, at a tiny size, reports its measurement with a baseline timed
/// in the same invocation and the ratio, in the JSON fields all five share. Not timed: only the
/// shape and the arithmetic of the report are checked, never a speed.
@Suite("bench commands report a same-run baseline")
struct BenchCommandTests {
    @Test("each bench JSON carries min / median / max, a baseline and the ratio of the medians", arguments: [
        (["bench", "pa", "--input-bits", "4096", "--repeat", "2"], "pa", "Mbit/s"),
        (["bench", "verify", "--input-bits", "65536", "--repeat", "2"], "verify", "Gbit/s"),
        (["bench", "decode", "--megabytes", "1", "--repeat", "2"], "decode", "MB/s"),
        (["bench", "simulate", "--pulses", "1e6", "--repeat", "2"], "simulate", "pulses/s"),
        (["bench", "cascade", "--frame-bits", "1000", "--frames", "5", "--variants", "original,extended", "--repeat", "2"], "cascade", "Mbit/s"),
    ])
    func reportCarriesBaseline(arguments: [String], benchmark: String, unit: String) throws {
        let r = try #require(try QKDSpecBinary.json(arguments + ["--format", "json"]) as? [String: Any])
        #expect(r["benchmark"] as? String == benchmark)
        #expect(r["unit"] as? String == unit)
        #expect(r["runs"] as? Int == 2)
        let min = try #require(r["min"] as? Double), med = try #require(r["median"] as? Double)
        let max = try #require(r["max"] as? Double)
        #expect(min > 0 && min <= med && med <= max)
        let baseline = try #require(r["baseline"] as? [String: Any])
        let name = try #require(baseline["name"] as? String)
        #expect(!name.isEmpty)
        let bMin = try #require(baseline["min"] as? Double), bMed = try #require(baseline["median"] as? Double)
        let bMax = try #require(baseline["max"] as? Double)
        #expect(bMin > 0 && bMin <= bMed && bMed <= bMax)
        // The ratio is the measured median over the baseline's, at the top and in the baseline.
        let ratio = try #require(r["ratio_median"] as? Double)
        #expect(abs(ratio - med / bMed) <= 1e-9 * ratio)
        #expect(baseline["ratio_median"] as? Double == ratio)
        let all = try #require(r["baselines"] as? [[String: Any]])
        #expect(all.first?["name"] as? String == name)
        for b in all { #expect(b["ratio_median"] is Double && b["median"] is Double) }
    }

    @Test("the baselines each bench names")
    func baselineNames() throws {
        func names(_ arguments: [String]) throws -> [String] {
            let r = try #require(try QKDSpecBinary.json(arguments + ["--repeat", "1", "--format", "json"]) as? [String: Any])
            return (r["baselines"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
        // PA: the portable kernel always; libgf2x's full product first where it is installed.
        let pa = try names(["bench", "pa", "--input-bits", "2048"])
        #expect(pa.last == "portable")
        #expect(pa == ["portable"] || pa == ["gf2x_mul", "portable"])
        #expect(try names(["bench", "verify", "--input-bits", "4096"]) == ["portable"])
        #expect(try names(["bench", "decode", "--megabytes", "1"]) == ["memory_copy"])
        #expect(try names(["bench", "simulate", "--pulses", "1e5"]) == ["every_pulse"])
        #expect(try names(["bench", "cascade", "--frame-bits", "500", "--frames", "2", "--variants", "original"]) == ["original"])
    }

    @Test("bench simulate --pulses 0 is a usage error, not a NaN rate")
    func zeroPulses() throws {
        let r = try QKDSpecBinary.run(["bench", "simulate", "--pulses", "0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--pulses"))
        #expect(!r.stdout.contains("nan"))
    }

    @Test("--repeat is checked once for every bench command")
    func repeatValidated() throws {
        for command in ["pa", "verify", "decode", "simulate", "cascade"] {
            let r = try QKDSpecBinary.run(["bench", command, "--repeat", "0"])
            #expect(r.status == 2, "bench \(command)")
            #expect(r.stderr.contains("--repeat"), "bench \(command)")
        }
    }
}
