import Foundation
import Testing
@testable import QKDMath

@Suite("Finite-key length (Tomamichel–Lim–Gisin–Renner 2012)")
struct FiniteKeyTests {
    /// The worked example of the facts sheet: ε_sec = 10⁻¹⁰, ε_cor = 10⁻¹², n = 10⁶, k = 10⁵,
    /// Q = 1 %, leak_EC = 1.1·n·h(Q).
    func workedExample(leak: Double? = nil) throws -> FiniteKeyLength {
        let n = 1_000_000
        let shannonLeak = 1.1 * Double(n) * (try binaryEntropy(0.01))
        return FiniteKeyLength(
            keyBits: n, sampleBits: 100_000, toleratedQBER: 0.01,
            leakedBits: leak ?? shannonLeak,
            epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12)
    }

    @Test("μ = 0.016153 and ℓ = 736 305 ± 1")
    func workedValue() throws {
        let fk = try workedExample()
        #expect(abs(try fk.statisticalDeviation() - 0.016153) < 5e-7)
        #expect(abs(try fk.secretKeyBits() - 736_305) <= 1)
    }

    @Test("finite ≤ asymptotic: ℓ stays below n·(1 − h(Q)) − leak_EC, and approaches it as n grows")
    func finiteBelowAsymptotic() throws {
        var lastGap = Double.infinity
        for n in [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000] {
            let leak = 1.1 * Double(n) * (try binaryEntropy(0.01))
            let fk = FiniteKeyLength(
                keyBits: n, sampleBits: n / 10, toleratedQBER: 0.01, leakedBits: leak,
                epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12)
            let asymptotic = Double(n) * (1 - (try binaryEntropy(0.01))) - leak
            let finite = try fk.exactLength()
            #expect(finite < asymptotic)
            let gap = (asymptotic - finite) / Double(n)
            #expect(gap < lastGap)
            lastGap = gap
        }
    }

    @Test("no key above the threshold: at Q = 11 % and f = 1.1 the length is 0")
    func zeroAboveThreshold() throws {
        let n = 1_000_000
        let fk = FiniteKeyLength(
            keyBits: n, sampleBits: 100_000, toleratedQBER: 0.11,
            leakedBits: 1.1 * Double(n) * (try binaryEntropy(0.11)), epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12)
        #expect(try fk.secretKeyBits() == 0)
    }

    @Test("more leakage means a shorter key, bit for bit")
    func leakageIsSubtracted() throws {
        let a = try workedExample(leak: 100_000).exactLength()
        let b = try workedExample(leak: 100_500).exactLength()
        #expect(abs((a - b) - 500) < 1e-6)
    }

    @Test("bad parameters are refused")
    func refused() {
        #expect(throws: QKDMathError.self) {
            try FiniteKeyLength(keyBits: 0, sampleBits: 1, toleratedQBER: 0.01, leakedBits: 0, epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12).exactLength()
        }
        #expect(throws: QKDMathError.self) {
            try FiniteKeyLength(keyBits: 10, sampleBits: 1, toleratedQBER: 3, leakedBits: 0, epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12).exactLength()
        }
    }
}

@Suite("Finite-key decoy bounds (Lim, Curty, Walenta, Xu, Zbinden 2014)")
struct FiniteKeyDecoyBoundsTests {
    /// Expected counts for N pulses on the GYS channel at `distance`, with the model's yields:
    /// Y_n = 1 − (1 − Y₀)(1 − η)ⁿ and error e_n = (e₀Y₀ + e_det(Y_n − Y₀))/Y_n.
    func expectedCounts(pulses: Double, distance: Double) throws -> (FiniteKeyDecoyBounds, trueSX1: Double, trueE1: Double) {
        let link = FibreLink.gys
        let eta = try link.transmittance(distanceKm: distance)
        let mus = [0.5, 0.1, 0.0002], ps = [0.7, 0.2, 0.1]
        let y0 = link.backgroundYield, eDet = link.misalignmentError
        var n = [Double](), m = [Double]()
        for (mu, p) in zip(mus, ps) {
            let gain = 1 - (1 - y0) * exp(-eta * mu)
            let errors = 0.5 * y0 + eDet * (gain - y0)
            // Half the pulses in each basis.
            n.append(pulses * p * 0.5 * gain)
            m.append(pulses * p * 0.5 * errors)
        }
        let bounds = FiniteKeyDecoyBounds(
            intensities: mus, probabilities: ps, keyDetections: n, testDetections: n, testErrors: m,
            epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-15)
        let y1 = 1 - (1 - y0) * (1 - eta)
        let trueSX1 = pulses * 0.5 * bounds.photonNumberProbability(1) * y1
        let trueE1 = (0.5 * y0 + eDet * (y1 - y0)) / y1
        return (bounds, trueSX1, trueE1)
    }

    @Test("the bounds hold and tighten as the block grows", arguments: [1e9, 1e11, 1e13])
    func soundAndConverging(pulses: Double) throws {
        let (b, trueSX1, trueE1) = try expectedCounts(pulses: pulses, distance: 25)
        let r = try b.bounds()
        #expect(r.keySinglePhotonLower <= trueSX1)
        #expect(r.phaseErrorUpper >= trueE1)
        if pulses >= 1e13 {
            // With negligible statistical fluctuation only the decoy gap remains (μ₂ = 0.1 is not 0).
            #expect(r.keySinglePhotonLower > 0.9 * trueSX1)
            #expect(r.phaseErrorUpper < 1.3 * trueE1)
        }
    }

    @Test("τ₀ + τ₁ + … sums to 1")
    func photonNumberDistribution() throws {
        let (b, _, _) = try expectedCounts(pulses: 1e9, distance: 0)
        let total = (0..<30).reduce(0.0) { $0 + b.photonNumberProbability($1) }
        #expect(abs(total - 1) < 1e-12)
    }

    @Test("a longer block gives a longer key per pulse, and a small one none")
    func lengthGrows() throws {
        var last = -1.0
        for pulses in [1e8, 1e10, 1e12] {
            let (b, _, _) = try expectedCounts(pulses: pulses, distance: 25)
            let nX = b.keyDetections.reduce(0, +)
            let leak = 1.16 * nX * (try binaryEntropy(0.04))
            let perPulse = Double(try b.secretKeyBits(leakedBits: leak)) / pulses
            #expect(perPulse > last)
            last = perPulse
        }
        let (small, _, _) = try expectedCounts(pulses: 1e6, distance: 25)
        #expect(try small.secretKeyBits(leakedBits: 0) == 0)
    }

    @Test("intensities in the wrong order are refused")
    func refused() {
        let b = FiniteKeyDecoyBounds(
            intensities: [0.1, 0.5, 0], probabilities: [0.3, 0.3, 0.4], keyDetections: [1, 1, 1],
            testDetections: [1, 1, 1], testErrors: [0, 0, 0], epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-15)
        #expect(throws: QKDMathError.self) { try b.bounds() }
    }
}
