import Foundation
import PostProcessing
import Wire

/// Parameter estimation (docs/protocol.md, ESTIMATION_SAMPLE / ESTIMATION_RESULT): Alice
/// discloses a random sample of each frame, Bob counts its errors and decides whether the frame
/// goes on, and Alice checks his decision against her own reading of his figures.
extension NodeEngine {
    /// Alice draws the frame's sample, keeps the bits left and sends the sample to Bob.
    func aliceStartEstimation(_ id: UInt64, sifted: BitKey, decoy: DecoyMonitor, _ p: AgreedParameters) throws(NodeError) {
        let n = sifted.count, k = p.sampleSize
        let seed = UInt64.random(in: 0...UInt64.max)
        let positions = ParameterEstimation.samplePositions(siftedBits: n, sampleSize: k, seed: seed)
        let bits = positions.map { sifted[Int($0)] }
        frames[id] = FrameState(id: id, phase: .estimating(key: keyAfterSample(sifted, positions), decoy: decoy))
        try transmit(.estimationSample(EstimationSample(
            frame: id, siftedBits: UInt32(n), sampleSize: UInt32(k), sampleSeed: seed, sampleBits: BitString(bits: bits))))
    }

    /// The bits that go on after estimation: the frame without its disclosed sample (or, with the
    /// keep-sample-bits knob, the whole frame).
    func keyAfterSample(_ sifted: BitKey, _ positions: [Int32]) -> BitKey {
        config.bugs.contains(.keepSampleBits) ? sifted : sifted.removing(sortedPositions: positions)
    }

    /// This node's own reading of a frame's sample: whether its QBER is within the agreed
    /// threshold, and whether the decoy statistics leave a key from single photons. Both ends
    /// read a sample the same way, so a knob that plants a defect in the check plants it at both.
    func readSample(frame: UInt64, errors: Int, _ p: AgreedParameters, decoy: DecoyMonitor) -> (qberOK: Bool, decoyOK: Bool) {
        let qber = Double(errors) / Double(p.sampleSize)
        // The ignore-qber-threshold knob never aborts, so it skips the decoy check too; the
        // first-frame-only-check knob does the same after the session's first frame.
        let neverAbort = config.bugs.contains(.ignoreQBERThreshold) || (config.bugs.contains(.firstFrameOnlyCheck) && frame != 0)
        let threshold = config.bugs.contains(.lenientThreshold) ? 1.25 * p.qberThreshold : p.qberThreshold
        let qberOK = qber <= threshold || neverAbort
        let decoyOK = neverAbort || config.bugs.contains(.ignoreDecoyStatistics) || decoy.singlePhotonsCarryKey(qber: qber)
        return (qberOK, decoyOK)
    }

    /// Bob compares Alice's sample with his bits, decides, and on "proceed" starts Cascade.
    func bobEstimate(_ e: EstimationSample) throws(NodeError) {
        guard let f = frames[e.frame], case .estimating(let sifted, let decoy) = f.phase else {
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
        let remaining = keyAfterSample(sifted, positions)
        summary.sampleBits += sampleSize
        summary.sampleErrors += errors
        let (qberOK, decoyOK) = readSample(frame: e.frame, errors: errors, p, decoy: decoy)
        let proceed = qberOK && decoyOK
        frames[e.frame] = FrameState(id: e.frame, phase: .estimating(key: remaining, decoy: decoy))
        try transmit(.estimationResult(EstimationResult(frame: e.frame, sampleErrors: UInt32(errors), proceed: proceed)))
        guard proceed else {
            logger.notice(qberOK ? "frame aborted: the decoy statistics leave no single-photon key (photon-number splitting?)"
                                 : "frame aborted: QBER above the threshold",
                          metadata: ["frame": "\(e.frame)", "qber": "\(Double(errors) / Double(sampleSize))",
                                     "single_photon_share": "\(decoy.singlePhotonShare ?? 0)"])
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

    /// Alice takes Bob's decision: abort the frame, or — once her own reading of his figures
    /// agrees that it may go on — answer his parity queries.
    func aliceEstimationResult(_ r: EstimationResult) throws(NodeError) {
        guard let f = frames[r.frame], case .estimating(let remaining, let decoy) = f.phase else {
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
        if !config.bugs.contains(.trustPeerEstimate) {
            let (qberOK, decoyOK) = readSample(frame: r.frame, errors: sampleErrors, p, decoy: decoy)
            guard qberOK else {
                throw .refusedPeerDecision(frame: r.frame, reason: .qberAboveThreshold, message:
                    "Bob proceeds with \(sampleErrors) errors in \(p.sampleSize) sample bits, above the agreed threshold \(p.qberThreshold)")
            }
            guard decoyOK else {
                throw .refusedPeerDecision(frame: r.frame, reason: .noSinglePhotonKey, message:
                    "Bob proceeds, but the decoy statistics leave no key from single photons at \(sampleErrors) errors in \(p.sampleSize)")
            }
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
