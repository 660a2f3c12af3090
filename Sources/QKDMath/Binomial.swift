import Foundation

/// The binomial distribution's tails, for judging statistical cases: how often a correct stack's
/// sample lands on either side of a threshold.
public enum Binomial {
    /// P(X ≤ x) for X ~ Binomial(n, p), through the regularized incomplete beta function:
    /// P(X ≤ x) = I₁₋ₚ(n − x, x + 1) (Abramowitz & Stegun 26.5.24).
    public static func cdf(_ x: Int, trials n: Int, probability p: Double) throws(QKDMathError) -> Double {
        guard n >= 0 else { throw .invalidParameter(name: "trials", value: Double(n), expected: "n ≥ 0") }
        guard p >= 0, p <= 1 else { throw .invalidParameter(name: "probability", value: p, expected: "0 ≤ p ≤ 1") }
        if x < 0 { return 0 }
        if x >= n { return 1 }
        if p == 0 { return 1 }
        if p == 1 { return 0 }
        return regularizedIncompleteBeta(1 - p, a: Double(n - x), b: Double(x + 1))
    }

    /// P(X > x) = 1 − P(X ≤ x), computed from the other tail so that small values keep their digits.
    public static func upperTail(_ x: Int, trials n: Int, probability p: Double) throws(QKDMathError) -> Double {
        guard n >= 0 else { throw .invalidParameter(name: "trials", value: Double(n), expected: "n ≥ 0") }
        guard p >= 0, p <= 1 else { throw .invalidParameter(name: "probability", value: p, expected: "0 ≤ p ≤ 1") }
        if x < 0 { return 1 }
        if x >= n { return 0 }
        if p == 0 { return 0 }
        if p == 1 { return 1 }
        return regularizedIncompleteBeta(p, a: Double(x + 1), b: Double(n - x))
    }
}
