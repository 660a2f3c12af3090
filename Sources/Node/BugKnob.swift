/// A realistic defect that the reference node can be told to have, so the harness can prove it
/// catches that defect. A clean node is the default; a bug is only ever switched on by name.
package enum BugKnob: String, Sendable, CaseIterable, Codable {
    case ignoreQBERThreshold = "ignore-qber-threshold"
    case skipVerification = "skip-verification"
    case ignoreAuthTag = "ignore-auth-tag"
    case overclaimKeyLength = "overclaim-key-length"
    case uncountedLeakage = "uncounted-leakage"
    case deliverAbortedBlock = "deliver-aborted-block"
    case reuseKeyID = "reuse-key-id"
    case acceptReplayedFrame = "accept-replayed-frame"
    case crashOnOversizedFrame = "crash-on-oversized-frame"
    case hangOnTruncatedFrame = "hang-on-truncated-frame"
    case ignoreDecoyStatistics = "ignore-decoy-statistics"
    case trustPeerEstimate = "trust-peer-estimate"
    case trustPeerLength = "trust-peer-length"
    case deliverBeforeConfirmation = "deliver-before-confirmation"
    case firstFrameOnlyCheck = "first-frame-only-check"
    case lenientThreshold = "lenient-threshold"
    case keepSampleBits = "keep-sample-bits"
    case restartKeyIDs = "restart-key-ids"
    case partialTagCheck = "partial-tag-check"

    /// One line each, for `qkdspec node --list-bugs`.
    package var summary: String {
        switch self {
        case .ignoreQBERThreshold: return "Bob never aborts: a frame above the declared QBER threshold is still distilled"
        case .skipVerification: return "Bob reports every verification as a match: frames Cascade left with errors are delivered"
        case .ignoreAuthTag: return "incoming Wegman–Carter tags are not checked: tampered messages are accepted"
        case .overclaimKeyLength: return "the final length has no finite-size penalty: ℓ = n(1 − h(QBER)) − leakage"
        case .uncountedLeakage: return "Cascade's disclosed parity bits are not subtracted in privacy amplification"
        case .deliverAbortedBlock: return "a frame aborted for its QBER still delivers its raw key to the key store"
        case .reuseKeyID: return "every final key gets the same key ID"
        case .acceptReplayedFrame: return "sequence numbers are not checked: a replayed or reordered frame is processed"
        case .crashOnOversizedFrame: return "a frame header announcing more than the limit crashes the node (SIGABRT)"
        case .hangOnTruncatedFrame: return "a connection closed in the middle of a frame makes the node hang instead of failing"
        case .ignoreDecoyStatistics: return "the decoy-state check is skipped: a photon-number-splitting attack goes unnoticed"
        case .trustPeerEstimate: return "Alice goes on whenever Bob says proceed: no QBER or decoy check of her own"
        case .trustPeerLength: return "Bob accepts any final length ℓ Alice announces, above his own finite-key bound too"
        case .deliverBeforeConfirmation:
            return "Bob stores his key on PRIVACY_AMPLIFICATION, before Alice's CONFIRMATION_RESULT, and keeps it whatever the result"
        case .firstFrameOnlyCheck: return "the QBER threshold and the decoy check are applied to the session's first frame only"
        case .lenientThreshold: return "aborts only above 1.5 × the agreed QBER threshold, and skips the decoy check (declares 5 %, aborts above 7.5 %)"
        case .keepSampleBits: return "the disclosed sample bits stay in the frame: reconciliation and amplification run on all n bits"
        case .restartKeyIDs: return "key IDs are derived from the frame number only: every session reuses the same IDs"
        case .partialTagCheck: return "only the low 32 bits of a received authentication tag are compared"
        }
    }
}
