import Foundation
import PostProcessing

/// One post-processing frame: its number and where it stands in the protocol.
struct FrameState {
    let id: UInt64
    var phase: FramePhase
}

/// A frame's state in the per-frame state machines of docs/protocol.md, each case carrying what
/// is valid in it and nothing else.
enum FramePhase {
    /// Cut, waiting for parameter estimation. Bob holds the frame's sifted bits until Alice's
    /// sample says which to disclose; Alice has sent her sample and holds the bits left.
    case estimating(key: BitKey)
    /// Bob runs Cascade on the bits left after the sample.
    case reconciling(CascadeInitiator, sampleErrors: Int)
    /// Alice answers Bob's parity queries for the bits left after the sample.
    case answering(CascadeResponder, key: BitKey, sampleErrors: Int)
    /// Reconciled; verification is under way. Alice holds the hashes she sent; Bob waits for them.
    case verifying(ReconciledFrame, verification: KeyVerification?)
    /// Bob: verified, waiting for Alice's privacy amplification.
    case amplifying(ReconciledFrame)
    /// Alice: final key computed and announced, waiting for Bob's key confirmation.
    case confirming(finalKey: BitKey, keyID: UUID)
    /// Terminal: the sample's QBER (or the decoy statistics) stopped the frame.
    case aborted
    /// Terminal: the frame was distilled no further.
    case discarded(DiscardReason)
    /// Terminal: the final key is in the store under this ID.
    case delivered(keyID: UUID)

    /// Whether the frame is done: aborted, discarded or delivered.
    var isTerminal: Bool {
        switch self {
        case .aborted, .discarded, .delivered: return true
        default: return false
        }
    }
}

/// Why a frame that passed estimation yields no key.
enum DiscardReason: Equatable, Sendable {
    /// Bob's key did not hash to Alice's verification tags.
    case verificationMismatch
    /// The finite-key bound left no secret bits (ℓ = 0).
    case noSecretKey
    /// Bob confirmed a key whose fingerprint differs from Alice's.
    case fingerprintMismatch
}

/// A frame's key after Cascade, with what its privacy amplification must account for.
struct ReconciledFrame {
    /// The bits left after the sample, corrected (Bob) or as they were (Alice).
    var key: BitKey
    /// Parity bits Cascade disclosed for this frame.
    var parityBits: Int
    /// Errors in the estimation sample.
    var sampleErrors: Int
}
