import Foundation
import QKDMath
import Synchronization

/// The reference simulator of the BB84 quantum channel: weak-coherent pulses with decoy
/// intensities over fibre into two threshold detectors, with dark counts, misalignment,
/// afterpulsing, injected noise and eavesdroppers.
///
/// Most pulses never click, so the simulator does not visit them: within each block of
/// ``pulsesPerBlock`` slots it draws the gaps between *candidate* slots from a geometric
/// distribution at the largest click probability of any slot, and thins the candidates to the
/// slot's own click probability (an exact method). Work grows with detections, not pulses.
/// Every per-slot choice is a pure function of (seed, pulse index) through Philox4x32-10 and the
/// candidates of a block a pure function of (seed, block index), so any thread count gives the
/// same records.
public struct QuantumChannelSimulator: Sendable {
    public let scenario: Scenario
    public let seed: UInt64
    /// The number of pulse slots in one block: the unit of streaming and of parallel work.
    public static let pulsesPerBlock = 1 << 20

    private let generator: Philox4x32
    private let classThresholds: [UInt64]
    private let zThreshold: UInt64
    /// Click probabilities per (class, aligned): index 2·class + (aligned ? 1 : 0).
    let clickTable: [ClickProbabilities]
    /// The largest click probability of any slot: the rate of candidate slots.
    let candidateProbability: Double
    private let inverseLogMiss: Double
    private let interceptResend: Bool
    private let interceptThreshold: UInt64
    private let noiseThreshold: UInt64
    private let afterpulseThreshold: UInt64
    private let needsSecondDraw: Bool

    public init(scenario: Scenario, seed: UInt64) throws(ScenarioError) {
        try scenario.validate()
        self.scenario = scenario
        self.seed = seed
        generator = Philox4x32(seed: seed)
        var cumulative = 0.0
        var thresholds = [UInt64]()
        for c in scenario.intensities {
            cumulative += c.probability
            thresholds.append(wordThreshold(cumulative))
        }
        thresholds[thresholds.count - 1] = 1 << 32  // the last class takes every remaining word
        classThresholds = thresholds
        zThreshold = wordThreshold(scenario.probabilityZ)

        let d = scenario.detector.darkCountProbability
        var table = [ClickProbabilities]()
        for c in scenario.intensities {
            let arrival: PhotonArrival
            if scenario.eavesdropper == .photonNumberSplitting {
                arrival = .photonNumberSplitting(mu: c.meanPhotonNumber, detectorEfficiency: scenario.detector.efficiency)
            } else {
                arrival = .poisson(mu: c.meanPhotonNumber, transmittance: scenario.channelTransmittance * scenario.detector.efficiency)
            }
            for aligned in [false, true] {
                table.append(clickProbabilities(
                    arrival: arrival, aligned: aligned, misalignment: scenario.detector.misalignmentError, darkCount: d))
            }
        }
        clickTable = table
        candidateProbability = min(1, table.map(\.click).max() ?? 0)
        inverseLogMiss = candidateProbability < 1 ? 1 / log1p(-candidateProbability) : 0
        if case .interceptResend(let p) = scenario.eavesdropper {
            interceptResend = p > 0
            interceptThreshold = wordThreshold(p)
        } else {
            interceptResend = false
            interceptThreshold = 0
        }
        noiseThreshold = wordThreshold(scenario.injectedNoise)
        afterpulseThreshold = wordThreshold(scenario.detector.afterpulseProbability)
        needsSecondDraw = interceptResend || scenario.injectedNoise > 0 || scenario.detector.afterpulseProbability > 0
    }

    // MARK: Records on demand

    /// Alice's record for any pulse slot, computed from (seed, pulse) alone.
    @inline(__always)
    public func aliceRecord(pulse: UInt64) -> AliceRecord {
        let w = generator.block(index: pulse, draw: 0, stream: PulseStream.pulse)
        return decodeAlice(w)
    }

    @inline(__always)
    private func decodeAlice(_ w: (UInt32, UInt32, UInt32, UInt32)) -> AliceRecord {
        var k = 0
        let u = UInt64(w.0)
        while k < classThresholds.count - 1 && u >= classThresholds[k] { k += 1 }
        return AliceRecord(bit: UInt8(w.2 & 1), basis: UInt64(w.1) < zThreshold ? .z : .x, intensityClass: UInt8(k))
    }

