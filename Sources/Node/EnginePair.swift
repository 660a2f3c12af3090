import Foundation
import Logging
import PostProcessing
import QKDMath
import Wire

/// Two reference node engines joined by an in-memory control channel, with a hook on every frame
/// either of them sends: the fastest way to run a session, and the place where tests and the
/// in-process target put faults (NIO's `EmbeddedChannel` plays the same part for handlers).
package struct EnginePair: Sendable {
    /// What becomes of one sent frame.
    package enum Action: Sendable {
        /// Deliver these bytes to the other end.
        case send([UInt8])
        /// Hold this sender for this long before what follows (its send is synchronous, so the
        /// engine stalls, as on a slow link).
        case delay(Duration)
        /// Close the channel towards the other end (after what was delivered before).
        case close
    }

    /// Sees each frame as it is sent: the sender, the index of that sender's frame (0 for its
    /// first) and the frame's bytes; returns what the other end gets instead. nil delivers the
    /// frame unchanged.
    package typealias Interception = @Sendable (_ from: Role, _ index: Int, _ bytes: [UInt8]) -> [Action]

    /// How each end came out of the session.
    package struct Outcome: Sendable {
        package var alice: End
        package var bob: End
    }

    /// One engine's results: its summary, the keys it delivered, and the error that ended it.
    package struct End: Sendable {
        package var summary: NodeSummary
        package var keys: [(keyID: UUID, key: BitKey)]
        package var error: NodeError?
    }

    package var alice: NodeConfiguration
    package var bob: NodeConfiguration
    package var logger: Logger

    package init(alice: NodeConfiguration, bob: NodeConfiguration, logger: Logger? = nil) {
        self.alice = alice
        self.bob = bob
        self.logger = logger ?? {
            var l = Logger(label: "qkdspec.engine-pair") { _ in SwiftLogNoOpLogHandler() }
            l.logLevel = .critical
            return l
        }()
    }

    /// Runs one session: connects the engines, lets `feed` hand them their quantum-layer blocks,
    /// and returns once both ends are done. A failure of `feed` closes the channel both ways.
    package func run(intercept: Interception? = nil,
                    feed: @Sendable (_ alice: NodeEngine, _ bob: NodeEngine) async throws -> Void) async throws -> Outcome {
        let aliceEngine = try NodeEngine(configuration: alice, logger: logger)
        let bobEngine = try NodeEngine(configuration: bob, logger: logger)
        let (toBob, toBobIn) = AsyncStream<[UInt8]>.makeStream()
        let (toAlice, toAliceIn) = AsyncStream<[UInt8]>.makeStream()
        let activity = Activity()
        try await bobEngine.connected(send: Self.sender(.bob, intercept, to: toAliceIn, activity: activity))
        try await aliceEngine.connected(send: Self.sender(.alice, intercept, to: toBobIn, activity: activity))
        // The idle watchdog a node process has (NodeConfiguration.idleTimeout): when neither end
        // sends anything for that long (one waits for a frame the other will never send), the
        // channel closes both ways and the session ends with that error, instead of hanging.
        let idle = min(alice.idleTimeout, bob.idleTimeout)
        let watchdog = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                if activity.idle > idle {
                    toBobIn.finish()
                    toAliceIn.finish()
                    return
                }
            }
        }
        defer { watchdog.cancel() }
        async let aliceRun: NodeError? = Self.pump(toAlice, into: aliceEngine, closing: toBobIn)
        async let bobRun: NodeError? = Self.pump(toBob, into: bobEngine, closing: toAliceIn)
        do {
            try await feed(aliceEngine, bobEngine)
        } catch {
            toBobIn.finish()
            toAliceIn.finish()
        }
        let (aliceError, bobError) = await (aliceRun, bobRun)
        return Outcome(
            alice: End(summary: await aliceEngine.finalSummary(), keys: await aliceEngine.depositLog, error: aliceError),
            bob: End(summary: await bobEngine.finalSummary(), keys: await bobEngine.depositLog, error: bobError))
    }

    /// An engine's sender: numbers its frames, asks the hook, and carries out what it says.
    static func sender(_ role: Role, _ intercept: Interception?, to peer: AsyncStream<[UInt8]>.Continuation,
                       activity: Activity) -> NodeEngine.Sender {
        let counter = FrameCounter()
        return { bytes in
            activity.touch()
            let index = counter.next()
            for action in intercept?(role, index, bytes) ?? [.send(bytes)] {
                switch action {
                case .send(let b): peer.yield(b)
                case .delay(let d): Thread.sleep(forTimeInterval: d.inSeconds)
                case .close: peer.finish()
                }
            }
        }
    }

    static func pump(_ stream: AsyncStream<[UInt8]>, into engine: NodeEngine,
                     closing other: AsyncStream<[UInt8]>.Continuation) async -> NodeError? {
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

/// Counts one sender's frames (the engine's sends are serial, the lock only satisfies Sendable).
final class FrameCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count - 1
    }
}

/// When either end last sent something (for the pair's idle watchdog).
final class Activity: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ContinuousClock.now
    func touch() { lock.withLock { last = .now } }
    var idle: Duration { lock.withLock { ContinuousClock.now - last } }
}
