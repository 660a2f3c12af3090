import Foundation
import Harness
import PostProcessing
import QuantumChannel
import Wire
@testable import Node

/// Two reference node engines joined by the harness's in-memory control channel
/// (``ReferenceTarget``), with the knobs these tests turn: the scenario, the size of the run,
/// the bug knobs and a fault applied to Alice's frames.
struct InMemorySession {
    var scenario = Scenario.gys(distanceKm: 0)
    var blocks = 4
    var blockPulses = 1 << 22
    var frameBits = 32_768
    var seed: UInt64 = 1
    var bugs: Set<BugKnob> = []
    var tamper: ReferenceTarget.Fault? = nil

    static var psk: BitKey { ReferenceTarget.authenticationKey }

    func run() async throws -> ReferenceTarget.Session {
        var target = ReferenceTarget(bugs: bugs)
        target.blocks = blocks
        target.blockPulses = blockPulses
        target.frameBits = frameBits
        return try await target.run(scenario: scenario, seed: seed, fault: tamper)
    }
}

/// Re-tags a frame from Alice after the test changed it, as an attacker with the key could.
func retag(_ frame: Frame) -> [UInt8] { ReferenceTarget.retagged(frame) ?? [] }
