import Foundation

/// Exact binomial confidence bounds (Clopper & Pearson, Biometrika 26, 404, 1934) for an error
/// rate measured as `errors` out of `trials`.
///
/// The bounds are quantiles of Beta distributions: lower = B⁻¹(α/2; x, n − x + 1),
/// upper = B⁻¹(1 − α/2; x + 1, n − x). They are conservative: the coverage is at least 1 − α.
public enum ClopperPearson {
    /// Two-sided interval with coverage ≥ 1 − `alpha`.
    public static func interval(errors: Int, trials: Int, alpha: Double) throws(QKDMathError) -> ClosedRange<Double> {
        try validate(errors: errors, trials: trials, alpha: alpha)
        let lower = errors == 0 ? 0 : try betaQuantile(alpha / 2, a: Double(errors), b: Double(trials - errors + 1))
        let upper = errors == trials ? 1 : try betaQuantile(1 - alpha / 2, a: Double(errors + 1), b: Double(trials - errors))
        return lower...upper
    }

    /// One-sided upper bound: the true rate lies below it with probability ≥ 1 − `alpha`.
    public static func upperBound(errors: Int, trials: Int, alpha: Double) throws(QKDMathError) -> Double {
        try validate(errors: errors, trials: trials, alpha: alpha)
        return errors == trials ? 1 : try betaQuantile(1 - alpha, a: Double(errors + 1), b: Double(trials - errors))
    }

    /// One-sided lower bound: the true rate lies above it with probability ≥ 1 − `alpha`.
    public static func lowerBound(errors: Int, trials: Int, alpha: Double) throws(QKDMathError) -> Double {
        try validate(errors: errors, trials: trials, alpha: alpha)
        return errors == 0 ? 0 : try betaQuantile(alpha, a: Double(errors), b: Double(trials - errors + 1))
    }

    private static func validate(errors: Int, trials: Int, alpha: Double) throws(QKDMathError) {
        guard trials > 0 else {
            throw .invalidParameter(name: "trials", value: Double(trials), expected: "at least one trial")
        }
        guard errors >= 0, errors <= trials else {
            throw .invalidParameter(name: "errors", value: Double(errors), expected: "0 ... \(trials)")
        }
        guard alpha > 0, alpha < 1 else {
            throw .invalidParameter(name: "alpha", value: alpha, expected: "0 < α < 1")
        }
    }
}

/// The p-quantile of Beta(a, b): the x with I_x(a, b) = p, by bisection (I is increasing in x).
func betaQuantile(_ p: Double, a: Double, b: Double) throws(QKDMathError) -> Double {
    try bisectRoot(lower: 0, upper: 1, tolerance: 1e-15) { x in regularizedIncompleteBeta(x, a: a, b: b) - p }
}

/// The regularized incomplete beta function I_x(a, b), by the continued fraction of
/// Abramowitz & Stegun 26.5.8 evaluated with the modified Lentz method.
func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
    // The fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry otherwise.
    if x < (a + 1) / (a + b + 2) {
        return exp(logFront) * betaContinuedFraction(x, a: a, b: b) / a
    }
    return 1 - exp(logFront) * betaContinuedFraction(1 - x, a: b, b: a) / b
}

private func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var result = d
    for m in 1...10_000 {
        let mm = Double(m)
        // Even step.
        var num = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
        d = 1 + num * d; if abs(d) < tiny { d = tiny }
        c = 1 + num / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        result *= d * c
        // Odd step.
        num = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
        d = 1 + num * d; if abs(d) < tiny { d = tiny }
        c = 1 + num / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        result *= delta
        if abs(delta - 1) < 1e-15 { break }
    }
    return result
}
