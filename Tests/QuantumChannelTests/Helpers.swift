import QKDMath
import Testing
@testable import QuantumChannel

/// Asserts that `count` successes out of `trials` are consistent with probability `p` at the
/// 99.9 % two-sided Clopper–Pearson level.
func expectConsistent(_ count: UInt64, of trials: UInt64, with p: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let interval = try ClopperPearson.interval(errors: Int(count), trials: Int(trials), alpha: 0.001)
    #expect(interval.contains(p), "\(what): observed \(count)/\(trials) = \(Double(count) / Double(trials)), expected \(p), 99.9 % interval \(interval)", sourceLocation: sourceLocation)
}
