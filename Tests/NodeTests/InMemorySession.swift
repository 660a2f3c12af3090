import Foundation
import Harness
import Logging
import PostProcessing
import QuantumChannel
import Testing
import Wire
@testable import Node

/// Two node engines joined by an in-memory control channel, fed by the simulator. `tamper`
/// sees every frame Alice sends to Bob (as bytes) and returns what Bob receives instead (zero,
/// one or several frames) — with the pre-shared key, so a test can also re-tag what it changes.
struct InMemorySession {
    struct Outcome {
        var alice: NodeSummary
        var bob: NodeSummary
        var aliceKeys: [(keyID: UUID, key: BitKey)]
        var bobKeys: [(keyID: UUID, key: BitKey)]
        var aliceError: NodeError?
        var bobError: NodeError?
    }

    var scenario = Scenario.gys(distanceKm: 0)
    var blocks = 4
    var blockPulses = 1 << 22
    var frameBits = 32_768
    var seed: UInt64 = 1
    var bugs: Set<BugKnob> = []
    var tamper: (@Sendable (Int, [UInt8]) -> [[UInt8]])? = nil

    static let psk: BitKey = {
        var s = UInt64(0x5EED)
        var words = [UInt64]()
        for _ in 0..<(1 << 14) { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; words.append(s) }
        return BitKey(words: words, count: words.count * 64)
    }()

    func configuration(_ role: Role) -> NodeConfiguration {
        NodeConfiguration(
            role: role, control: role == .alice ? .listen(HostPort(host: "127.0.0.1", port: 0)) : .connect(HostPort(host: "127.0.0.1", port: 0)),
            quantumLayer: HostPort(host: "127.0.0.1", port: 0), authenticationKey: Self.psk, frameBits: frameBits, bugs: bugs,
            idleTimeout: .seconds(30))
    }

    func run() async throws -> Outcome {
        var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        let alice = try NodeEngine(configuration: configuration(.alice), logger: logger)
        let bob = try NodeEngine(configuration: configuration(.bob), logger: logger)
        let (toBob, toBobIn) = AsyncStream<[UInt8]>.makeStream()
        let (toAlice, toAliceIn) = AsyncStream<[UInt8]>.makeStream()
        let counter = FrameCounter()
        let tamper = self.tamper
        try await bob.connected { bytes in toAliceIn.yield(bytes) }
        try await alice.connected { bytes in
            let n = counter.next()
            for frame in tamper?(n, bytes) ?? [bytes] { toBobIn.yield(frame) }
        }
        let simulator = try QuantumChannelSimulator(scenario: scenario, seed: seed)
        let records = (0..<blocks).map { b in SimulatedFeed.blocks(simulator, block: UInt64(b), pulses: blockPulses) }

        async let aliceRun: NodeError? = Self.pump(toAlice, into: alice, closing: toBobIn)
        async let bobRun: NodeError? = Self.pump(toBob, into: bob, closing: toAliceIn)
        do {
            for (a, b) in records {
                try await alice.receiveQuantumLayer(a)
                try await bob.receiveQuantumLayer(b)
            }
            try await alice.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
            try await bob.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
        } catch {
            toBobIn.finish()
            toAliceIn.finish()
        }
        let (ae, be) = await (aliceRun, bobRun)
        return Outcome(alice: await alice.finalSummary(), bob: await bob.finalSummary(), aliceKeys: await alice.depositLog,
                       bobKeys: await bob.depositLog, aliceError: ae, bobError: be)
    }

    /// Feeds a node what its peer sends until the session ends or fails; then closes the other way.
    static func pump(_ stream: AsyncStream<[UInt8]>, into engine: NodeEngine, closing other: AsyncStream<[UInt8]>.Continuation) async -> NodeError? {
        defer { other.finish() }
        for await bytes in stream {
            do {
                if try await engine.receiveControl(bytes) { return nil }
            } catch {
                return error
            }
        }
        do { try await engine.controlClosed() } catch { return error }
        return nil
    }
}

final class FrameCounter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n - 1 }
}

/// Re-tags a frame from Alice after the test changed it, as an attacker with the key could.
func retag(_ frame: Frame) -> [UInt8] {
    var wc = WegmanCarter(pool: try! AuthenticationKeyPool(material: InMemorySession.psk))
    return (try? frame.encoded { bytes in try wc.tag(bytes, direction: .aliceToBob, sequence: frame.sequence) }) ?? []
}
