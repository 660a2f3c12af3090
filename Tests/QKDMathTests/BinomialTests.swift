import Foundation
import Testing
@testable import QKDMath

@Suite("Binomial tails")
struct BinomialTests {
    @Test("small cases summed by hand: Bin(4, ½) has P(X ≤ 1) = 5/16, P(X > 2) = 5/16")
    func byHand() throws {
        // (1 + 4) / 16 and (4 + 1) / 16.
        #expect(abs(try Binomial.cdf(1, trials: 4, probability: 0.5) - 5.0 / 16) < 1e-12)
        #expect(abs(try Binomial.upperTail(2, trials: 4, probability: 0.5) - 5.0 / 16) < 1e-12)
        // Bin(3, 0.1): P(X = 0) = 0.729.
        #expect(abs(try Binomial.cdf(0, trials: 3, probability: 0.1) - 0.729) < 1e-12)
    }

    @Test("the two tails add to one, and the edges are exact")
    func complement() throws {
        for x in [0, 10, 99, 150, 299] {
            let lower = try Binomial.cdf(x, trials: 300, probability: 0.37)
            let upper = try Binomial.upperTail(x, trials: 300, probability: 0.37)
            #expect(abs(lower + upper - 1) < 1e-12)
        }
        #expect(try Binomial.cdf(-1, trials: 5, probability: 0.3) == 0)
        #expect(try Binomial.cdf(5, trials: 5, probability: 0.3) == 1)
        #expect(try Binomial.upperTail(5, trials: 5, probability: 0.3) == 0)
        #expect(throws: QKDMathError.self) { try Binomial.cdf(1, trials: 5, probability: 1.5) }
    }

    @Test("a far tail keeps its digits: P(X > 30) for Bin(100, 0.1) ≈ 1.2e-9 (normal-free, by direct summation)")
    func farTail() throws {
        // Direct summation of C(100, j) 0.1^j 0.9^(100−j) for j = 31 … 100, in log space.
        var direct = 0.0
        for j in 31...100 {
            let k = Double(j), rest = Double(100 - j)
            let logChoose: Double = lgamma(101.0) - lgamma(k + 1) - lgamma(rest + 1)
            let logPowers: Double = k * log(0.1) + rest * log(0.9)
            direct += exp(logChoose + logPowers)
        }
        let tail = try Binomial.upperTail(30, trials: 100, probability: 0.1)
        #expect(abs(tail - direct) / direct < 1e-8)
        #expect(tail > 1e-10 && tail < 1e-8)
    }
}
