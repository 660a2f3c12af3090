import Wire

/// What the reference node accepts in PARAMETERS (docs/protocol.md, "Limits"). The command line
/// checks its options against the same rules, so a node never proposes what its peer refuses.
extension SessionParameters {
    /// Sifted bits per frame: 1024 ... 2²⁴.
    public static let acceptedFrameBits = 1024...(1 << 24)
    /// "(0, 0.11]": above 11 % BB84 yields no key even asymptotically (Shor–Preskill).
    public static let acceptedQBERThresholdText = "(0, 0.11]"
    public static let acceptedSampleFractionText = "(0, 0.5)"

    public static func acceptsQBERThreshold(_ t: Double) -> Bool { t > 0 && t <= 0.11 }
    public static func acceptsSampleFraction(_ f: Double) -> Bool { f > 0 && f < 0.5 }

    /// Why the reference node refuses these parameters, or nil when it accepts them.
    public var refusal: String? {
        if protocolID != 1 { return "protocol \(protocolID) is not supported (1 = decoy-state BB84)" }
        if !Self.acceptedFrameBits.contains(Int(frameBits)) { return "frame of \(frameBits) bits is outside 1024 ... 2^24" }
        if !Self.acceptsQBERThreshold(qberThreshold) {
            return "QBER threshold \(qberThreshold) is outside \(Self.acceptedQBERThresholdText)"
        }
        if !(epsilonSecrecy > 0 && epsilonSecrecy < 1 && epsilonCorrectness > 0 && epsilonCorrectness < 1) {
            return "ε values must lie in (0, 1)"
        }
        if cascadeVariant > 2 { return "Cascade variant \(cascadeVariant) is unknown" }
        if !Self.acceptsSampleFraction(sampleFraction) { return "sample fraction \(sampleFraction) is outside \(Self.acceptedSampleFractionText)" }
        return nil
    }
}
