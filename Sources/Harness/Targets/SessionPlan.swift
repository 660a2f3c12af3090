import Foundation
import QuantumChannel

/// What one session runs: the channel per quantum-layer block (a scenario may change during the
/// session, e.g. clean first and attacked from block 6 on), the seed, how many blocks, and the
/// faults the harness's man in the middle applies to each direction of the control channel.
package struct SessionPlan: Sendable {
    /// One stretch of the session with its own channel, from block `fromBlock` on.
    package struct Phase: Sendable {
        package var fromBlock: Int
        package var scenario: Scenario

        package init(fromBlock: Int, scenario: Scenario) {
            self.fromBlock = fromBlock
            self.scenario = scenario
        }
    }

    /// The phases in block order; the first starts at block 0.
    package private(set) var phases: [Phase]
    package var seed: UInt64
    /// Alters Alice's frames (or, for an opaque channel, her byte stream in chunks) on their way to Bob.
    package var aliceFault: ChannelFault?
    /// Alters Bob's frames on their way to Alice.
    package var bobFault: ChannelFault?
    /// Quantum-layer blocks in the session; nil: the target's own number.
    package var blocks: Int?

    package init(scenario: Scenario, seed: UInt64, aliceFault: ChannelFault? = nil, bobFault: ChannelFault? = nil, blocks: Int? = nil) {
        phases = [Phase(fromBlock: 0, scenario: scenario)]
        self.seed = seed
        self.aliceFault = aliceFault
        self.bobFault = bobFault
        self.blocks = blocks
    }

    /// A session whose channel changes at the given blocks.
    package init(phases: [Phase], seed: UInt64, blocks: Int? = nil) {
        precondition(!phases.isEmpty, "a session plan needs a phase")
        self.phases = phases.sorted { $0.fromBlock < $1.fromBlock }
        self.phases[0].fromBlock = 0
        self.seed = seed
        self.blocks = blocks
    }

    /// The scenario of the first phase (what a session reports as its scenario).
    package var scenario: Scenario { phases[0].scenario }

    /// The index of the phase block `block` belongs to.
    package func phaseIndex(ofBlock block: Int) -> Int {
        phases.lastIndex { $0.fromBlock <= block } ?? 0
    }

    /// One simulator per phase, all on the session's seed: the randomness of a pulse depends on
    /// (seed, pulse index) only, so switching scenario at a block boundary changes the channel
    /// and nothing else.
    func simulators() throws -> [QuantumChannelSimulator] {
        try phases.map { try QuantumChannelSimulator(scenario: $0.scenario, seed: seed) }
    }
}