    /// Alice's records for a range of slots, bit-packed: (bits, bases, classes). One Philox block
    /// per slot; use it when a device needs the dense record stream.
    public func aliceRecords(_ range: Range<UInt64>) -> (bits: PackedBits, bases: PackedBits, classes: PackedBits) {
        var bits = PackedBits(), bases = PackedBits(), classes = PackedBits(bitsPerElement: 2)
        let n = Int(range.count)
        bits.reserveCapacity(n); bases.reserveCapacity(n); classes.reserveCapacity(n)
        for p in range {
            let a = aliceRecord(pulse: p)
            bits.append(a.bit); bases.append(a.basis.rawValue); classes.append(a.intensityClass)
        }
        return (bits, bases, classes)
    }

    // MARK: Blocks

    /// The number of blocks that `pulses` slots make.
    public static func blockCount(pulses: UInt64) -> UInt64 {
        (pulses + UInt64(pulsesPerBlock) - 1) / UInt64(pulsesPerBlock)
    }

    /// Simulates block `index` of a run of `totalPulses` slots into `block`, reusing its storage,
    /// and adds its counts to `tally`.
    public func fill(_ block: inout DetectionBlock, index: UInt64, totalPulses: UInt64, tally: inout SimulationTally) {
        let first = index * UInt64(Self.pulsesPerBlock)
        let count = first < totalPulses ? Int(min(UInt64(Self.pulsesPerBlock), totalPulses - first)) : 0
        block.reset(blockIndex: index, firstPulse: first, pulseCount: count)
        guard count > 0 else { return }

        var position = -1
        var draw: UInt32 = 0
        // An afterpulse due in slot `offset`, in the detector for bit `bit`.
        var pendingOffset = Int.max
        var pendingBit: UInt8 = 0
        while true {
            var candidate = Int.max
            var acceptance = 0.0
            if candidateProbability > 0 {
                let w = generator.block(index: index, draw: draw, stream: PulseStream.gaps)
                draw &+= 1
                let gap = candidateProbability < 1 ? (log(Uniform.open52(hi: w.0, lo: w.1)) * inverseLogMiss).rounded(.down) : 0
                let next = Double(position) + 1 + gap
                if next < Double(count) { candidate = Int(next) }
                acceptance = Uniform.open32(w.2) * candidateProbability
            }
            // Afterpulses in slots before the next candidate click on their own.
            while pendingOffset < candidate && pendingOffset < count {
                let offset = pendingOffset
                pendingOffset = .max
                evaluate(offset: offset, first: first, acceptance: nil, afterpulseBit: pendingBit,
                         block: &block, tally: &tally, pendingOffset: &pendingOffset, pendingBit: &pendingBit)
            }
            if candidate == .max { break }
            position = candidate
            let merged = pendingOffset == candidate
            pendingOffset = .max
            evaluate(offset: candidate, first: first, acceptance: acceptance, afterpulseBit: merged ? pendingBit : nil,
                     block: &block, tally: &tally, pendingOffset: &pendingOffset, pendingBit: &pendingBit)
        }
    }

