import Foundation
import QKDMath
import Testing
@testable import QuantumChannel

@Suite("Analytic channel expectation")
struct ChannelExpectationTests {
    @Test("gain is 1 − (1 − Y₀)·e^(−ημ) per class, as in the threshold-detector model")
    func gainClosedForm() throws {
        let s = Scenario.gys(distanceKm: 25)
        let x = try ChannelExpectation(scenario: s)
        let eta = 0.045 * pow(10, -0.21 * 25 / 10)
        for (c, e) in zip(s.intensities, x.perClass) {
            let expected = 1 - (1 - 1.7e-6) * exp(-eta * c.meanPhotonNumber)
            #expect(abs(e.gain / expected - 1) < 1e-9, "\(c.name)")  // Y₀ goes through √(1 − Y₀) and back
        }
    }

    @Test("sifted QBER without dark counts: (wrong-only + ½·both)/click, written out by hand")
    func qberClosedForm() throws {
        var s = Scenario.gys(distanceKm: 0)
        s.detector.backgroundYield = 0
        let x = try ChannelExpectation(scenario: s)
        let c = 0.045 * 0.48, e = 0.033
        // Photons split independently: the wrong detector sees Poisson(c·e), the right one Poisson(c·(1−e)).
        let wrongOnly = -expm1(-c * e) * exp(-c * (1 - e))
        let both = -expm1(-c * e) * -expm1(-c * (1 - e))
        let click = -expm1(-c)
        #expect(abs(x.signalQBER - (wrongOnly + 0.5 * both) / click) < 1e-12)
    }

    @Test("intercept-resend on every pulse, ideal devices: QBER is exactly ¼")
    func interceptResendQuarter() throws {
        var s = Scenario.gys(distanceKm: 10)
        s.detector.backgroundYield = 0
        s.detector.misalignmentError = 0
        s.eavesdropper = .interceptResend(fraction: 1)
        #expect(abs(try ChannelExpectation(scenario: s).signalQBER - 0.25) < 1e-12)
        s.eavesdropper = .interceptResend(fraction: 0.5)
        #expect(abs(try ChannelExpectation(scenario: s).signalQBER - 0.125) < 1e-12)
    }

    @Test("injected noise n on an error-free channel gives QBER n")
    func injectedNoise() throws {
        var s = Scenario.gys(distanceKm: 10)
        s.detector.backgroundYield = 0
        s.detector.misalignmentError = 0
        s.injectedNoise = 0.07
        #expect(abs(try ChannelExpectation(scenario: s).signalQBER - 0.07) < 1e-12)
    }

    @Test("PNS: a single-photon-only source sees no signal at Bob; multi-photon pulses arrive losslessly")
    func pnsGain() throws {
        var s = Scenario.gys(distanceKm: 50)
        s.detector.backgroundYield = 0
        s.eavesdropper = .photonNumberSplitting
        let x = try ChannelExpectation(scenario: s)
        // By hand: Σ_{n≥2} P(n)·(1 − (1 − η_B)^{n−1}) for μ = 0.48, η_B = 0.045.
        let mu = 0.48, etaB = 0.045
        var expected = 0.0, pn = exp(-mu)
        for n in 1..<60 {
            pn *= mu / Double(n)
            if n >= 2 { expected += pn * (1 - pow(1 - etaB, Double(n - 1))) }
        }
        #expect(abs(x.perClass[0].gain / expected - 1) < 1e-9)
        #expect(x.perClass[2].gain == 0)
    }

    @Test("the decoy estimate sees PNS: the extractable rate collapses while the gain looks healthy")
    func pnsCaughtByDecoys() throws {
        var honest = Scenario.gys(distanceKm: 50)
        honest.intensities[1].meanPhotonNumber = 0.05
        var attacked = honest
        attacked.eavesdropper = .photonNumberSplitting
        func rate(_ s: Scenario) throws -> Double {
            let x = try ChannelExpectation(scenario: s)
            return try KeyRateEstimate.rate(scenario: s, gains: x.perClass.map(\.gain), qbers: x.perClass.map(\.qber))
        }
        let honestRate = try rate(honest)
        #expect(honestRate > 0)
        // Within a few percent of Lo–Ma–Chen's ideal (infinitely many decoys) at the same μ.
        let ideal = try DecoyStateRate(link: honest.fibreLink).decoyRate(distanceKm: 50, mu: 0.48)
        #expect(honestRate <= ideal * 1.01 && honestRate > ideal * 0.9, "estimate \(honestRate), ideal \(ideal)")
        #expect(try rate(attacked) == 0)
    }

    @Test("invalid scenarios name the parameter")
    func validation() {
        var s = Scenario.gys(distanceKm: 10)
        s.intensities[0].probability = 0.9
        #expect(throws: ScenarioError.self) { try s.validate() }
        s = .gys(distanceKm: -3)
        #expect { try s.validate() } throws: { ($0 as? ScenarioError)?.parameter == "distance-km" }
        s = .gys(distanceKm: 10)
        s.detector.efficiency = 45
        #expect { try s.validate() } throws: { ($0 as? ScenarioError)?.parameter == "detector-efficiency" }
        #expect(throws: ScenarioError.self) { try Eavesdropper(parsing: "intercept-resend:1.5") }
        #expect(throws: ScenarioError.self) { try Eavesdropper(parsing: "trojan") }
        #expect((try? Eavesdropper(parsing: "intercept-resend:0.5")) == .interceptResend(fraction: 0.5))
    }
}
