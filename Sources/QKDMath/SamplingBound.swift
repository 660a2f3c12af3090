import Foundation

/// Deviation bounds between the error rate of a random sample and that of the rest.
public enum SamplingBound {
    /// Sampling without replacement (Serfling 1974, in the form of Tomamichel et al. 2012):
    /// when k bits are drawn uniformly at random from n + k, the error rate of the n bits
    /// left exceeds the sample's by more than
    ///
    ///     μ = √[(n + k)/(n·k) · (k + 1)/k · ln(1/ε)]
    ///
    /// with probability at most ε.
    public static func serflingDeviation(populationBits n: Int, sampleBits k: Int, failureProbability epsilon: Double) -> Double {
        let nn = Double(n), kk = Double(k)
        return ((nn + kk) / (nn * kk) * (kk + 1) / kk * log(1 / epsilon)).squareRoot()
    }

    /// Hoeffding (1963) for k independent trials: the true rate exceeds the observed one by more
    /// than √(ln(1/α) / (2k)) with probability at most α.
    public static func hoeffdingDeviation(trials k: Int, alpha: Double) -> Double {
        (log(1 / alpha) / (2 * Double(k))).squareRoot()
    }

    /// Hoeffding's additive bound on a count: δ(n, ε) = √(n/2 · ln(1/ε)), as used by Lim et al. 2014.
    public static func hoeffdingCountDeviation(total n: Double, epsilon: Double) -> Double {
        (n / 2 * log(1 / epsilon)).squareRoot()
    }
}
