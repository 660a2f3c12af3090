import Foundation
import PostProcessing

/// The control protocol a target's nodes speak.
package enum ControlChannelKind: String, Sendable, Codable {
    /// The documented reference protocol (docs/protocol.md): the proxy decodes every frame.
    case reference = "qkdspec-wire/1"
    /// The vendor's own protocol, relayed as bytes; checks that need to decode it are `unimplemented`.
    case opaque
}

/// What a stack declares of itself (a target file's `declared` object).
package struct DeclaredParameters: Sendable, Codable, Equatable {
    /// e.g. "bb84-decoy".
    package var protocolName = "bb84-decoy"
    package var qberThreshold = ReferenceDefaults.qberThreshold
    package var epsilonSecrecy = ReferenceDefaults.epsilonSecrecy
    package var epsilonCorrectness = ReferenceDefaults.epsilonCorrectness
    /// Sifted bits per post-processing frame.
    package var frameBits = ReferenceDefaults.frameBits
    /// Sifted bits of a frame disclosed for parameter estimation (k); nil: a tenth of the frame,
    /// as the reference does.
    package var declaredSampleBits: Int?
    /// Reconciliation inefficiency f the stack works with (leakage ≈ f·n·h(Q)).
    package var reconciliationEfficiency = 1.10
    package var features: [String] = []

    package init() {}

    enum CodingKeys: String, CodingKey {
        case protocolName = "protocol", qberThreshold = "qber_threshold", epsilonSecrecy = "epsilon_secrecy"
        case epsilonCorrectness = "epsilon_correctness", frameBits = "frame_bits"
        case reconciliationEfficiency = "reconciliation_efficiency", features
        case declaredSampleBits = "sample_bits"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DeclaredParameters()
        protocolName = try c.decodeIfPresent(String.self, forKey: .protocolName) ?? d.protocolName
        qberThreshold = try c.decodeIfPresent(Double.self, forKey: .qberThreshold) ?? d.qberThreshold
        epsilonSecrecy = try c.decodeIfPresent(Double.self, forKey: .epsilonSecrecy) ?? d.epsilonSecrecy
        epsilonCorrectness = try c.decodeIfPresent(Double.self, forKey: .epsilonCorrectness) ?? d.epsilonCorrectness
        frameBits = try c.decodeIfPresent(Int.self, forKey: .frameBits) ?? d.frameBits
        reconciliationEfficiency = try c.decodeIfPresent(Double.self, forKey: .reconciliationEfficiency) ?? d.reconciliationEfficiency
        features = try c.decodeIfPresent([String].self, forKey: .features) ?? []
        declaredSampleBits = try c.decodeIfPresent(Int.self, forKey: .declaredSampleBits)
    }

    /// The sample size k the cases judge against.
    package var sampleBits: Int { declaredSampleBits ?? max(1, Int((Double(frameBits) * ReferenceDefaults.sampleFraction).rounded())) }
}

/// A key one node delivered.
package struct DeliveredKey: Sendable {
    package var keyID: UUID
    package var key: BitKey

    package init(keyID: UUID, key: BitKey) {
        self.keyID = keyID
        self.key = key
    }
}
