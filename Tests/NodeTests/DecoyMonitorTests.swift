import Foundation
import Testing
@testable import Node

@Suite("Decoy-state check against photon-number splitting")
struct DecoyMonitorTests {
    /// Sifted counts for `pulses` pulses on a channel whose n-photon yield is `yield(n)`:
    /// Q_k = Σ_n e^(−k) kⁿ/n! · Y_n, sifted with probability ½ (p_Z = ½).
    func monitor(pulses: Int, yield: (Int) -> Double) -> DecoyMonitor {
        var m = DecoyMonitor()
        var counts: [Int] = []
        for (k, mu) in m.intensities.enumerated() {
            var q = 0.0, term = exp(-mu)
            for n in 0..<40 {
                q += term * yield(n)
                term *= mu / Double(n + 1)
            }
            counts.append(Int((Double(pulses) * m.probabilities[k] * 0.5 * q).rounded()))
        }
        m.record(pulses: pulses, siftedPerClass: counts)
        return m
    }

    @Test("honest fibre: the single-photon share is bounded just below its true value e^(−μ)·Y₁·μ/Q_μ")
    func honest() throws {
        // GYS at 25 km: η = 10^(−0.21·25/10)·0.045 ≈ 0.01351, Y₀ = 1.7·10⁻⁶; Y_n = Y₀ + 1 − (1 − η)ⁿ.
        let eta = pow(10, -0.21 * 25 / 10) * 0.045, y0 = 1.7e-6
        let m = monitor(pulses: 200_000_000) { n in y0 + 1 - pow(1 - eta, Double(n)) }
        // True share by hand: Q₁ = μe^(−μ)(Y₀ + η), Q_μ = Y₀ + 1 − e^(−ημ).
        let mu = 0.48
        let trueShare = mu * exp(-mu) * (y0 + eta) / (y0 + 1 - exp(-eta * mu))
        let share = try #require(m.singlePhotonShare)
        #expect(share <= trueShare * 1.01 && share >= trueShare * 0.9, "share \(share), true \(trueShare)")
        #expect(m.singlePhotonsCarryKey(qber: 0.02))
        #expect(!m.singlePhotonsCarryKey(qber: 0.2))
    }

    @Test("photon-number splitting (no single photon reaches Bob, multi-photon pulses all do): no single-photon key")
    func pns() {
        let m = monitor(pulses: 200_000_000) { n in n >= 2 ? 0.045 : (n == 0 ? 1.7e-6 : 0) }
        #expect((m.singlePhotonShare ?? 0) < 0.05)
        #expect(!m.singlePhotonsCarryKey(qber: 0.01))
    }

    @Test("no data yet: no verdict of a key")
    func empty() {
        let m = DecoyMonitor()
        #expect(m.singlePhotonShare == nil && !m.singlePhotonsCarryKey(qber: 0.01))
    }
}
