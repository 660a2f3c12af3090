/// Golden-section search for the maximum of a unimodal function on [lower, upper].
func goldenSectionMaximum(
    lower: Double, upper: Double, tolerance: Double = 1e-9,
    _ f: (Double) throws(QKDMathError) -> Double
) throws(QKDMathError) -> (x: Double, value: Double) {
    let invPhi = 0.6180339887498949
    var a = lower, b = upper
    var c = b - invPhi * (b - a), d = a + invPhi * (b - a)
    var fc = try f(c), fd = try f(d)
    while abs(b - a) > tolerance * max(1, abs(a) + abs(b)) {
        if fc >= fd {
            b = d; d = c; fd = fc
            c = b - invPhi * (b - a); fc = try f(c)
        } else {
            a = c; c = d; fc = fd
            d = a + invPhi * (b - a); fd = try f(d)
        }
    }
    let x = 0.5 * (a + b)
    return (x, try f(x))
}

/// Bisection for the root of a monotone function known to change sign on [lower, upper].
func bisectRoot(
    lower: Double, upper: Double, tolerance: Double = 1e-14,
    _ f: (Double) throws(QKDMathError) -> Double
) throws(QKDMathError) -> Double {
    var lo = lower, hi = upper
    var flo = try f(lo)
    let fhi = try f(hi)
    guard flo.sign != fhi.sign || flo == 0 || fhi == 0 else {
        throw .noSolution("root not bracketed on [\(lower), \(upper)]")
    }
    if flo == 0 { return lo }
    if fhi == 0 { return hi }
    for _ in 0..<300 {
        let mid = 0.5 * (lo + hi)
        if mid == lo || mid == hi || hi - lo < tolerance { break }
        let fm = try f(mid)
        if fm == 0 { return mid }
        if fm.sign == flo.sign { lo = mid; flo = fm } else { hi = mid }
    }
    return 0.5 * (lo + hi)
}
