import Foundation
import Logging
import Node
import PostProcessing
import QKDMath
import QuantumChannel
import Wire

/// The embedded reference stack as a target: two reference node engines joined by a control
/// channel the harness sits in the middle of (it decodes every frame, counts what is disclosed,
/// and can drop, replay or alter frames), fed by the simulator through the quantum-layer
/// interface. `bugs` switches the reference node's bug knobs on, for self-validation.
public struct ReferenceTarget: Sendable {
    public var bugs: Set<BugKnob>
    /// Sifted bits per frame and the declared parameters.
    public var frameBits = 32_768
    public var parameters = PostProcessingParameters()
    public var blocks = 12
    /// The qkdspec executable, for cases that run a node as its own process.
    public var executable: String?
    public var blockPulses = 1 << 22

    public init(bugs: Set<BugKnob> = []) { self.bugs = bugs }

    /// A fault the man in the middle applies to Alice's frames (by their index).
    public typealias Fault = @Sendable (_ index: Int, _ frame: [UInt8]) -> [[UInt8]]

    /// A node process probe with this target's bug knobs, on a throwaway pre-shared key.
    func probe() throws -> NodeProcessProbe {
        guard let executable else { throw HarnessError("no qkdspec executable to start node processes from") }
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-probe-\(UUID().uuidString).key").path
        guard FileManager.default.createFile(atPath: key, contents: Data(Self.authenticationKey.bytes.prefix(4096)),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw HarnessError("cannot write a key file in the temporary directory")
        }
        return NodeProcessProbe(executable: executable, arguments: [
            "node", "--role", "alice", "--control-listen", "127.0.0.1:0", "--qli-listen", "127.0.0.1:0", "--auth-key", key,
            "--idle-timeout", "20",
        ] + bugs.map(\.rawValue).sorted().flatMap { ["--bug", $0] })
    }

    /// What a session produced and what the harness saw on the wire.
    public struct Session: Sendable {
        public var alice: NodeSummary
        public var bob: NodeSummary
        public var aliceKeys: [(keyID: UUID, key: BitKey)]
        public var bobKeys: [(keyID: UUID, key: BitKey)]
        public var aliceError: NodeError?
        public var bobError: NodeError?
        /// Per post-processing frame: parity bits and verification tag bits Alice sent, counted on the wire.
        public var leakedBits: [UInt64: Int]
        /// Per frame: the final length Alice announced.
        public var announcedLength: [UInt64: Int]
        /// Per frame: Bob's reported sample errors and whether he went on.
        public var estimates: [UInt64: (errors: Int, proceed: Bool)]
        public var scenario: Scenario
        public var sampleSize: Int
    }

    /// The pre-shared authentication key of the reference target's nodes.
    public static let authenticationKey: BitKey = {
        var s = UInt64(0x5EED)
        var words = [UInt64]()
        for _ in 0..<(1 << 14) { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; words.append(s) }
        return BitKey(words: words, count: words.count * 64)
    }()

    /// Alice's frame `frame`, re-encoded with a valid tag from the target's pre-shared key: what an
    /// attacker holding the key could send, so that a fault reaches the check after authentication.
    public static func retagged(_ frame: Frame) -> [UInt8]? {
        guard let pool = try? AuthenticationKeyPool(material: authenticationKey) else { return nil }
        var wc = WegmanCarter(pool: pool)
        return try? frame.encoded { bytes in try wc.tag(bytes, direction: .aliceToBob, sequence: frame.sequence) }
    }

    func configuration(_ role: Role) -> NodeConfiguration {
        NodeConfiguration(
            role: role, control: role == .alice ? .listen(HostPort(host: "127.0.0.1", port: 0)) : .connect(HostPort(host: "127.0.0.1", port: 0)),
            quantumLayer: HostPort(host: "127.0.0.1", port: 0), authenticationKey: Self.authenticationKey, parameters: parameters,
            frameBits: frameBits, bugs: bugs, idleTimeout: .seconds(30))
    }

