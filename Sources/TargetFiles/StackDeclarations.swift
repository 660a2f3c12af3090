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
    /// The end that may hold a key the other lacks when the control channel fails between the two
    /// ends' deliveries (the last message of the stack's key confirmation is lost). nil: not
    /// declared — the cases then allow such keys at one end per session, whichever it is.
    package var loneKeyEnd: LoneKeyEnd?

    package init() {}

    enum CodingKeys: String, CodingKey {
        case protocolName = "protocol", qberThreshold = "qber_threshold", epsilonSecrecy = "epsilon_secrecy"
        case epsilonCorrectness = "epsilon_correctness", frameBits = "frame_bits"
        case reconciliationEfficiency = "reconciliation_efficiency", features
        case declaredSampleBits = "sample_bits", loneKeyEnd = "lone_key_end"
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
        loneKeyEnd = try c.decodeIfPresent(LoneKeyEnd.self, forKey: .loneKeyEnd)
    }

    /// The sample size k the cases judge against.
    package var sampleBits: Int { declaredSampleBits ?? max(1, Int((Double(frameBits) * ReferenceDefaults.sampleFraction).rounded())) }
}

/// Where a stack's key confirmation can leave a key at one end only. A confirmation handshake
/// ends with one message; when the connection is lost just before it arrives, the end that sent
/// it may hold a key the other never delivers (the two-generals problem: no protocol closes this
/// window). Which end that is follows from the stack's design, so the stack declares it.
package enum LoneKeyEnd: String, Sendable, Codable, CaseIterable {
    /// Alice delivers when she sends the last confirmation message (the reference protocol).
    case alice
    /// Bob delivers when he sends the last confirmation message.
    case bob
    /// Neither end delivers a key the other may lack (e.g. a third message that both await).
    case neither
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
