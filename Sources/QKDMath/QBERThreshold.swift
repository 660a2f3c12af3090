/// QBER thresholds above which one-way BB84 post-processing yields no secret key.
public enum QBERThreshold {
    /// Shor–Preskill (2000): the QBER where the asymptotic rate 1 − 2h(E) reaches zero (≈ 11.00 %).
    public static let shorPreskill: Double = inverseEntropyInRange(0.5)

    /// The QBER where 1 − (1 + f)·h(E) reaches zero, for error correction that leaks
    /// f·h(E) bits per key bit (f ≥ 1; f = 1 is the Shannon limit and gives Shor–Preskill).
    ///
    /// Published anchors: 10.23 % for f = 1.10, 9.81 % for f = 1.16, 9.42 % for f = 1.22.
    public static func withReconciliationInefficiency(_ f: Double) throws(QKDMathError) -> Double {
        guard f >= 1, f.isFinite else {
            throw .invalidParameter(name: "f", value: f, expected: "an error-correction inefficiency ≥ 1")
        }
        return inverseEntropyInRange(1 / (1 + f))
    }
}
