import Foundation
import PostProcessing
import QKDMath
import Wire

/// Verification, privacy amplification and key confirmation (docs/protocol.md, VERIFICATION …
/// CONFIRMATION_RESULT): the reconciled key is checked, shortened to what the finite-key bound
/// allows, confirmed, and stored at both ends or at neither.
extension NodeEngine {
    /// Alice hashes her reconciled key with t fresh hash keys and sends the tags.
    func aliceSendVerification(_ id: UInt64, _ reconciled: ReconciledFrame) throws(NodeError) {
        let p = try agreedParameters(for: "verification")
        let t: Int
        do { t = try KeyVerification.instances(frameBits: reconciled.key.count, epsilonCorrectness: p.epsilonCorrectness) } catch {
            throw .postProcessing(error)
        }
        let v = KeyVerification(hashKeys: (0..<t).map { _ in UInt64.random(in: 0...UInt64.max) })
        frames[id] = FrameState(id: id, phase: .verifying(reconciled, verification: v))
        try transmit(.verification(VerificationTags(frame: id, hashKeys: v.hashKeys, tags: v.tags(reconciled.key))))
    }

    /// Bob compares Alice's tags with his own and says whether they match.
    func bobVerify(_ v: VerificationTags) throws(NodeError) {
        guard let f = frames[v.frame], case .verifying(let reconciled, _) = f.phase else {
            throw .protocolViolation("verification for frame \(v.frame), which is not reconciled")
        }
        let verification = KeyVerification(hashKeys: v.hashKeys)
        let match = verification.matches(reconciled.key, aliceTags: v.tags) || config.bugs.contains(.skipVerification)
        summary.disclosedBits += reconciled.parityBits + verification.disclosedBits
        if match {
            frames[v.frame] = FrameState(id: v.frame, phase: .amplifying(reconciled, verificationBits: verification.disclosedBits))
        } else {
            end(v.frame, .discarded(.verificationMismatch))
        }
        try transmit(.verificationResult(VerificationResult(frame: v.frame, match: match)))
        if !match { logger.notice("frame discarded: verification mismatch", metadata: ["frame": "\(v.frame)"]) }
    }

    /// Alice takes Bob's verification result: on a match she computes ℓ, hashes her key down to
    /// it and announces seed, length and key ID; ℓ = 0 announces a discard.
    func aliceAmplify(_ r: VerificationResult) throws(NodeError) {
        guard let f = frames[r.frame], case .verifying(let reconciled, let verification?) = f.phase else {
            throw .protocolViolation("verification result for frame \(r.frame), which is not being verified")
        }
        let p = try agreedParameters(for: "a verification result")
        summary.disclosedBits += reconciled.parityBits + verification.disclosedBits
        guard r.match else {
            end(r.frame, .discarded(.verificationMismatch))
            return
        }
        let length = finalLength(reconciled, verificationBits: verification.disclosedBits, p)
        guard length > 0 else {
            end(r.frame, .discarded(.noSecretKey))
            try transmit(.privacyAmplification(PrivacyAmplificationParameters(
                frame: r.frame, finalBits: 0, toeplitzSeed: 0, keyID: [UInt8](repeating: 0, count: 16))))
            return
        }
        let toeplitzSeed = UInt64.random(in: 0...UInt64.max)
        let keyID = config.bugs.contains(.reuseKeyID) ? UUID.derivedKeyID(session: sessionID, frame: 0)
            : config.bugs.contains(.restartKeyIDs) ? UUID.derivedKeyID(session: 0, frame: r.frame) : UUID()
        let finalKey: BitKey
        do {
            let seed = FramePipeline.toeplitzSeed(bits: ToeplitzHash.seedBits(inputBits: reconciled.key.count, outputBits: length),
                                                  frameSeed: toeplitzSeed)
            finalKey = try ToeplitzHash.hash(reconciled.key, seed: seed, outputBits: length)
        } catch { throw .postProcessing(error) }
        frames[r.frame] = FrameState(id: r.frame, phase: .confirming(finalKey: finalKey, keyID: keyID))
        try transmit(.privacyAmplification(PrivacyAmplificationParameters(
            frame: r.frame, finalBits: UInt32(length), toeplitzSeed: toeplitzSeed, keyID: keyID.wireBytes)))
    }

    /// ℓ from the finite-key bound with the leakage counted on this frame — or, with a bug knob,
    /// from the flawed formula that knob plants. Alice distils this many bits; Bob refuses more.
    /// The key bits are n − k whatever the frame holds (the keep-sample-bits knob leaves the
    /// sample in, and computes ℓ as usual).
    func finalLength(_ f: ReconciledFrame, verificationBits: Int, _ p: AgreedParameters) -> Int {
        let parity = config.bugs.contains(.uncountedLeakage) ? 0 : f.parityBits
        let leak = Double(parity + verificationBits)
        let n = p.frameBits - p.sampleSize
        if config.bugs.contains(.overclaimKeyLength) {
            let q = Double(f.sampleErrors) / Double(max(1, p.sampleSize))
            return max(0, Int((Double(n) * (1 - ((try? binaryEntropy(min(0.5, q))) ?? 1)) - leak).rounded(.down)))
        }
        return (try? FiniteKeyLength(
            keyBits: n, sampleBits: p.sampleSize, toleratedQBER: p.qberThreshold, leakedBits: leak,
            epsilonSecrecy: p.epsilonSecrecy, epsilonCorrectness: p.epsilonCorrectness
        ).secretKeyBits()) ?? 0
    }

