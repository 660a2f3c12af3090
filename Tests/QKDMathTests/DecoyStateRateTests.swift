import Foundation
import Testing
@testable import QKDMath

@Suite("Decoy-state key rate (Lo–Ma–Chen 2005, GYS parameters)")
struct DecoyStateRateTests {
    let oracle = DecoyStateRate(link: .gys)

    // Lo–Ma–Chen's Fig. 1 curve for GYS at μ = 0.48 (facts sheet): bits per pulse.
    @Test("published GYS rates within 1 %", arguments: [
        (0.0, 2.555e-3), (50.0, 2.226e-4), (100.0, 1.718e-5), (140.0, 2.46e-7),
    ])
    func publishedRates(distance: Double, published: Double) throws {
        let r = try oracle.decoyRate(distanceKm: distance, mu: 0.48)
        #expect(abs(r / published - 1) < 0.01, "R(\(distance) km) = \(r), published \(published)")
    }

    @Test("maximum distance is 142 ± 1 km at μ = 0.48")
    func maximumDistance() throws {
        let d = try oracle.maximumDistanceKm(mu: 0.48)
        #expect(abs(d - 142) <= 1, "max distance \(d)")
    }

    @Test("without decoys (GLLP) the reach is about 40 km")
    func gllpReach() throws {
        let d = try oracle.maximumDistanceKm(mu: nil, gllp: true)
        #expect(d > 30 && d < 50, "GLLP max distance \(d)")
    }

    @Test("the optimal μ is of order ½ and beats μ = 0.48 at 50 km")
    func optimalMu() throws {
        let best = try oracle.optimalMu(distanceKm: 50)
        #expect(best.mu > 0.3 && best.mu < 0.7)
        #expect(best.rate >= (try oracle.decoyRate(distanceKm: 50, mu: 0.48)))
    }

    @Test("decoys never do worse than GLLP", arguments: [0.0, 10, 25, 40])
    func decoyBeatsGLLP(distance: Double) throws {
        let decoy = try oracle.optimalMu(distanceKm: distance).rate
        let gllp = try oracle.optimalMu(distanceKm: distance, gllp: true).rate
        #expect(decoy >= gllp)
    }

    @Test("zero rate above the threshold: misalignment 12 % gives no key at any distance")
    func zeroAboveThreshold() throws {
        var link = FibreLink.gys
        link.misalignmentError = 0.12
        let noisy = DecoyStateRate(link: link)
        for d in [0.0, 20, 80] {
            #expect(try noisy.decoyRate(distanceKm: d, mu: 0.48) == 0)
        }
    }

    @Test("the rate falls with distance")
    func monotone() throws {
        var last = Double.infinity
        for d in stride(from: 0.0, through: 140, by: 10) {
            let r = try oracle.decoyRate(distanceKm: d, mu: 0.48)
            #expect(r < last)
            last = r
        }
    }

    @Test("bad channel parameters are refused")
    func badParameters() {
        var link = FibreLink.gys
        link.detectorEfficiency = 4.5  // a percentage passed as a fraction
        #expect(throws: QKDMathError.self) { try DecoyStateRate(link: link).decoyRate(distanceKm: 10, mu: 0.48) }
        #expect(throws: QKDMathError.self) { try DecoyStateRate().decoyRate(distanceKm: -1, mu: 0.48) }
        #expect(throws: QKDMathError.self) { try DecoyStateRate().decoyRate(distanceKm: 10, mu: 0) }
    }
}

@Suite("Vacuum + weak decoy estimation (Ma, Qi, Zhao, Lo 2005)")
struct VacuumWeakDecoyTests {
    @Test("on the model's own expectations the bounds are sound and tight", arguments: [0.0, 50, 100])
    func soundAndTight(distance: Double) throws {
        let oracle = DecoyStateRate(link: .gys)
        let mu = 0.48, nu = 0.05
        let s = try oracle.expectation(distanceKm: distance, mu: mu)
        let d = try oracle.expectation(distanceKm: distance, mu: nu)
        let est = try VacuumWeakDecoyEstimate(
            signalIntensity: mu, decoyIntensity: nu, signalGain: s.gain, decoyGain: d.gain,
            decoyQBER: d.qber, vacuumYield: FibreLink.gys.backgroundYield)
        // A lower bound below the truth, within 5 % of it for a weak decoy.
        #expect(est.singlePhotonYieldLower <= s.singlePhotonYield)
        #expect(est.singlePhotonYieldLower > 0.95 * s.singlePhotonYield)
        #expect(est.singlePhotonErrorUpper >= s.singlePhotonError)
        #expect(est.singlePhotonErrorUpper < s.singlePhotonError * 1.1)
    }
}
