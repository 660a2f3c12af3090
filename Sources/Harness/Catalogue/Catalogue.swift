import Foundation

/// The conformance cases, one declarative value each, one file per requirement family. A case is
/// registered by being defined in its family's array; `all` is the families in report order.
package enum Catalogue {
    package static let all: [ConformanceCase] =
        estimation + abort + liveness + keys + discard + peerDecisions + controlChannel + ordering + robustness + vectorCases + captureReplay + etsi014

    /// α of every statistical judgement: a correct stack fails a case by bad luck at most this often.
    package static let alpha = 0.001
    /// β of the threshold cases: a stack with the defect a case resolves passes it at most this often.
    package static let beta = 0.001

    /// Cases renamed since an earlier release, old ID → current ID: `--case`, `--include`,
    /// `--exclude` and baselines still accept the old ones.
    package static let renamed: [String: String] = [
        "keys/unique-key-ids": "bb84/keys/unique-key-ids",
        "auth/dropped-frame-detected": "order/dropped-frame-detected",
    ]

    /// The current ID of `id` (itself unless it was renamed).
    package static func currentID(_ id: String) -> String { renamed[id] ?? id }
}