    /// Decides what Bob records in one slot: a candidate (with its acceptance variate) and/or a
    /// slot with an afterpulse due.
    @inline(__always)
    private func evaluate(
        offset: Int, first: UInt64, acceptance: Double?, afterpulseBit: UInt8?,
        block: inout DetectionBlock, tally: inout SimulationTally, pendingOffset: inout Int, pendingBit: inout UInt8
    ) {
        let pulse = first + UInt64(offset)
        let w = generator.block(index: pulse, draw: 0, stream: PulseStream.pulse)
        let alice = decodeAlice(w)
        let bobBasis: Basis = UInt64(w.3) < zThreshold ? .z : .x
        let extra = needsSecondDraw ? generator.block(index: pulse, draw: 1, stream: PulseStream.pulse) : (0, 0, 0, 0)

        // The state that reaches Bob: Alice's, or Eve's resent one.
        var arrivingBasis = alice.basis
        var arrivingBit = alice.bit
        if interceptResend && UInt64(extra.0) < interceptThreshold {
            let eveBasis: Basis = (w.2 >> 1) & 1 == 0 ? .z : .x
            if eveBasis != alice.basis { arrivingBit = UInt8((w.2 >> 2) & 1) }
            arrivingBasis = eveBasis
        }

        var fired0 = false, fired1 = false
        if let acceptance {
            let p = clickTable[2 * Int(alice.intensityClass) + (bobBasis == arrivingBasis ? 1 : 0)]
            if acceptance < p.click {
                let reference = acceptance < p.referenceOnly || acceptance >= p.referenceOnly + p.otherOnly
                let other = acceptance >= p.referenceOnly
                if reference { if arrivingBit == 0 { fired0 = true } else { fired1 = true } }
                if other { if arrivingBit == 0 { fired1 = true } else { fired0 = true } }
            }
        }
        if let afterpulseBit { if afterpulseBit == 0 { fired0 = true } else { fired1 = true } }
        guard fired0 || fired1 else { return }

        let double = fired0 && fired1
        let detectorBit: UInt8 = double ? UInt8((w.2 >> 3) & 1) : (fired1 ? 1 : 0)
        var bit = detectorBit
        if UInt64(extra.1) < noiseThreshold { bit ^= 1 }
        if UInt64(extra.2) < afterpulseThreshold {
            pendingOffset = offset + 1
            pendingBit = detectorBit
        }
        let bob = BobRecord(click: double ? .double : .single, basis: bobBasis, bit: bit)
        block.append(offset: UInt32(offset), alice: alice, bob: bob)

        let k = Int(alice.intensityClass)
        tally.perClass[k].detections += 1
        if double { tally.perClass[k].doubleClicks += 1 }
        if alice.basis == bobBasis {
            tally.perClass[k].sifted += 1
            if alice.bit != bit { tally.perClass[k].siftedErrors += 1 }
        }
    }

    /// The blocks of a run of `pulses` slots, one after another, generated lazily so memory stays
    /// bounded however long the run.
    public func blocks(pulses: UInt64) -> DetectionBlocks { DetectionBlocks(simulator: self, pulses: pulses) }

    // MARK: Parallel runs

    /// Simulates `pulses` slots on `threads` threads and returns the counts. `onBlock` is called
    /// after each block (from any thread) with the number of blocks done so far, for progress.
    public func run(pulses: UInt64, threads: Int = 1, onBlock: (@Sendable (UInt64) -> Void)? = nil) -> SimulationTally {
        let blocks = Self.blockCount(pulses: pulses)
        let workers = Int(min(UInt64(max(1, threads)), max(1, blocks)))
        let total = Mutex(SimulationTally(pulses: pulses, classes: scenario.intensities.count))
        let done = Atomic<UInt64>(0)
        let classes = scenario.intensities.count
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var block = DetectionBlock()
            var tally = SimulationTally(pulses: 0, classes: classes)
            var index = UInt64(worker)
            while index < blocks {
                fill(&block, index: index, totalPulses: pulses, tally: &tally)
                let finished = done.add(1, ordering: .relaxed).newValue
                onBlock?(finished)
                index += UInt64(workers)
            }
            total.withLock { $0.add(tally) }
        }
        return total.withLock { $0 }
    }
}

/// The lazily generated blocks of a run (see ``QuantumChannelSimulator/blocks(pulses:)``).
public struct DetectionBlocks: Sequence, Sendable {
    let simulator: QuantumChannelSimulator
    let pulses: UInt64

    public struct Iterator: IteratorProtocol {
        let simulator: QuantumChannelSimulator
        let pulses: UInt64
        var nextIndex: UInt64 = 0
        var tally: SimulationTally

        public mutating func next() -> DetectionBlock? {
            guard nextIndex < QuantumChannelSimulator.blockCount(pulses: pulses) else { return nil }
            var block = DetectionBlock()
            simulator.fill(&block, index: nextIndex, totalPulses: pulses, tally: &tally)
            nextIndex += 1
            return block
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(simulator: simulator, pulses: pulses, tally: SimulationTally(pulses: 0, classes: simulator.scenario.intensities.count))
    }
}