    /// Bob checks Alice's ℓ against his own bound, hashes his key down to it, holds it and
    /// confirms it with its fingerprint; he stores it when Alice's CONFIRMATION_RESULT says match.
    func bobAmplify(_ p: PrivacyAmplificationParameters) throws(NodeError) {
        guard let f = frames[p.frame], case .amplifying(let reconciled, let verificationBits) = f.phase else {
            throw .protocolViolation("privacy amplification for frame \(p.frame), which is not verified")
        }
        guard p.finalBits > 0 else {
            end(p.frame, .discarded(.noSecretKey))
            return
        }
        guard Int(p.finalBits) <= reconciled.key.count, let keyID = UUID(wireBytes: p.keyID) else {
            throw .protocolViolation("privacy amplification to \(p.finalBits) bits from \(reconciled.key.count)")
        }
        if !config.bugs.contains(.trustPeerLength) {
            let agreed = try agreedParameters(for: "privacy amplification")
            let bound = finalLength(reconciled, verificationBits: verificationBits, agreed)
            guard Int(p.finalBits) <= bound else {
                throw .refusedPeerDecision(frame: p.frame, reason: .protocolViolation, message:
                    "ℓ = \(p.finalBits) exceeds the finite-key bound of \(bound) bits for frame \(p.frame)")
            }
        }
        let key: BitKey
        do {
            let seed = FramePipeline.toeplitzSeed(bits: ToeplitzHash.seedBits(inputBits: reconciled.key.count, outputBits: Int(p.finalBits)),
                                                  frameSeed: p.toeplitzSeed)
            key = try ToeplitzHash.hash(reconciled.key, seed: seed, outputBits: Int(p.finalBits))
        } catch { throw .postProcessing(error) }
        // The defect of deliver-before-confirmation: stored now, whatever Alice answers.
        if config.bugs.contains(.deliverBeforeConfirmation) { try deposit(key, keyID: keyID) }
        frames[p.frame] = FrameState(id: p.frame, phase: .confirming(finalKey: key, keyID: keyID))
        try transmit(.keyConfirmation(KeyConfirmation(frame: p.frame, keyID: p.keyID, fingerprint: key.fingerprint64)))
    }

    /// Alice stores her key if Bob's fingerprint is hers, and tells him whether it was.
    func aliceConfirm(_ k: KeyConfirmation) throws(NodeError) {
        guard let f = frames[k.frame], case .confirming(let key, let keyID) = f.phase else {
            throw .protocolViolation("key confirmation for frame \(k.frame), which is not being amplified")
        }
        guard k.keyID == keyID.wireBytes else {
            throw .protocolViolation("key confirmation for frame \(k.frame) under another key ID")
        }
        guard k.fingerprint == key.fingerprint64 || config.bugs.contains(.skipVerification) else {
            end(k.frame, .discarded(.fingerprintMismatch))
            logger.error("frame discarded: Bob's key fingerprint differs", metadata: ["frame": "\(k.frame)"])
            try transmit(.confirmationResult(ConfirmationResult(frame: k.frame, keyID: k.keyID, match: false)))
            return
        }
        try deposit(key, keyID: keyID)
        end(k.frame, .delivered(keyID: keyID))
        try transmit(.confirmationResult(ConfirmationResult(frame: k.frame, keyID: k.keyID, match: true)))
        logger.debug("frame delivered", metadata: ["frame": "\(k.frame)", "t": "\(postProcessingSeconds)"])
    }

    /// Bob stores the key he holds when Alice's key matched his, and discards it otherwise.
    func bobConfirmationResult(_ c: ConfirmationResult) throws(NodeError) {
        guard let f = frames[c.frame], case .confirming(let key, let keyID) = f.phase else {
            throw .protocolViolation("confirmation result for frame \(c.frame), which is not being confirmed")
        }
        guard c.keyID == keyID.wireBytes else {
            throw .protocolViolation("confirmation result for frame \(c.frame) under another key ID")
        }
        if config.bugs.contains(.deliverBeforeConfirmation) {
            end(c.frame, .delivered(keyID: keyID))  // stored already, and kept
        } else if c.match {
            try deposit(key, keyID: keyID)
            end(c.frame, .delivered(keyID: keyID))
        } else {
            end(c.frame, .discarded(.fingerprintMismatch))
            logger.error("frame discarded: Alice's key fingerprint differs", metadata: ["frame": "\(c.frame)"])
        }
    }

    /// Puts a final key in the store and the key output's log.
    func deposit(_ key: BitKey, keyID: UUID) throws(NodeError) {
        do { try store.deposit(key, keyID: keyID) } catch { throw .postProcessing(error) }
        depositLog.append((keyID, key))
        summary.keys += 1
        summary.finalKeyBits += key.count
    }
}
