/// A pre-shared authentication key pool, consumed 64 bits at a time and never reused.
///
/// The first 64 bits are the polynomial-hash key, recycled for every tag (Wegman–Carter key
/// recycling is secure because each tag is one-time padded). The rest is cut into 64-bit pads,
/// alternating between the two directions: pads 0, 2, 4, … authenticate Alice's messages,
/// pads 1, 3, 5, … Bob's, so the two parties never need to agree on an interleaving.
public struct AuthenticationKeyPool: Sendable {
    private var material: BitKey
    public let hashKey: UInt64
    private var nextPad: [Int] = [0, 1]
    /// Pad bits consumed so far (64 per tag, both directions).
    public private(set) var consumedBits = 64

    public enum Direction: Int, Sendable { case aliceToBob = 0, bobToAlice = 1 }

    /// A pool from pre-shared key material (at least 64 bits for the hash key).
    public init(material: BitKey) throws(PostProcessingError) {
        guard material.count >= 64 else {
            throw .invalidParameter(name: "authentication key", reason: "needs at least 64 bits for the hash key, got \(material.count)")
        }
        self.material = material
        hashKey = material.words[0]
    }

    /// Pads left for `direction`.
    public func remainingPads(_ direction: Direction) -> Int {
        let pads = (material.count - 64) / 64
        let next = nextPad[direction.rawValue]
        return next < pads ? (pads - next + 1) / 2 : 0
    }

    /// The next one-time pad for `direction`.
    public mutating func takePad(_ direction: Direction) throws(PostProcessingError) -> UInt64 {
        let pads = (material.count - 64) / 64
        let i = nextPad[direction.rawValue]
        guard i < pads else {
            throw .authenticationKeyExhausted(needed: 64, available: remainingPads(.aliceToBob) * 64 + remainingPads(.bobToAlice) * 64)
        }
        nextPad[direction.rawValue] += 2
        consumedBits += 64
        let bit = 64 + 64 * i
        var pad: UInt64 = 0
        for b in 0..<64 { pad |= UInt64(material[bit + b]) << UInt64(b) }
        return pad
    }

    /// The pad bound to a frame's sequence number: pad 2·sequence + direction. Binding pads to
    /// sequence numbers means a tag authenticates (content, position in the stream); replay and
    /// reordering are then caught by the receiver's sequence check, not by a desynchronised pool.
    /// A sender uses each sequence number once, so no pad ever tags two messages.
    public mutating func pad(_ direction: Direction, sequence: UInt64) throws(PostProcessingError) -> UInt64 {
        let pads = UInt64((material.count - 64) / 64)
        let (twice, overflow) = sequence.multipliedReportingOverflow(by: 2)
        let index = twice &+ UInt64(direction.rawValue)
        guard !overflow, index < pads else {
            throw .authenticationKeyExhausted(needed: 64, available: Int(pads > index ? 0 : 0))
        }
        let used = Int(index + 1) * 64 + 64
        if used > consumedBits { consumedBits = used }
        let bit = 64 + 64 * Int(index)
        var pad: UInt64 = 0
        for b in 0..<64 { pad |= UInt64(material[bit + b]) << UInt64(b) }
        return pad
    }

    /// How many sequence numbers per direction the pool can authenticate.
    public var sequenceCapacity: UInt64 { UInt64((material.count - 64) / 128) }

    /// Adds fresh key material (from a distilled QKD key) at the end of the pool.
    public mutating func replenish(with key: BitKey) {
        material.append(contentsOf: key)
    }
}

/// Wegman–Carter message authentication: tag = H_k(message) ⊕ pad, with H the GF(2^64)
/// polynomial hash (``PolynomialHash``), k recycled and a fresh 64-bit pad per tag. A forgery
/// succeeds with probability at most (L + 1)/2⁶⁴ for L-block messages.
public struct WegmanCarter: Sendable {
    public private(set) var pool: AuthenticationKeyPool

    public init(pool: AuthenticationKeyPool) { self.pool = pool }

    /// Tags an outgoing message, consuming one pad of `direction`.
    public mutating func tag(_ message: [UInt8], direction: AuthenticationKeyPool.Direction) throws(PostProcessingError) -> UInt64 {
        PolynomialHash.hash(bytes: message, hashKey: pool.hashKey) ^ (try pool.takePad(direction))
    }

    /// Tags a frame with the pad bound to its sequence number.
    public mutating func tag(_ message: [UInt8], direction: AuthenticationKeyPool.Direction, sequence: UInt64) throws(PostProcessingError) -> UInt64 {
        PolynomialHash.hash(bytes: message, hashKey: pool.hashKey) ^ (try pool.pad(direction, sequence: sequence))
    }

    /// Verifies a frame's tag against the pad bound to its sequence number.
    public mutating func verify(_ message: ArraySlice<UInt8>, tag: UInt64, direction: AuthenticationKeyPool.Direction, sequence: UInt64) throws(PostProcessingError) {
        let expected = PolynomialHash.hash(bytes: message, hashKey: pool.hashKey) ^ (try pool.pad(direction, sequence: sequence))
        guard expected == tag else {
            throw .authenticationFailed("the tag of frame \(sequence) (\(message.count) bytes) does not verify")
        }
    }

    /// Verifies an incoming message's tag, consuming one pad of `direction` whatever the outcome
    /// (a pad is never reused). A wrong tag throws: the caller aborts the session.
    public mutating func verify(_ message: [UInt8], tag: UInt64, direction: AuthenticationKeyPool.Direction) throws(PostProcessingError) {
        let expected = PolynomialHash.hash(bytes: message, hashKey: pool.hashKey) ^ (try pool.takePad(direction))
        guard expected == tag else {
            throw .authenticationFailed("the tag of a \(message.count)-byte message does not verify")
        }
    }
}
