import Foundation
import QuantumChannel

/// What replaying a recording needs beyond the capture itself: how the quantum-layer records of
/// the recorded session were made (scenario per block, seed, blocks, slots per block), so that the
/// simulator regenerates exactly the records the recorded nodes had. `qkdspec demo --pcap FILE`
/// and the evidence bundles of `qkdspec run --evidence` write it beside the capture as
/// `FILE.replay.json` (docs/captures.md, "The replay sidecar").
package struct ReplaySidecar: Sendable, Codable, Equatable {
    /// The format's name and version; readers refuse any other.
    package static let formatName = "qkdspec-replay/1"

    /// One stretch of the session with its own channel, from block `fromBlock` on.
    package struct Phase: Sendable, Codable, Equatable {
        package var fromBlock: Int
        package var scenario: Scenario

        package init(fromBlock: Int, scenario: Scenario) {
            self.fromBlock = fromBlock
            self.scenario = scenario
        }

        enum CodingKeys: String, CodingKey {
            case fromBlock = "from_block", scenario
        }
    }

    package var format = ReplaySidecar.formatName
    /// The simulator seed of the recorded session.
    package var seed: UInt64
    /// Quantum-layer blocks fed to each node, and pulse slots per block.
    package var blocks: Int
    package var blockPulses: Int
    /// The channel per block; the first phase starts at block 0.
    package var phases: [Phase]
    /// Which pre-shared key the recorded nodes used, when the harness knows it: `"reference"` is the
    /// harness's own reference key (``ReferenceNodeCommand/authenticationKey``). With it, replay
    /// can tell a recorded tag that did not verify (a tampered frame) and keeps it failing; without
    /// it (nil), every recorded frame is taken as authentic.
    package var authenticationKey: String?
    /// What made the recording, for people (e.g. the demo's command line or the case ID).
    package var madeBy: String?

    package init(seed: UInt64, blocks: Int, blockPulses: Int, phases: [Phase], authenticationKey: String? = nil, madeBy: String? = nil) {
        self.seed = seed
        self.blocks = blocks
        self.blockPulses = blockPulses
        self.phases = phases
        self.authenticationKey = authenticationKey
        self.madeBy = madeBy
    }

    /// The sidecar of a session the harness ran from `plan`.
    package init(plan: SessionPlan, blocks: Int, blockPulses: Int, authenticationKey: String?, madeBy: String?) {
        self.init(seed: plan.seed, blocks: blocks, blockPulses: blockPulses,
                  phases: plan.phases.map { Phase(fromBlock: $0.fromBlock, scenario: $0.scenario) },
                  authenticationKey: authenticationKey, madeBy: madeBy)
    }

    enum CodingKeys: String, CodingKey {
        case format, seed, blocks, phases
        case blockPulses = "block_pulses", authenticationKey = "auth_key", madeBy = "made_by"
    }

    /// The value `auth_key` takes for the harness's reference key.
    package static let referenceKeyName = "reference"

    /// Where the sidecar of `capture` lives: beside it, with `.replay.json` appended.
    package static func path(forCapture capture: String) -> String { capture + ".replay.json" }

    /// The plan whose simulators regenerate the recorded records.
    package var plan: SessionPlan {
        SessionPlan(phases: phases.map { SessionPlan.Phase(fromBlock: $0.fromBlock, scenario: $0.scenario) }, seed: seed, blocks: blocks)
    }

    /// Writes the sidecar as JSON.
    package func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try (encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw HarnessError("cannot write the replay sidecar \(path): \(FileProblem.reason(error))")
        }
    }

    /// The largest number of blocks a sidecar may ask for (regenerating is the harness's work).
    package static let maximumBlocks = 4096

    /// Reads and checks a sidecar; every problem is a ``HarnessError`` naming the file and field.
    package static func load(path: String) throws -> ReplaySidecar {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw HarnessError("cannot read the replay sidecar \(path): \(FileProblem.reason(error))")
        }
        guard data.count <= 1 << 20 else { throw HarnessError("the replay sidecar \(path) is over 1 MiB; is it the right file?") }
        guard (try? JSONSerialization.jsonObject(with: data)) != nil else { throw HarnessError("replay sidecar \(path): not valid JSON") }
        try StrictJSON.check(data, fields: ["": ["format", "seed", "blocks", "block_pulses", "phases", "auth_key", "made_by"],
                                            "phases": ["from_block", "scenario"]],
                             integers: ["blocks", "block_pulses", "phases.from_block"], what: "replay sidecar \(path)")
        let sidecar: ReplaySidecar
        do { sidecar = try JSONDecoder().decode(ReplaySidecar.self, from: data) } catch {
            throw HarnessError("replay sidecar \(path): \(Self.describe(error))")
        }
        try sidecar.validate(path: path)
        return sidecar
    }

    func validate(path: String) throws {
        let what = "replay sidecar \(path)"
        guard format == Self.formatName else { throw HarnessError("\(what): format is '\(format)', this qkdspec reads '\(Self.formatName)'") }
        guard (1...Self.maximumBlocks).contains(blocks) else { throw HarnessError("\(what): blocks must lie in 1 ... \(Self.maximumBlocks)") }
        let per = QuantumChannelSimulator.pulsesPerBlock
        guard blockPulses > 0, blockPulses <= 1 << 24, blockPulses % per == 0 else {
            throw HarnessError("\(what): block_pulses must be a multiple of \(per) up to 2^24")
        }
        guard !phases.isEmpty, phases[0].fromBlock == 0 else { throw HarnessError("\(what): phases must start with one from block 0") }
        for (i, p) in phases.enumerated() {
            if i > 0, p.fromBlock <= phases[i - 1].fromBlock { throw HarnessError("\(what): phases must be in increasing from_block order") }
            do { try p.scenario.validate() } catch { throw HarnessError("\(what): phases[\(i)].scenario: \(error)") }
        }
        if let key = authenticationKey, key != Self.referenceKeyName {
            throw HarnessError("\(what): auth_key is '\(key)'; the only key a sidecar can name is '\(Self.referenceKeyName)' (the harness's own)")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let c): return "missing field '\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            return "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
        default: return "\(error)"
        }
    }
}
