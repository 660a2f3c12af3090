import Foundation
import Harness
import PostProcessing
import QuantumChannel
import Wire
@testable import Node

/// Two reference node engines joined by the harness's in-memory control channel
/// (``InProcessTarget``), with the knobs these tests turn: the scenario, the size of the run,
/// the bug knobs and a fault applied to Alice's frames.
struct InMemorySession {
    var scenario = Scenario.gys(distanceKm: 0)
    var blocks = 4
    var blockPulses = 1 << 22
    var frameBits = 32_768
    var seed: UInt64 = 1
    var bugs: Set<BugKnob> = []
    /// Alice's frame index and bytes → what Bob receives instead.
    var tamper: (@Sendable (Int, [UInt8]) -> [[UInt8]])? = nil

    static var psk: BitKey { ReferenceNodeCommand.authenticationKey }

    func run() async throws -> InProcessTarget.EngineSession {
        var target = InProcessTarget(bugs: bugs)
        target.blocksPerSession = blocks
        target.blockPulses = blockPulses
        target.frameBits = frameBits
        var fault: ChannelFault?
        if let tamper {
            fault = { index, bytes in tamper(index, bytes).map { FaultAction.send($0) } }
        }
        return try await target.runEngines(scenario: scenario, seed: seed, fault: fault)
    }
}

/// Re-tags a frame from Alice after the test changed it, as an attacker with the key could.
func retag(_ frame: Frame) -> [UInt8] { ReferenceNodeCommand.retagged(frame) ?? [] }
