import PostProcessing
import Wire

/// What the reference node accepts in PARAMETERS (docs/protocol.md, "Limits"). The command line
/// checks its options against the same rules, so a node never proposes what its peer refuses.
extension SessionParameters {
    /// Sifted bits per frame: 1024 ... 2²⁴.
    package static let acceptedFrameBits = 1024...(1 << 24)
    package static let acceptedSampleFractionText = "(0, 0.5)"

    package static func acceptsSampleFraction(_ f: Double) -> Bool { f > 0 && f < 0.5 }

    /// Why the reference node refuses these parameters, or nil when it accepts them.
    package var refusal: String? {
        if protocolID != 1 { return "protocol \(protocolID) is not supported (1 = decoy-state BB84)" }
        if !Self.acceptedFrameBits.contains(Int(frameBits)) { return "frame of \(frameBits) bits is outside 1024 ... 2^24" }
        if !ReferenceDefaults.acceptsQBERThreshold(qberThreshold) {
            return "QBER threshold \(qberThreshold) is outside \(ReferenceDefaults.acceptedQBERThresholdText)"
        }
        if !(epsilonSecrecy > 0 && epsilonSecrecy < 1 && epsilonCorrectness > 0 && epsilonCorrectness < 1) {
            return "ε values must lie in (0, 1)"
        }
        if cascadeVariant > 2 { return "Cascade variant \(cascadeVariant) is unknown" }
        if !Self.acceptsSampleFraction(sampleFraction) { return "sample fraction \(sampleFraction) is outside \(Self.acceptedSampleFractionText)" }
        return nil
    }
}
