import Foundation
import PostProcessing
import QuantumChannel
import Testing
import Wire
@testable import Node

@Suite("Reference node: protocol and bug knobs (in-memory control channel)", .serialized)
struct NodeEngineTests {
    @Test("a clean session delivers keys that match bit for bit under the same IDs")
    func clean() async throws {
        let o = try await InMemorySession().run()
        #expect(o.aliceError == nil && o.bobError == nil)
        #expect(o.bob.framesDelivered >= 2)
        #expect(o.aliceKeys.count == o.bobKeys.count && !o.aliceKeys.isEmpty)
        for (a, b) in zip(o.aliceKeys, o.bobKeys) {
            #expect(a.keyID == b.keyID)
            #expect(a.key == b.key)
        }
        #expect(Set(o.aliceKeys.map(\.keyID)).count == o.aliceKeys.count)
        #expect(o.bob.framesAborted == 0)
        #expect(o.alice.authenticationBitsConsumed > 64)
    }

    @Test("Bob's Cascade batches: one lane each (even or odd frames), at most one outstanding per lane, each answered once")
    func cascadeLanes() async throws {
        var s = InMemorySession()
        s.blocks = 8  // several frames, so both lanes reconcile
        let o = try await s.run()
        #expect(o.aliceError == nil && o.bobError == nil)
        #expect(o.bob.framesDelivered >= 4)
        var outstanding = 0, lanesSeen = Set<Int>()
        for (from, message) in o.sent {
            if from == .bob, case .cascadeRequest(let batch) = message {
                outstanding += 1
                let lanes = Set(batch.entries.map { NodeEngine.lane($0.frame) })
                #expect(lanes.count == 1, "a batch mixes lanes: \(batch.entries.map(\.frame))")
                lanesSeen.formUnion(lanes)
            }
            if from == .alice, case .cascadeReply = message { outstanding -= 1 }
            // Observed as sent: a reply never precedes its request, and no lane has two out.
            #expect(outstanding >= 0 && outstanding <= NodeEngine.cascadeLanes)
        }
        #expect(lanesSeen == Set(0..<NodeEngine.cascadeLanes))
        #expect(outstanding == 0)
        for (a, b) in zip(o.aliceKeys, o.bobKeys) { #expect(a.key == b.key) }
    }

    @Test("intercept-resend on every pulse: every frame aborts and no key is stored")
    func abortsAtHighQBER() async throws {
        var s = InMemorySession()
        s.scenario.eavesdropper = .interceptResend(fraction: 1)
        let o = try await s.run()
        #expect(o.aliceError == nil && o.bobError == nil)
        #expect(o.bob.frames >= 2 && o.bob.framesAborted == o.bob.frames)
        #expect(o.aliceKeys.isEmpty && o.bobKeys.isEmpty)
    }

    @Test("ignore-qber-threshold: the same attack no longer aborts")
    func ignoreQBERThreshold() async throws {
        var s = InMemorySession()
        s.scenario.eavesdropper = .interceptResend(fraction: 1)
        s.bugs = [.ignoreQBERThreshold]
        let o = try await s.run()
        #expect(o.bob.frames >= 2 && o.bob.framesAborted == 0)
    }

    @Test("deliver-aborted-block: aborted frames still put keys in the store")
    func deliverAbortedBlock() async throws {
        var s = InMemorySession()
        s.scenario.eavesdropper = .interceptResend(fraction: 1)
        s.bugs = [.deliverAbortedBlock]
        let o = try await s.run()
        #expect(o.bob.framesAborted == o.bob.frames)
        #expect(!o.bobKeys.isEmpty)
    }

    /// Flips one bit of Alice's first verification tag and re-tags the frame, so the change
    /// passes authentication: only verification can notice.
    static let corruptVerification: @Sendable (Int, [UInt8]) -> [[UInt8]] = { _, bytes in
        guard var frame = try? FrameDecoder.decode(bytes).frame, case .verification(var v) = frame.message else { return [bytes] }
        v.tags[0] ^= 1
        frame.message = .verification(v)
        return [retag(frame)]
    }

    @Test("a wrong verification tag discards the frame; with skip-verification it is delivered")
    func skipVerification() async throws {
        var s = InMemorySession()
        s.tamper = Self.corruptVerification
        let clean = try await s.run()
        #expect(clean.bob.framesDiscarded == clean.bob.frames && clean.bobKeys.isEmpty)
        s.bugs = [.skipVerification]
        let buggy = try await s.run()
        #expect(buggy.bob.framesDelivered == buggy.bob.frames && !buggy.bobKeys.isEmpty)
    }

    /// Flips a tag bit of Alice's 8th frame: the frame stays well-formed, only its tag is wrong.
    static let flipPayloadBit: @Sendable (Int, [UInt8]) -> [[UInt8]] = { n, bytes in
        guard n == 8 else { return [bytes] }
        var b = bytes
        b[b.count - 1] ^= 0x01
        return [b]
    }

    @Test("a flipped tag bit fails authentication and aborts the session; ignore-auth-tag accepts it")
    func authentication() async throws {
        var s = InMemorySession()
        s.tamper = Self.flipPayloadBit
        let clean = try await s.run()
        guard case .authentication = clean.bobError else {
            Issue.record("expected an authentication failure, got \(String(describing: clean.bobError))")
            return
        }
        #expect(clean.bobKeys.isEmpty)
        s.bugs = [.ignoreAuthTag]
        let buggy = try await s.run()
        if case .authentication = buggy.bobError { Issue.record("ignore-auth-tag still checked the tag") }
    }

    @Test("a replayed frame is rejected; accept-replayed-frame processes it")
    func replay() async throws {
        var s = InMemorySession()
        s.tamper = { n, bytes in n == 0 ? [bytes, bytes] : [bytes] }  // Alice's HELLO twice
        let clean = try await s.run()
        guard case .outOfSequence = clean.bobError else {
            Issue.record("expected a replay rejection, got \(String(describing: clean.bobError))")
            return
        }
        s.bugs = [.acceptReplayedFrame]
        let buggy = try await s.run()
        if case .outOfSequence = buggy.bobError { Issue.record("the replay was still rejected") }
    }

    @Test("overclaim-key-length and uncounted-leakage deliver longer keys than the finite-key bound allows")
    func lengthBugs() async throws {
        let clean = try await InMemorySession().run()
        var s = InMemorySession()
        s.bugs = [.overclaimKeyLength]
        let over = try await s.run()
        s.bugs = [.uncountedLeakage]
        let uncounted = try await s.run()
        #expect(clean.bob.finalKeyBits > 0)
        #expect(Double(over.bob.finalKeyBits) > 1.5 * Double(clean.bob.finalKeyBits))
        // Not subtracting Cascade's parities adds roughly what Cascade disclosed.
        #expect(Double(uncounted.bob.finalKeyBits - clean.bob.finalKeyBits) > 0.8 * Double(clean.bob.disclosedBits - 64 * clean.bob.frames))
    }

    @Test("reuse-key-id gives every key the same ID")
    func reuseKeyID() async throws {
        var s = InMemorySession()
        s.bugs = [.reuseKeyID]
        let o = try await s.run()
        #expect(o.bobKeys.count >= 2)
        #expect(Set(o.bobKeys.map(\.keyID)).count == 1)
    }

    @Test("every bug knob has a one-line description and parses from its name")
    func knobs() {
        #expect(BugKnob.allCases.count == 19)
        for k in BugKnob.allCases {
            #expect(BugKnob(rawValue: k.rawValue) == k)
            #expect(!k.summary.isEmpty && !k.summary.contains("\n"))
        }
    }
}
