/// What the reference stack declares unless told otherwise, in one place: the node's options, the
/// reference targets' declarations and ``PostProcessingParameters``' defaults all read these, so
/// the declared and the configured values cannot drift apart.
public enum ReferenceDefaults {
    /// The QBER above which a frame aborts: 5 %.
    public static let qberThreshold = 0.05
    /// Fraction of each frame's sifted bits disclosed for parameter estimation.
    public static let sampleFraction = 0.1
    public static let epsilonSecrecy = 1e-10
    public static let epsilonCorrectness = 1e-12
    /// Sifted signal bits per post-processing frame in the reference targets.
    public static let frameBits = 32_768

    /// The QBER thresholds a stack may declare and the reference node accepts: (0, 0.11]. Above
    /// 11 % BB84 yields no key even asymptotically (Shor–Preskill), so a larger threshold is a
    /// declaration error, whoever makes it.
    public static func acceptsQBERThreshold(_ threshold: Double) -> Bool { threshold > 0 && threshold <= 0.11 }
    public static let acceptedQBERThresholdText = "(0, 0.11]"
}
