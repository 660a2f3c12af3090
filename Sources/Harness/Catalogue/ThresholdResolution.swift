import Foundation
import QKDMath

/// How finely a threshold case resolves a stack's effective QBER threshold, for the declared
/// threshold T and sample size k, judging N frames with error rates α and β.
///
/// A stack that follows its declaration aborts a frame when its sample holds more than ⌊kT⌋
/// errors; the errors of a sample of k sifted bits with true QBER q are Binomial(k, q) (every bit
/// errs independently in the simulator, so the frame's own spread is included). The case runs N
/// frames at T + δ and requires every frame aborted: a correct stack aborts each with probability
/// a(δ), so it passes with probability a^N, and δ is the smallest offset with a^N ≥ 1 − α. A
/// stack whose effective threshold is T + δ aborts each frame with probability b ≤ ½, so it
/// passes with probability b^N ≤ β once N ≥ log β / log b (10 frames for β = 10⁻³). The same
/// holds mirrored below the threshold for liveness (every frame at T − δ must proceed).
package struct ThresholdResolution: Sendable, Equatable {
    package enum Side: Sendable { case above, below }

    package let threshold: Double
    package let sampleBits: Int
    package let frames: Int
    package let alpha: Double
    package let beta: Double
    package let side: Side
    /// The offset from the threshold the case runs at, and resolves.
    package let delta: Double
    /// Probability that a correct stack decides one frame right at T ± δ.
    package let correctPerFrame: Double
    /// Probability that a stack whose effective threshold is T ± δ decides one frame the way a
    /// correct stack would (so passes it by luck).
    package let defectivePerFrame: Double

    /// The QBER the case puts the channel at.
    package var qber: Double { side == .above ? threshold + delta : threshold - delta }
    /// Probability that a correct stack passes (≥ 1 − α).
    package var correctPasses: Double { pow(correctPerFrame, Double(frames)) }
    /// Probability that the defect δ passes (≤ β when `frames` is enough).
    package var defectPasses: Double { pow(defectivePerFrame, Double(frames)) }

    /// The most errors a sample of `k` may hold and still proceed under `threshold`.
    static func allowedErrors(threshold: Double, sampleBits k: Int) -> Int { Int((Double(k) * threshold + 1e-9).rounded(.down)) }

    /// Frames needed so that a defect with per-frame probability ½ passes with probability ≤ β.
    package static func framesNeeded(beta: Double) -> Int { Int((log(beta) / log(0.5)).rounded(.up)) + 1 }

    package init(threshold: Double, sampleBits k: Int, frames: Int, alpha: Double, beta: Double, side: Side) throws {
        guard threshold > 0, threshold < 0.5, k > 0, frames > 0 else {
            throw HarnessError("a threshold resolution needs 0 < T < ½, a sample and frames (T \(threshold), k \(k), N \(frames))")
        }
        self.threshold = threshold
        sampleBits = k
        self.frames = frames
        self.alpha = alpha
        self.beta = beta
        self.side = side
        let m = Self.allowedErrors(threshold: threshold, sampleBits: k)
        let perFrame = pow(1 - alpha, 1 / Double(frames))
        func correct(_ d: Double) -> Double {
            switch side {
            case .above: return (try? Binomial.upperTail(m, trials: k, probability: min(0.5, threshold + d))) ?? 0
            case .below: return (try? Binomial.cdf(m, trials: k, probability: max(0, threshold - d))) ?? 0
            }
        }
        // Bisection on δ: the correct stack's per-frame probability grows with δ.
        let limit = side == .above ? 0.5 - threshold : threshold
        var low = 0.0, high = limit
        guard correct(high) >= perFrame else {
            throw HarnessError("no offset from a threshold of \(threshold) separates a correct stack with α = \(alpha) on samples of \(k) bits")
        }
        for _ in 0..<60 {
            let mid = (low + high) / 2
            if correct(mid) >= perFrame { high = mid } else { low = mid }
        }
        delta = high
        correctPerFrame = correct(high)
        let shifted = side == .above ? threshold + high : threshold - high
        let m2 = Self.allowedErrors(threshold: shifted, sampleBits: k)
        switch side {
        case .above: defectivePerFrame = (try? Binomial.upperTail(m2, trials: k, probability: shifted)) ?? 1
        case .below: defectivePerFrame = (try? Binomial.cdf(m2, trials: k, probability: shifted)) ?? 1
        }
    }

    /// One sentence for a case's detail.
    package var statement: String {
        String(format: "resolves δ = %.2f %% %@ the declared %.2f %% with k = %d sample bits over %d frames: a correct stack passes with probability %.5f (α = %g), a stack whose effective threshold is δ %@ passes with probability %.1e (β = %g)",
               100 * delta, side == .above ? "above" : "below", 100 * threshold, sampleBits, frames, correctPasses, alpha,
               side == .above ? "too high" : "too low", defectPasses, beta)
    }
}
