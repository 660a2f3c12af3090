import Foundation

/// A finding's reproducer file (reproducer.json): the target, the session's seed and the
/// minimised mutations, and what replaying them should show. `qkdspec fuzz --reproduce FILE`
/// replays it.
package struct NetworkFuzzReproducer: Sendable, Codable {
    package static let currentFormat = "qkdspec-network-fuzz-reproducer/1"
    package var format = NetworkFuzzReproducer.currentFormat
    package var target: FuzzTargetSpec
    /// The campaign's seed (`--seed`), for the record; the session's own seed is what replays.
    package var campaignSeed: UInt64
    package var sessionSeed: UInt64
    package var mutations: [WireMutation]
    /// What the replay must show: the finding's kind and node.
    package var expectedKind: NetworkFinding.Kind
    package var expectedNode: String
    package var detail: String

    enum CodingKeys: String, CodingKey {
        case format, target, mutations, detail
        case campaignSeed = "campaign_seed", sessionSeed = "session_seed", expectedKind = "expected_kind", expectedNode = "expected_node"
    }

    package init(target: FuzzTargetSpec, campaignSeed: UInt64, sessionSeed: UInt64, mutations: [WireMutation], expectedKind: NetworkFinding.Kind,
                expectedNode: String, detail: String) {
        self.target = target
        self.campaignSeed = campaignSeed
        self.sessionSeed = sessionSeed
        self.mutations = mutations
        self.expectedKind = expectedKind
        self.expectedNode = expectedNode
        self.detail = detail
    }

    /// Reads a reproducer; every problem is a ``HarnessError`` saying what is wrong.
    package static func load(path: String) throws -> NetworkFuzzReproducer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw HarnessError("cannot read the reproducer \(path): \(FileProblem.reason(error))")
        }
        guard data.count <= 1 << 20 else { throw HarnessError("the reproducer \(path) is over 1 MiB; is it the right file?") }
        let r: NetworkFuzzReproducer
        do { r = try JSONDecoder().decode(NetworkFuzzReproducer.self, from: data) } catch {
            throw HarnessError("\(path) is not a network-fuzz reproducer (reproducer.json from qkdspec fuzz): \(error)")
        }
        guard r.format == currentFormat else {
            throw HarnessError("\(path) is a reproducer of format '\(r.format)'; this qkdspec reads '\(currentFormat)'")
        }
        guard r.target.hangTimeoutSeconds > 0, r.target.hangTimeoutSeconds <= 3600, (1...1000).contains(r.target.blocks),
              (1...86_400).contains(r.target.idleTimeoutSeconds) else {
            throw HarnessError("\(path): target.hang_timeout_s must lie in (0, 3600], blocks in 1 ... 1000, idle_timeout_s in 1 ... 86400")
        }
        guard (1...MutationScheduler.maximumMutations * 4).contains(r.mutations.count) else {
            throw HarnessError("\(path): a reproducer holds 1 ... \(MutationScheduler.maximumMutations * 4) mutations")
        }
        return r
    }

    package func data() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
