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
    /// Both hold the decoy-state statistics as they stood when the frame was cut: the figures
    /// Bob's decision on the frame rests on, and Alice checks it with.
    case estimating(key: BitKey, decoy: DecoyMonitor)
    /// Bob runs Cascade on the bits left after the sample.
    case reconciling(CascadeInitiator, sampleErrors: Int)
    /// Alice answers Bob's parity queries for the bits left after the sample.
    case answering(CascadeResponder, key: BitKey, sampleErrors: Int)
    /// Reconciled; verification is under way. Alice holds the hashes she sent; Bob waits for them.
    case verifying(ReconciledFrame, verification: KeyVerification?)
    /// Bob: verified (with `verificationBits` disclosed), waiting for Alice's privacy amplification.
    case amplifying(ReconciledFrame, verificationBits: Int)
    /// The final key is computed but not stored yet. Alice waits for Bob's KEY_CONFIRMATION, Bob
    /// for Alice's CONFIRMATION_RESULT; a session that ends here stores nothing of the frame.
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
    /// The key confirmation found different fingerprints (Alice compared; Bob heard it from her).
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
