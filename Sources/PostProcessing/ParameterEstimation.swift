import QKDMath

/// The result of parameter estimation on one frame.
public struct ParameterEstimate: Sendable, Equatable {
    /// Positions (in the sifted key) disclosed for the estimate, ascending.
    public var samplePositions: [Int32]
    public var sampleErrors: Int
    /// The observed QBER of the sample.
    public var qber: Double
    /// One-sided Clopper–Pearson upper bound on the QBER of the sample's population at level α.
    public var qberUpperBound: Double
    public var alpha: Double
    public var declaredThreshold: Double
    /// True when the observed QBER exceeds the declared threshold: the frame is aborted.
    public var abort: Bool
    /// The sifted bits left once the sample is removed (the key bits, n of them).
    public var remainingAlice: BitKey
    public var remainingBob: BitKey
}

/// Parameter estimation: Alice and Bob disclose a random sample of k sifted bits, count the
/// errors, and abort if the sample's QBER exceeds the declared threshold.
///
/// The sample is a partial Fisher–Yates shuffle over a Philox stream (seed, index = sifted
/// length, stream "SAMP"): for i in 0 ..< k, swap position i with i + nextInt(below: n − i); the
/// first k positions, sorted, are the sample. Both sides derive it from the shared seed.
public enum ParameterEstimation {
    public static func estimate(
        alice: BitKey, bob: BitKey, sampleSize k: Int, seed: UInt64, alpha: Double, declaredThreshold: Double
    ) throws(PostProcessingError) -> ParameterEstimate {
        let n = alice.count
        guard bob.count == n else { throw .lengthMismatch(what: "Bob's sifted key", expected: n, actual: bob.count) }
        guard k >= 1, k < n else {
            throw .invalidParameter(name: "sample size", reason: "must lie in 1 ..< \(n) (the sifted length), got \(k)")
        }
        guard alpha > 0, alpha < 1 else { throw .invalidParameter(name: "alpha", reason: "must lie in (0, 1), got \(alpha)") }
        guard declaredThreshold >= 0, declaredThreshold <= 0.5 else {
            throw .invalidParameter(name: "QBER threshold", reason: "must lie in [0, 0.5], got \(declaredThreshold)")
        }
        let positions = samplePositions(siftedBits: n, sampleSize: k, seed: seed)
        var errors = 0
        for p in positions where alice[Int(p)] != bob[Int(p)] { errors += 1 }
        let restA = alice.removing(sortedPositions: positions), restB = bob.removing(sortedPositions: positions)
        let qber = Double(errors) / Double(k)
        let upper: Double
        do { upper = try ClopperPearson.upperBound(errors: errors, trials: k, alpha: alpha) } catch {
            throw .invalidParameter(name: "confidence bound", reason: error.description)
        }
        return ParameterEstimate(
            samplePositions: positions, sampleErrors: errors, qber: qber, qberUpperBound: upper, alpha: alpha,
            declaredThreshold: declaredThreshold, abort: qber > declaredThreshold, remainingAlice: restA, remainingBob: restB)
    }

    /// The k sample positions out of n, ascending (see the type's documentation for the algorithm).
    public static func samplePositions(siftedBits n: Int, sampleSize k: Int, seed: UInt64) -> [Int32] {
        var stream = PhiloxStream(seed: seed, index: UInt64(n), stream: 0x5341_4D50)  // "SAMP"
        // The partial Fisher–Yates over a dense array: for the sample sizes used (10 % of a
        // frame) this beats a sparse dictionary of touched positions several times.
        var order = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = Int32(i) }
            count = n
        }
        var marked = [UInt64](repeating: 0, count: (n + 63) / 64)
        order.withUnsafeMutableBufferPointer { o in
            marked.withUnsafeMutableBufferPointer { m in
                for i in 0..<k {
                    let j = i + Int(stream.nextInt(below: UInt32(n - i)))
                    o.swapAt(i, j)
                    let p = Int(o[i])
                    m[p >> 6] |= 1 << UInt64(p & 63)
                }
            }
        }
        // Ascending without a sort: read the marks in order, a word at a time.
        var out = [Int32]()
        out.reserveCapacity(k)
        for (wi, word) in marked.enumerated() {
            var w = word
            while w != 0 {
                out.append(Int32(wi << 6 | w.trailingZeroBitCount))
                w &= w - 1
            }
        }
        return out
    }

    /// Finite-key decoy-state bounds (Lim et al. 2014) from the per-class counts of a frame:
    /// sifted detections in the key basis and the test basis, and the test basis's errors.
    public static func decoyBounds(
        intensities: [Double], probabilities: [Double], keyDetections: [Int], testDetections: [Int], testErrors: [Int],
        epsilonSecrecy: Double, epsilonCorrectness: Double
    ) throws(PostProcessingError) -> FiniteKeyDecoyBounds.Result {
        let bounds = FiniteKeyDecoyBounds(
            intensities: intensities, probabilities: probabilities, keyDetections: keyDetections.map(Double.init),
            testDetections: testDetections.map(Double.init), testErrors: testErrors.map(Double.init),
            epsilonSecrecy: epsilonSecrecy, epsilonCorrectness: epsilonCorrectness)
        do { return try bounds.bounds() } catch { throw .invalidParameter(name: "decoy counts", reason: error.description) }
    }
}
