import PostProcessing
import Wire

/// The session's parameters once PARAMETERS / PARAMETERS_ACK is done, with what follows from
/// them: every frame of the session is cut, sampled, reconciled and amplified with these.
struct AgreedParameters: Sendable {
    /// As they travelled on the wire.
    let wire: SessionParameters
    /// Sifted signal bits per frame, n.
    let frameBits: Int
    /// Bits disclosed per frame for parameter estimation, k = round(n · sample fraction), at least 1.
    let sampleSize: Int
    let cascadeVariant: CascadeVariant

    init(_ p: SessionParameters) {
        wire = p
        frameBits = Int(p.frameBits)
        sampleSize = max(1, Int((Double(p.frameBits) * p.sampleFraction).rounded()))
        cascadeVariant = CascadeVariant(wireCode: p.cascadeVariant)
    }

    var qberThreshold: Double { wire.qberThreshold }
    var epsilonSecrecy: Double { wire.epsilonSecrecy }
    var epsilonCorrectness: Double { wire.epsilonCorrectness }
    var permutationSeed: UInt64 { wire.permutationSeed }
}
