/// Alice's and Bob's records of the detected pulses, one entry per detection, as the
/// quantum-layer interface delivers them (basis 0 = Z, 1 = X).
public struct DetectionRecords: Sendable, Equatable {
    public var aliceBits: BitKey
    public var aliceBases: BitKey
    public var bobBits: BitKey
    public var bobBases: BitKey
    /// Alice's intensity setting per detection (0 = signal).
    public var intensityClasses: [UInt8]

    public init(aliceBits: BitKey, aliceBases: BitKey, bobBits: BitKey, bobBases: BitKey, intensityClasses: [UInt8]) {
        self.aliceBits = aliceBits
        self.aliceBases = aliceBases
        self.bobBits = bobBits
        self.bobBases = bobBases
        self.intensityClasses = intensityClasses
    }

    public var count: Int { aliceBits.count }
}

/// The sifted bits of one (intensity class, basis): Alice's, Bob's, and where they came from.
public struct SiftedBits: Sendable, Equatable {
    public var alice = BitKey(count: 0)
    public var bob = BitKey(count: 0)
    /// Indices into the detection records.
    public var detections: [Int32] = []

    public var count: Int { alice.count }
    public var errors: Int { alice.hammingDistance(to: bob) }
}

/// Sifting: keep the detections where Alice's and Bob's bases agree, sorted by intensity class
/// and basis (in detection order within each). Bob announces his bases, Alice says which match:
/// the bases and classes become public, the bits do not.
public struct SiftedFrame: Sendable, Equatable {
    /// [class][basis] → sifted bits.
    public var bits: [[SiftedBits]]

    public init(_ records: DetectionRecords, classes: Int) throws(PostProcessingError) {
        let n = records.count
        for (name, c) in [("Alice's bases", records.aliceBases.count), ("Bob's bits", records.bobBits.count),
                          ("Bob's bases", records.bobBases.count), ("intensity classes", records.intensityClasses.count)] where c != n {
            throw .lengthMismatch(what: name, expected: n, actual: c)
        }
        guard classes >= 1, classes <= 4 else {
            throw .invalidParameter(name: "classes", reason: "between 1 and 4 intensity classes, got \(classes)")
        }
        var out = [[SiftedBits]](repeating: [SiftedBits(), SiftedBits()], count: classes)
        for i in 0..<n {
            let basis = records.aliceBases[i]
            guard basis == records.bobBases[i] else { continue }
            let c = Int(records.intensityClasses[i])
            guard c < classes else {
                throw .invalidParameter(name: "intensity class", reason: "detection \(i) has class \(c), only \(classes) declared")
            }
            out[c][Int(basis)].alice.append(records.aliceBits[i])
            out[c][Int(basis)].bob.append(records.bobBits[i])
            out[c][Int(basis)].detections.append(Int32(i))
        }
        bits = out
    }

    /// The signal class's sifted bits in both bases, Z first: the raw key of symmetric BB84.
    public var signalKey: SiftedBits {
        var key = bits[0][0]
        key.alice.append(contentsOf: bits[0][1].alice)
        key.bob.append(contentsOf: bits[0][1].bob)
        key.detections.append(contentsOf: bits[0][1].detections)
        return key
    }
}
