import Foundation
import Testing
@testable import QKDMath

@Suite("Binary entropy")
struct BinaryEntropyTests {
    @Test("known values: h(½) = 1, h(¼) = 2 − ¾·log₂3, h(0) = h(1) = 0")
    func knownValues() throws {
        #expect(try binaryEntropy(0.5) == 1)
        // h(¼) = ¼·2 + ¾·log₂(4/3) = 2 − ¾·log₂3, written out by hand.
        #expect(abs(try binaryEntropy(0.25) - (2 - 0.75 * log2(3))) < 1e-15)
        #expect(try binaryEntropy(0) == 0)
        #expect(try binaryEntropy(1) == 0)
        #expect(try abs(binaryEntropy(0.1) - binaryEntropy(0.9)) < 1e-15)
    }

    @Test("an argument outside [0, 1] is a loud error, not a silent 0", arguments: [-0.01, 1.0001, 17, Double.nan, -Double.infinity])
    func rejectsOutOfRange(p: Double) {
        #expect(throws: QKDMathError.self) { try binaryEntropy(p) }
    }

    @Test("the inverse undoes h on [0, ½]", arguments: [0.0, 1e-9, 0.01, 0.033, 0.11, 0.25, 0.4999, 0.5])
    func inverse(p: Double) throws {
        let back = try inverseBinaryEntropy(try binaryEntropy(p))
        #expect(abs(back - p) < 1e-12)
    }

    @Test func inverseRejectsOutOfRange() {
        #expect(throws: QKDMathError.self) { try inverseBinaryEntropy(1.5) }
    }
}

@Suite("QBER thresholds")
struct QBERThresholdTests {
    @Test("Shor–Preskill threshold is 11.00 %")
    func shorPreskill() {
        #expect(abs(QBERThreshold.shorPreskill - 0.1100) < 0.00005)
    }

    // Published anchors (facts sheet): 10.23 % (f = 1.10), 9.81 % (1.16), 9.42 % (1.22).
    @Test("f-adjusted thresholds", arguments: [(1.10, 0.1023), (1.16, 0.0981), (1.22, 0.0942)])
    func withInefficiency(f: Double, expected: Double) throws {
        let t = try QBERThreshold.withReconciliationInefficiency(f)
        #expect(abs(t - expected) < 0.00005)
    }

    @Test("f = 1 is the Shor–Preskill threshold; f < 1 is refused")
    func shannonLimit() throws {
        #expect(abs(try QBERThreshold.withReconciliationInefficiency(1) - QBERThreshold.shorPreskill) < 1e-14)
        #expect(throws: QKDMathError.self) { try QBERThreshold.withReconciliationInefficiency(0.9) }
    }
}
