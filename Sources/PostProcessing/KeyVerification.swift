import Foundation

/// Error verification after reconciliation: Alice picks t independent GF(2^64) hash keys, sends
/// them with her t tags; Bob compares the tags of his reconciled key. Any difference discards the
/// frame. t is the smallest number with ((L + 1)/2⁶⁴)^t ≤ ε_cor, so a frame with residual errors
/// passes with probability at most ε_cor. The 64·t tag bits are disclosed and count as leakage.
public struct KeyVerification: Sendable, Equatable {
    public let hashKeys: [UInt64]

    public init(hashKeys: [UInt64]) { self.hashKeys = hashKeys }

    /// How many 64-bit hashes an n-bit key needs for ε_cor.
    public static func instances(frameBits n: Int, epsilonCorrectness: Double) throws(PostProcessingError) -> Int {
        guard epsilonCorrectness > 0, epsilonCorrectness < 1 else {
            throw .invalidParameter(name: "epsilon_cor", reason: "must lie in (0, 1), got \(epsilonCorrectness)")
        }
        guard n > 0 else { throw .invalidParameter(name: "frame length", reason: "must be positive") }
        let perHash = log2(PolynomialHash.collisionProbability(messageBits: n))  // negative
        return max(1, Int((log2(epsilonCorrectness) / perHash).rounded(.up)))
    }

    /// The tags of `key`.
    public func tags(_ key: BitKey) -> [UInt64] { hashKeys.map { PolynomialHash.hash(key, hashKey: $0) } }

    /// Whether Bob's key carries Alice's tags.
    public func matches(_ key: BitKey, aliceTags: [UInt64]) -> Bool { tags(key) == aliceTags }

    /// Bits disclosed by sending the tags.
    public var disclosedBits: Int { 64 * hashKeys.count }
}
