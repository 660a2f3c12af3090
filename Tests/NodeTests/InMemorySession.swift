import Foundation
import PostProcessing
import QuantumChannel
import Synchronization
import Wire
@testable import Node

/// Two reference node engines joined in memory (``EnginePair``), with the knobs these tests turn:
/// the scenario, the size of the run, the bug knobs and a rewrite of either side's frames.
struct InMemorySession {
    var scenario = Scenario.gys(distanceKm: 0)
    var blocks = 4
    var blockPulses = 1 << 22
    var frameBits = 32_768
    var seed: UInt64 = 1
    var bugs: Set<BugKnob> = []
    /// Bug knobs for one side only (added to `bugs`).
    var aliceBugs: Set<BugKnob> = []
    var bobBugs: Set<BugKnob> = []
    var parameters = PostProcessingParameters()
    /// Alice's frame index and bytes → what Bob receives instead.
    var tamper: (@Sendable (Int, [UInt8]) -> [[UInt8]])? = nil
    /// Bob's frame index and bytes → what Alice receives instead.
    var tamperBob: (@Sendable (Int, [UInt8]) -> [[UInt8]])? = nil
    /// A full interception (overrides the two above).
    var intercept: EnginePair.Interception? = nil

    /// A fixed pre-shared key (a 64-bit LCG stream; any key both ends share would do).
    static let psk: BitKey = {
        var s = UInt64(0x5EED)
        var words = [UInt64]()
        for _ in 0..<(1 << 14) { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; words.append(s) }
        return BitKey(words: words, count: words.count * 64)
    }()

    func configuration(_ role: Role) -> NodeConfiguration {
        NodeConfiguration(
            role: role, control: role == .alice ? .listen(HostPort(host: "127.0.0.1", port: 0)) : .connect(HostPort(host: "127.0.0.1", port: 0)),
            quantumLayer: HostPort(host: "127.0.0.1", port: 0), authenticationKey: Self.psk,
            parameters: parameters, frameBits: frameBits, bugs: bugs.union(role == .alice ? aliceBugs : bobBugs))
    }

    /// The result: both ends, and every message as it was sent (before any rewrite).
    struct Result {
        var outcome: EnginePair.Outcome
        var sent: [(from: Role, message: Message)]
        var alice: NodeSummary { outcome.alice.summary }
        var bob: NodeSummary { outcome.bob.summary }
        var aliceError: NodeError? { outcome.alice.error }
        var bobError: NodeError? { outcome.bob.error }
        var aliceKeys: [(keyID: UUID, key: BitKey)] { outcome.alice.keys }
        var bobKeys: [(keyID: UUID, key: BitKey)] { outcome.bob.keys }
    }

    func run() async throws -> Result {
        let pair = EnginePair(alice: configuration(.alice), bob: configuration(.bob))
        let simulator = try QuantumChannelSimulator(scenario: scenario, seed: seed)
        let log = Mutex<[(from: Role, message: Message)]>([])
        let (tamper, tamperBob, intercept) = (tamper, tamperBob, intercept)
        let (blocks, blockPulses) = (blocks, blockPulses)
        let outcome = try await pair.run(intercept: { from, index, bytes in
            if let message = try? FrameDecoder.decode(bytes).frame.message { log.withLock { $0.append((from, message)) } }
            if let intercept { return intercept(from, index, bytes) }
            let rewrite = from == .alice ? tamper : tamperBob
            return (rewrite?(index, bytes) ?? [bytes]).map { .send($0) }
        }, feed: { alice, bob in
            for b in 0..<blocks {
                let (a, bb) = SimulatedFeed.blocks(simulator, block: UInt64(b), pulses: blockPulses)
                try await alice.receiveQuantumLayer(a)
                try await bob.receiveQuantumLayer(bb)
            }
            try await alice.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
            try await bob.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
        })
        return Result(outcome: outcome, sent: log.withLock { $0 })
    }
}

/// Re-tags a frame after the test changed it, as an attacker with the key could.
func retag(_ frame: Frame, from role: Role = .alice) -> [UInt8] {
    guard let pool = try? AuthenticationKeyPool(material: InMemorySession.psk) else { return [] }
    var wc = WegmanCarter(pool: pool)
    return (try? frame.encoded { bytes in try wc.tag(bytes, direction: role == .alice ? .aliceToBob : .bobToAlice, sequence: frame.sequence) }) ?? []
}
