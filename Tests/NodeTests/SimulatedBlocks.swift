import QuantumChannel
import Wire

/// The simulator's detections as quantum-layer blocks for the two engines: the slots where Bob
/// detected, with Alice's and Bob's records there. (The harness has the same feed; the node's
/// tests keep their own so that they do not depend on the harness.)
enum SimulatedFeed {
    static func blocks(_ simulator: QuantumChannelSimulator, block: UInt64, pulses: Int) -> (alice: QuantumLayerBlock, bob: QuantumLayerBlock) {
        let per = QuantumChannelSimulator.pulsesPerBlock
        let simBlocks = max(1, pulses / per)
        var offsets = [UInt32](), aBits = [UInt8](), aBases = [UInt8](), aClasses = [UInt8]()
        var bBits = [UInt8](), bBases = [UInt8](), doubles = [UInt8]()
        var sim = DetectionBlock()
        var tally = SimulationTally(pulses: 0, classes: simulator.scenario.intensities.count)
        for s in 0..<simBlocks {
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
}
