import Foundation
import PostProcessing
import Wire

/// Parameter estimation (docs/protocol.md, ESTIMATION_SAMPLE / ESTIMATION_RESULT): Alice
/// discloses a random sample of each frame, Bob counts its errors and decides whether the frame
/// goes on.
extension NodeEngine {
    /// Alice draws the frame's sample, keeps the bits left and sends the sample to Bob.
    func aliceStartEstimation(_ id: UInt64, sifted: BitKey, _ p: AgreedParameters) throws(NodeError) {
        let n = sifted.count, k = p.sampleSize
        let seed = UInt64.random(in: 0...UInt64.max)
        let positions = ParameterEstimation.samplePositions(siftedBits: n, sampleSize: k, seed: seed)
        let bits = positions.map { sifted[Int($0)] }
        frames[id] = FrameState(id: id, phase: .estimating(key: sifted.removing(sortedPositions: positions)))
        try transmit(.estimationSample(EstimationSample(
            frame: id, siftedBits: UInt32(n), sampleSize: UInt32(k), sampleSeed: seed, sampleBits: BitString(bits: bits))))
    }

    /// Bob compares Alice's sample with his bits, decides, and on "proceed" starts Cascade.
    func bobEstimate(_ e: EstimationSample) throws(NodeError) {
        guard let f = frames[e.frame], case .estimating(let sifted) = f.phase else {
            throw .protocolViolation("estimation sample for frame \(e.frame), which Bob has not cut")
        }
        let p = try agreedParameters(for: "an estimation sample")
        let sampleSize = p.sampleSize
        guard Int(e.siftedBits) == sifted.count, Int(e.sampleSize) == sampleSize else {
            throw .protocolViolation("estimation sample of \(e.sampleSize) out of \(e.siftedBits) bits, Bob expects \(sampleSize) out of \(sifted.count)")
        }
        let positions = ParameterEstimation.samplePositions(siftedBits: sifted.count, sampleSize: sampleSize, seed: e.sampleSeed)
        var errors = 0
        for (j, position) in positions.enumerated() where sifted[Int(position)] != e.sampleBits[j] { errors += 1 }
        let remaining = sifted.removing(sortedPositions: positions)
        summary.sampleBits += sampleSize
        summary.sampleErrors += errors
        let qber = Double(errors) / Double(sampleSize)
        // The ignore-qber-threshold knob makes Bob never abort, so it skips the decoy check too.
        let neverAbort = config.bugs.contains(.ignoreQBERThreshold)
        let qberOK = qber <= p.qberThreshold || neverAbort
        let decoyOK = decoy.singlePhotonsCarryKey(qber: qber) || neverAbort || config.bugs.contains(.ignoreDecoyStatistics)
        let proceed = qberOK && decoyOK
        frames[e.frame] = FrameState(id: e.frame, phase: .estimating(key: remaining))
        try transmit(.estimationResult(EstimationResult(frame: e.frame, sampleErrors: UInt32(errors), proceed: proceed)))
        guard proceed else {
            logger.notice(qberOK ? "frame aborted: the decoy statistics leave no single-photon key (photon-number splitting?)"
                                 : "frame aborted: QBER above the threshold",
                          metadata: ["frame": "\(e.frame)", "qber": "\(qber)", "single_photon_share": "\(decoy.singlePhotonShare ?? 0)"])
            try abortFrame(e.frame, key: remaining)
            return
        }
        let variant = p.cascadeVariant
        do {
            var initiator = try CascadeInitiator(
                key: remaining, variant: variant,
                estimatedQBER: Cascade.estimatedQBER(sampleErrors: errors, sampleSize: sampleSize),
                permutations: permutations(remaining.count, variant, p))
            let first = initiator.start()
            frames[e.frame] = FrameState(id: e.frame, phase: .reconciling(initiator, sampleErrors: errors))
            pendingRequests[Self.lane(e.frame)].append(.init(frame: e.frame, round: first.round, queries: first.queries.wire))
        } catch { throw .postProcessing(error) }
        try flushRequests()
    }

    /// Alice takes Bob's decision: abort the frame, or answer his parity queries.
    func aliceEstimationResult(_ r: EstimationResult) throws(NodeError) {
        guard let f = frames[r.frame], case .estimating(let remaining) = f.phase else {
            throw .protocolViolation("estimation result for frame \(r.frame), which is not being estimated")
        }
        let p = try agreedParameters(for: "an estimation result")
        let sampleErrors = Int(r.sampleErrors)
        summary.sampleBits += p.sampleSize
        summary.sampleErrors += sampleErrors
        guard r.proceed else {
            try abortFrame(r.frame, key: remaining)
            return
        }
        let variant = p.cascadeVariant
        let responder: CascadeResponder
        do {
            responder = try CascadeResponder(
                key: remaining, variant: variant,
                estimatedQBER: Cascade.estimatedQBER(sampleErrors: sampleErrors, sampleSize: p.sampleSize),
                permutations: permutations(remaining.count, variant, p))
        } catch { throw .postProcessing(error) }
        frames[r.frame] = FrameState(id: r.frame, phase: .answering(responder, key: remaining, sampleErrors: sampleErrors))
    }

    /// A frame stopped by estimation: nothing of it is kept (unless a bug knob keeps it).
    func abortFrame(_ id: UInt64, key remaining: BitKey) throws(NodeError) {
        end(id, .aborted)
        if config.bugs.contains(.deliverAbortedBlock) {
            // The defect: the aborted frame's raw key goes to the store anyway.
            let raw = remaining.slice(0..<remaining.count / 2)
            try deposit(raw, keyID: UUID.derivedKeyID(session: sessionID, frame: id))
        }
    }
}
