import Foundation

/// An ETSI 014 finding's reproducer file (reproducer.json): the target, the campaign's seed,
/// the base request and minimised mutations, the exact request they make (key IDs the KME
/// delivers as `{{key_ID_N}}` placeholders), what the KME declared, and the finding expected.
/// `qkdspec fuzz --reproduce FILE` sends the request once and says whether the finding shows.
package struct KMEFuzzReproducer: Sendable, Codable {
    package static let currentFormat = "qkdspec-etsi014-fuzz-reproducer/1"
    package var format = KMEFuzzReproducer.currentFormat
    package var target: KMEFuzzTargetSpec
    package var campaignSeed: UInt64
    package var base: String
    package var mutations: [KMEMutation]
    /// The request replayed: exactly what was sent, but for the delivered key IDs.
    package var request: KMEFuzzRequest
    /// What the KME declared when the finding was made (the replay judges against what it declares then).
    package var declared: KMEDeclaration
    package var expectedKind: KMEFinding.Kind
    package var expectedEndpoint: String
    package var detail: String

    enum CodingKeys: String, CodingKey {
        case format, target, base, mutations, request, declared, detail
        case campaignSeed = "campaign_seed", expectedKind = "expected_kind", expectedEndpoint = "expected_endpoint"
    }

    package init(target: KMEFuzzTargetSpec, campaignSeed: UInt64, base: String, mutations: [KMEMutation], request: KMEFuzzRequest,
                declared: KMEDeclaration, expectedKind: KMEFinding.Kind, expectedEndpoint: String, detail: String) {
        self.target = target
        self.campaignSeed = campaignSeed
        self.base = base
        self.mutations = mutations
        self.request = request
        self.declared = declared
        self.expectedKind = expectedKind
        self.expectedEndpoint = expectedEndpoint
        self.detail = detail
    }

    /// Whether the file at `path` is an ETSI 014 reproducer (its `format` says so), so
    /// `--reproduce` can tell it from a node reproducer without the user saying which.
    package static func isOne(path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let format = root["format"] as? String
        else { return false }
        return format.hasPrefix("qkdspec-etsi014-fuzz-reproducer/")
    }

    /// Reads a reproducer; every problem is a ``HarnessError`` saying what is wrong.
    package static func load(path: String) throws -> KMEFuzzReproducer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw HarnessError("cannot read the reproducer \(path): \(FileProblem.reason(error))")
        }
        guard data.count <= 1 << 20 else { throw HarnessError("the reproducer \(path) is over 1 MiB; is it the right file?") }
        let r: KMEFuzzReproducer
        do { r = try JSONDecoder().decode(KMEFuzzReproducer.self, from: data) } catch {
            throw HarnessError("\(path) is not an ETSI 014 fuzz reproducer (reproducer.json from qkdspec fuzz --etsi014): \(error)")
        }
        guard r.format == currentFormat else {
            throw HarnessError("\(path) is a reproducer of format '\(r.format)'; this qkdspec reads '\(currentFormat)'")
        }
        guard r.target.requestTimeoutSeconds > 0, r.target.requestTimeoutSeconds <= 600 else {
            throw HarnessError("\(path): target.request_timeout_s must lie in (0, 600]")
        }
        guard r.mutations.count <= KMEFuzzScheduler.maximumMutations * 2, r.mutations.allSatisfy(\.isBounded) else {
            throw HarnessError("\(path): a reproducer holds at most \(KMEFuzzScheduler.maximumMutations * 2) mutations, each within the fuzzer's bounds")
        }
        return r
    }

    package func data() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
