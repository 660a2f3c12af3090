/// The simulator's output for one block of consecutive pulse slots, bit-packed and sparse:
/// only slots where Bob's detectors clicked are listed. Alice's record for any other slot is a
/// pure function of (seed, pulse index): ``QuantumChannelSimulator/aliceRecord(pulse:)``.
public struct DetectionBlock: Sendable, Equatable {
    /// The block number and the pulse index of its first slot.
    public var blockIndex: UInt64 = 0
    public var firstPulse: UInt64 = 0
    /// The number of pulse slots the block covers.
    public var pulseCount: Int = 0
    /// Offsets (from `firstPulse`) of the slots with a click, ascending.
    public var offsets: [UInt32] = []
    public var aliceBits = PackedBits()
    public var aliceBases = PackedBits()
    /// Alice's intensity class per detection (2 bits each).
    public var intensityClasses = PackedBits(bitsPerElement: 2)
    public var bobBases = PackedBits()
    public var bobBits = PackedBits()
    public var doubleClicks = PackedBits()
    /// Ground truth: 1 where the bases match (a sifted position) and Bob's bit differs from Alice's.
    public var siftedErrors = PackedBits()

    public init() {}

    /// The number of slots with at least one click.
    public var detections: Int { offsets.count }

    /// Empties the block, keeping its storage, to reuse it for the next one.
    mutating func reset(blockIndex: UInt64, firstPulse: UInt64, pulseCount: Int) {
        self.blockIndex = blockIndex
        self.firstPulse = firstPulse
        self.pulseCount = pulseCount
        offsets.removeAll(keepingCapacity: true)
        aliceBits.removeAll()
        aliceBases.removeAll()
        intensityClasses.removeAll()
        bobBases.removeAll()
        bobBits.removeAll()
        doubleClicks.removeAll()
        siftedErrors.removeAll()
    }

    @inline(__always)
    mutating func append(offset: UInt32, alice: AliceRecord, bob: BobRecord) {
        offsets.append(offset)
        aliceBits.append(alice.bit)
        aliceBases.append(alice.basis.rawValue)
        intensityClasses.append(alice.intensityClass)
        bobBases.append(bob.basis.rawValue)
        bobBits.append(bob.bit)
        doubleClicks.append(bob.click == .double ? 1 : 0)
        siftedErrors.append(alice.basis == bob.basis && alice.bit != bob.bit ? 1 : 0)
    }

    /// Alice's and Bob's records of detection `i` (0 ..< detections).
    public func detection(_ i: Int) -> (pulse: UInt64, alice: AliceRecord, bob: BobRecord) {
        let alice = AliceRecord(
            bit: aliceBits[i], basis: Basis(rawValue: aliceBases[i]) ?? .z, intensityClass: intensityClasses[i])
        let bob = BobRecord(
            click: doubleClicks[i] == 1 ? .double : .single, basis: Basis(rawValue: bobBases[i]) ?? .z, bit: bobBits[i])
        return (firstPulse + UInt64(offsets[i]), alice, bob)
    }
}
