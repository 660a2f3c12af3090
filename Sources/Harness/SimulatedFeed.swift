import Dispatch
import Foundation
import QKDMath
import QuantumChannel
import Wire

/// Turns the simulator's output into quantum-layer blocks for a pair of nodes: each block holds
/// the slots where Bob detected, with Alice's records and Bob's records there.
package enum SimulatedFeed {
    /// Block `block` of `pulses` slots (a multiple of the simulator's 2²⁰-slot block).
    package static func blocks(_ simulator: QuantumChannelSimulator, block: UInt64, pulses: Int) -> (alice: QuantumLayerBlock, bob: QuantumLayerBlock) {
        let per = QuantumChannelSimulator.pulsesPerBlock
        let simBlocks = max(1, pulses / per)
        var offsets = [UInt32](), aBits = [UInt8](), aBases = [UInt8](), aClasses = [UInt8]()
        var bBits = [UInt8](), bBases = [UInt8](), doubles = [UInt8]()
        var sim = DetectionBlock()
        var tally = SimulationTally(pulses: 0, classes: simulator.scenario.intensities.count)
        for s in 0..<simBlocks {
            // The run length only bounds the last block; these blocks are all full.
            simulator.fill(&sim, index: block * UInt64(simBlocks) + UInt64(s), totalPulses: .max / 2, tally: &tally)
            for i in 0..<sim.detections {
                let d = sim.detection(i)
                offsets.append(UInt32(s * per) + sim.offsets[i])
                aBits.append(d.alice.bit); aBases.append(d.alice.basis.rawValue)
                aClasses.append(d.alice.intensityClass & 1); aClasses.append(d.alice.intensityClass >> 1)
                bBits.append(d.bob.bit); bBases.append(d.bob.basis.rawValue); doubles.append(d.bob.click == .double ? 1 : 0)
            }
        }
        let first = block * UInt64(pulses)
        return (QuantumLayerBlock(kind: .alice, block: block, firstPulse: first, pulseCount: pulses, offsets: offsets,
                                  bits: BitString(bits: aBits), bases: BitString(bits: aBases), extra: BitString(bits: aClasses)),
                QuantumLayerBlock(kind: .bob, block: block, firstPulse: first, pulseCount: pulses, offsets: offsets,
                                  bits: BitString(bits: bBits), bases: BitString(bits: bBases), extra: BitString(bits: doubles)))
    }

    /// A block for both nodes, and its encoding for each.
    struct EncodedPair: Sendable {
        var alice: QuantumLayerBlock
        var bob: QuantumLayerBlock
        var aliceBytes: [UInt8]
        var bobBytes: [UInt8]
    }

    /// Every block of `plan` for both nodes, simulated and encoded on every core (each block on
    /// its phase's simulator): the same blocks as simulating them one by one.
    static func allBlocks(_ plan: SessionPlan, count: Int, pulses: Int) throws -> [EncodedPair] {
        let simulators = try plan.simulators()
        let results = ConcurrentSlots<EncodedPair>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { b in
            let (alice, bob) = blocks(simulators[plan.phaseIndex(ofBlock: b)], block: UInt64(b), pulses: pulses)
            results.store(b, EncodedPair(alice: alice, bob: bob, aliceBytes: alice.encoded(), bobBytes: bob.encoded()))
        }
        return results.values
    }
}
