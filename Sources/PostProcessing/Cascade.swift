/// The outcome of one Cascade run.
public struct CascadeOutcome: Sendable, Equatable {
    /// Bob's key after reconciliation.
    public var reconciledKey: BitKey
    /// Every parity bit Alice disclosed (the leakage to subtract in privacy amplification).
    public var disclosedParityBits: Int
    /// Round trips; messages = 2 × rounds.
    public var rounds: Int
    public var correctedBits: Int

    public var messages: Int { 2 * rounds }
}

extension Cascade {
    /// The error rate both parties give Cascade, from the parameter-estimation sample: the
    /// sampled QBER, but never below half an error in the sample or 10⁻³ (a clean sample still
    /// hides errors), and below ½. Both sides must use the same value: it sets the block sizes.
    public static func estimatedQBER(sampleErrors: Int, sampleSize: Int) -> Double {
        let k = Double(max(1, sampleSize))
        return min(0.49, max(Double(sampleErrors) / k, 0.5 / k, 1e-3))
    }
}

/// Runs both parties of Cascade in one process, passing the messages between them as values, as
/// the reference stack does over the wire.
public enum Cascade {
    /// Reconciles Bob's key towards Alice's.
    /// - Parameter transcript: called with every request and its reply, in order.
    public static func reconcile(
        alice: BitKey, bob: BitKey, variant: CascadeVariant, estimatedQBER: Double, permutations: CascadePermutations,
        transcript: ((CascadeRequest, CascadeReply) -> Void)? = nil
    ) throws(PostProcessingError) -> CascadeOutcome {
        guard alice.count == bob.count else {
            throw .lengthMismatch(what: "Bob's key", expected: alice.count, actual: bob.count)
        }
        var responder = try CascadeResponder(key: alice, variant: variant, estimatedQBER: estimatedQBER, permutations: permutations)
        var initiator = try CascadeInitiator(key: bob, variant: variant, estimatedQBER: estimatedQBER, permutations: permutations)
        var request = initiator.start()
        while true {
            let reply = try responder.answer(request)
            transcript?(request, reply)
            // Let go of the request before Bob builds the next one in the same storage.
            request = CascadeRequest(round: 0, queries: [])
            guard let next = try initiator.receive(reply) else { break }
            request = next
        }
        return CascadeOutcome(
            reconciledKey: initiator.key, disclosedParityBits: initiator.disclosedParityBits, rounds: initiator.rounds,
            correctedBits: initiator.correctedBits)
    }
}