    /// Runs one session on `scenario` with `seed`, applying `fault` to Alice's frames.
    public func run(scenario: Scenario, seed: UInt64, fault: Fault? = nil) async throws -> Session {
        var logger = Logger(label: "qkdspec.harness") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        let alice = try NodeEngine(configuration: configuration(.alice), logger: logger)
        let bob = try NodeEngine(configuration: configuration(.bob), logger: logger)
        let (toBob, toBobIn) = AsyncStream<[UInt8]>.makeStream()
        let (toAlice, toAliceIn) = AsyncStream<[UInt8]>.makeStream()
        let wire = WireLedger()
        try await bob.connected { bytes in
            wire.observe(fromAlice: false, bytes)
            toAliceIn.yield(bytes)
        }
        try await alice.connected { bytes in
            let index = wire.observe(fromAlice: true, bytes)
            for frame in fault?(index, bytes) ?? [bytes] { toBobIn.yield(frame) }
        }
        let simulator = try QuantumChannelSimulator(scenario: scenario, seed: seed)
        async let aliceRun: NodeError? = Self.pump(toAlice, into: alice, closing: toBobIn)
        async let bobRun: NodeError? = Self.pump(toBob, into: bob, closing: toAliceIn)
        do {
            for b in 0..<blocks {
                let (a, bb) = SimulatedFeed.blocks(simulator, block: UInt64(b), pulses: blockPulses)
                try await alice.receiveQuantumLayer(a)
                try await bob.receiveQuantumLayer(bb)
            }
            try await alice.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
            try await bob.receiveQuantumLayer(.endOfStream(after: UInt64(blocks)))
        } catch {
            toBobIn.finish()
            toAliceIn.finish()
        }
        let (ae, be) = await (aliceRun, bobRun)
        let ledger = wire.snapshot()
        return Session(
            alice: await alice.finalSummary(), bob: await bob.finalSummary(), aliceKeys: await alice.depositLog,
            bobKeys: await bob.depositLog, aliceError: ae, bobError: be, leakedBits: ledger.leaked,
            announcedLength: ledger.announced, estimates: ledger.estimates, scenario: scenario,
            sampleSize: max(1, Int((Double(frameBits) * parameters.sampleFraction).rounded())))
    }

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

/// What the harness reads off the control channel: it decodes every frame itself and never
/// trusts the stack's own accounting.
final class WireLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var decoders = [FrameDecoder(), FrameDecoder()]
    private var aliceFrames = 0
    private var leaked: [UInt64: Int] = [:]
    private var announced: [UInt64: Int] = [:]
    private var estimates: [UInt64: (errors: Int, proceed: Bool)] = [:]

    /// Records bytes one side sent; returns the index of Alice's frame (for faults).
    @discardableResult
    func observe(fromAlice: Bool, _ bytes: [UInt8]) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let side = fromAlice ? 0 : 1
        decoders[side].append(bytes)
        while let decoded = try? decoders[side].next() {
            switch decoded.frame.message {
            case .cascadeReply(let batch):
                for e in batch.entries { leaked[e.frame, default: 0] += e.parities.bitCount }
            case .verification(let v):
                leaked[v.frame, default: 0] += 64 * v.hashKeys.count
            case .privacyAmplification(let p):
                announced[p.frame] = Int(p.finalBits)
            case .estimationResult(let r):
                estimates[r.frame] = (Int(r.sampleErrors), r.proceed)
            default:
                break
            }
        }
        if fromAlice { aliceFrames += 1; return aliceFrames - 1 }
        return -1
    }

    func snapshot() -> (leaked: [UInt64: Int], announced: [UInt64: Int], estimates: [UInt64: (errors: Int, proceed: Bool)]) {
        lock.lock()
        defer { lock.unlock() }
        return (leaked, announced, estimates)
    }
}
