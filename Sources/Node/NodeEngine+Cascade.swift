import Foundation
import PostProcessing
import Wire

/// Cascade over the wire (docs/protocol.md, CASCADE_REQUEST / CASCADE_REPLY): Bob's initiators
/// ask, batched per lane; Alice's responders answer every request once, in order.
extension NodeEngine {
    /// Alice answers one batch of parity queries; an entry without queries ends its frame's
    /// reconciliation, and she then sends the frame's verification.
    func aliceAnswer(_ batch: CascadeRequestBatch) throws(NodeError) {
        var replies = [CascadeReplyBatch.Entry]()
        var finishedFrames = [(id: UInt64, reconciled: ReconciledFrame)]()
        for entry in batch.entries {
            // Take the responder out of the table while it changes: a copy left behind would make
            // every mutation of the Cascade state copy its arrays.
            guard var f = frames.removeValue(forKey: entry.frame) else {
                throw .protocolViolation("parity queries for frame \(entry.frame), which is not being reconciled")
            }
            defer { frames[entry.frame] = f }
            guard case .answering(var responder, let key, let sampleErrors) = f.phase else {
                throw .protocolViolation("parity queries for frame \(entry.frame), which is not being reconciled")
            }
            f.phase = .aborted  // placeholder while the responder is out: it stays uniquely referenced
            if entry.queries.isEmpty {
                let reconciled = ReconciledFrame(key: key, parityBits: responder.disclosedParityBits, sampleErrors: sampleErrors)
                f.phase = .verifying(reconciled, verification: nil)
                finishedFrames.append((entry.frame, reconciled))
                continue
            }
            let request = CascadeRequest(round: entry.round, queries: entry.queries.map {
                ParityQuery(pass: Int($0.pass), start: Int($0.start), end: Int($0.end))
            })
            let reply: CascadeReply
            do { reply = try responder.answer(request) } catch { throw .cascadeMismatch(error) }
            f.phase = .answering(responder, key: key, sampleErrors: sampleErrors)
            replies.append(.init(frame: entry.frame, round: reply.round, parities: BitString(bitCount: reply.parities.count, bytes: reply.parities.bytes)))
        }
        // Always answer, even with no entries: Bob's next batch waits for this reply.
        try transmit(.cascadeReply(CascadeReplyBatch(entries: replies)))
        for (id, reconciled) in finishedFrames { try aliceSendVerification(id, reconciled) }
    }

    /// Bob takes the oldest lane's replies: each frame's initiator corrects its key and asks its
    /// next round, or says its frame is reconciled (an entry with no queries).
    func bobReceiveReplies(_ batch: CascadeReplyBatch) throws(NodeError) {
        guard !lanesInFlight.isEmpty else { throw .protocolViolation("a Cascade reply when no request is outstanding") }
        let lane = lanesInFlight.removeFirst()
        requestInFlight[lane] = false
        for entry in batch.entries {
            guard var f = frames.removeValue(forKey: entry.frame) else {
                throw .protocolViolation("parity replies for frame \(entry.frame), which is not being reconciled")
            }
            defer { frames[entry.frame] = f }
            guard case .reconciling(var initiator, let sampleErrors) = f.phase else {
                throw .protocolViolation("parity replies for frame \(entry.frame), which is not being reconciled")
            }
            f.phase = .aborted  // placeholder while the initiator is out: it stays uniquely referenced
            guard let parities = BitKey(bytes: entry.parities.bytes, count: entry.parities.bitCount) else {
                throw .protocolViolation("malformed parity bits for frame \(entry.frame)")
            }
            let next: CascadeRequest?
            do { next = try initiator.receive(CascadeReply(round: entry.round, parities: parities)) } catch {
                throw .cascadeMismatch(error)
            }
            if let next {
                f.phase = .reconciling(initiator, sampleErrors: sampleErrors)
                pendingRequests[Self.lane(entry.frame)].append(.init(frame: entry.frame, round: next.round, queries: next.queries.wire))
            } else {
                let reconciled = ReconciledFrame(key: initiator.key, parityBits: initiator.disclosedParityBits, sampleErrors: sampleErrors)
                f.phase = .verifying(reconciled, verification: nil)
                pendingRequests[Self.lane(entry.frame)].append(.init(frame: entry.frame, round: UInt32(initiator.rounds), queries: []))
            }
        }
        try flushRequests()
    }

    /// Sends each idle lane's pending queries in one message: the batching that keeps round trips
    /// shared across frames.
    func flushRequests() throws(NodeError) {
        for lane in 0..<Self.cascadeLanes where !pendingRequests[lane].isEmpty && !requestInFlight[lane] {
            let entries = pendingRequests[lane]
            pendingRequests[lane].removeAll()
            requestInFlight[lane] = true
            lanesInFlight.append(lane)
            try transmit(.cascadeRequest(CascadeRequestBatch(entries: entries)))
        }
    }

    @inline(__always)
    static func lane(_ frame: UInt64) -> Int { Int(frame % UInt64(cascadeLanes)) }

    /// The session's Cascade shuffles for `n` bits: drawn in the background once the parameters
    /// were agreed, or here if the frame's size differs.
    func permutations(_ n: Int, _ variant: CascadeVariant, _ p: AgreedParameters) -> CascadePermutations {
        if let cached = permutationCache[n], cached.order.count >= variant.passes { return cached }
        if let prepared = preparedPermutations, prepared.frameBits == n, prepared.passes >= variant.passes {
            let permutations = prepared.get()
            permutationCache[n] = permutations
            return permutations
        }
        let permutations = CascadePermutations(frameBits: n, passes: variant.passes, seed: p.permutationSeed)
        permutationCache[n] = permutations
        return permutations
    }
}
