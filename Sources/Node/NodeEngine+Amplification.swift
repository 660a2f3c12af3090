import Foundation
import PostProcessing
import QKDMath
import Wire

/// Verification, privacy amplification and key confirmation (docs/protocol.md, VERIFICATION …
/// KEY_CONFIRMATION): the reconciled key is checked, shortened to what the finite-key bound
/// allows, stored, and confirmed.
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
            frames[v.frame] = FrameState(id: v.frame, phase: .amplifying(reconciled))
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
        let keyID = config.bugs.contains(.reuseKeyID) ? UUID.derivedKeyID(session: sessionID, frame: 0) : UUID()
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
    /// from the flawed formula that knob plants.
    func finalLength(_ f: ReconciledFrame, verificationBits: Int, _ p: AgreedParameters) -> Int {
        let parity = config.bugs.contains(.uncountedLeakage) ? 0 : f.parityBits
        let leak = Double(parity + verificationBits)
        let n = f.key.count
        if config.bugs.contains(.overclaimKeyLength) {
            let q = Double(f.sampleErrors) / Double(max(1, p.sampleSize))
            return max(0, Int((Double(n) * (1 - ((try? binaryEntropy(min(0.5, q))) ?? 1)) - leak).rounded(.down)))
        }
        return (try? FiniteKeyLength(
            keyBits: n, sampleBits: p.sampleSize, toleratedQBER: p.qberThreshold, leakedBits: leak,
            epsilonSecrecy: p.epsilonSecrecy, epsilonCorrectness: p.epsilonCorrectness
        ).secretKeyBits()) ?? 0
    }

    /// Bob hashes his key down to Alice's ℓ, stores it and confirms it with its fingerprint.
    func bobAmplify(_ p: PrivacyAmplificationParameters) throws(NodeError) {
        guard let f = frames[p.frame], case .amplifying(let reconciled) = f.phase else {
            throw .protocolViolation("privacy amplification for frame \(p.frame), which is not verified")
        }
        guard p.finalBits > 0 else {
            end(p.frame, .discarded(.noSecretKey))
            return
        }
        guard Int(p.finalBits) <= reconciled.key.count, let keyID = UUID(wireBytes: p.keyID) else {
            throw .protocolViolation("privacy amplification to \(p.finalBits) bits from \(reconciled.key.count)")
        }
        let key: BitKey
        do {
            let seed = FramePipeline.toeplitzSeed(bits: ToeplitzHash.seedBits(inputBits: reconciled.key.count, outputBits: Int(p.finalBits)),
                                                  frameSeed: p.toeplitzSeed)
            key = try ToeplitzHash.hash(reconciled.key, seed: seed, outputBits: Int(p.finalBits))
        } catch { throw .postProcessing(error) }
        try deposit(key, keyID: keyID)
        end(p.frame, .delivered(keyID: keyID))
        try transmit(.keyConfirmation(KeyConfirmation(frame: p.frame, keyID: p.keyID, fingerprint: key.fingerprint64)))
    }

    /// Alice stores her key if Bob's fingerprint is hers.
    func aliceConfirm(_ k: KeyConfirmation) throws(NodeError) {
        guard let f = frames[k.frame], case .confirming(let key, let keyID) = f.phase else {
            throw .protocolViolation("key confirmation for frame \(k.frame), which is not being amplified")
        }
        guard k.fingerprint == key.fingerprint64 || config.bugs.contains(.skipVerification) else {
            end(k.frame, .discarded(.fingerprintMismatch))
            logger.error("frame discarded: Bob's key fingerprint differs", metadata: ["frame": "\(k.frame)"])
            return
        }
        try deposit(key, keyID: keyID)
        end(k.frame, .delivered(keyID: keyID))
        logger.debug("frame delivered", metadata: ["frame": "\(k.frame)", "t": "\(postProcessingSeconds)"])
    }

    /// Puts a final key in the store and the key output's log.
    func deposit(_ key: BitKey, keyID: UUID) throws(NodeError) {
        do { try store.deposit(key, keyID: keyID) } catch { throw .postProcessing(error) }
        depositLog.append((keyID, key))
        summary.keys += 1
        summary.finalKeyBits += key.count
    }
}
