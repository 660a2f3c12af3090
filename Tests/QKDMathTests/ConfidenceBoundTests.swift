import Foundation
import Testing
@testable import QKDMath

@Suite("Confidence bounds")
struct ConfidenceBoundTests {
    @Test("Clopper–Pearson closed forms at the edges: 0/n and n/n")
    func edges() throws {
        // For x = 0 the upper bound solves (1 − p)ⁿ = α/2: p = 1 − (α/2)^(1/n).
        let i0 = try ClopperPearson.interval(errors: 0, trials: 10, alpha: 0.05)
        #expect(i0.lowerBound == 0)
        #expect(abs(i0.upperBound - (1 - pow(0.025, 0.1))) < 1e-10)
        let iN = try ClopperPearson.interval(errors: 10, trials: 10, alpha: 0.05)
        #expect(abs(iN.lowerBound - pow(0.025, 0.1)) < 1e-10)
        #expect(iN.upperBound == 1)
    }

    @Test("Clopper–Pearson 5/10 at 95 %: (0.18709, 0.81291), as tabulated for the exact binomial")
    func tabulated() throws {
        let i = try ClopperPearson.interval(errors: 5, trials: 10, alpha: 0.05)
        #expect(abs(i.lowerBound - 0.187086) < 2e-6)
        #expect(abs(i.upperBound - 0.812914) < 2e-6)
    }

    @Test("one-sided bound for 1/1 at α: the p with P(X ≥ 1) = α, i.e. p = α")
    func oneSided() throws {
        #expect(abs(try ClopperPearson.lowerBound(errors: 1, trials: 1, alpha: 0.01) - 0.01) < 1e-12)
        // Upper bound for 0/n one-sided: 1 − α^(1/n).
        #expect(abs(try ClopperPearson.upperBound(errors: 0, trials: 100, alpha: 0.001) - (1 - pow(0.001, 0.01))) < 1e-12)
    }

    @Test("the interval brackets the observed rate and narrows as the sample grows")
    func narrows() throws {
        var lastWidth = 1.0
        for n in [100, 1_000, 10_000, 100_000, 1_000_000] {
            let x = n / 25
            let i = try ClopperPearson.interval(errors: x, trials: n, alpha: 0.001)
            #expect(i.contains(Double(x) / Double(n)))
            let width = i.upperBound - i.lowerBound
            #expect(width < lastWidth)
            lastWidth = width
        }
    }

    @Test("bad counts are refused")
    func refused() {
        #expect(throws: QKDMathError.self) { try ClopperPearson.interval(errors: 11, trials: 10, alpha: 0.05) }
        #expect(throws: QKDMathError.self) { try ClopperPearson.interval(errors: 0, trials: 0, alpha: 0.05) }
        #expect(throws: QKDMathError.self) { try ClopperPearson.interval(errors: 1, trials: 10, alpha: 1.5) }
    }

    @Test("regularized incomplete beta closed forms: I_x(1,1) = x, I_x(a,1) = xᵃ, I_½(a,a) = ½")
    func incompleteBeta() {
        for x in [0.1, 0.37, 0.9] {
            #expect(abs(regularizedIncompleteBeta(x, a: 1, b: 1) - x) < 1e-13)
            #expect(abs(regularizedIncompleteBeta(x, a: 3.5, b: 1) - pow(x, 3.5)) < 1e-13)
        }
        #expect(abs(regularizedIncompleteBeta(0.5, a: 40, b: 40) - 0.5) < 1e-13)
    }

    @Test("Serfling deviation matches the worked TLGR value; Hoeffding matches √(ln(1/α)/2k)")
    func samplingBounds() {
        let mu = SamplingBound.serflingDeviation(populationBits: 1_000_000, sampleBits: 100_000, failureProbability: 0.5e-10)
        #expect(abs(mu - 0.016153) < 5e-7)
        #expect(abs(SamplingBound.hoeffdingDeviation(trials: 1000, alpha: exp(-2)) - (2.0 / 2000).squareRoot()) < 1e-15)
    }
}
