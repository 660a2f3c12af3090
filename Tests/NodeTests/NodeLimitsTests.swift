import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import Wire
@testable import Node

/// Limits a real node enforces on its sockets: the per-frame deadline on the control channel and
/// the quantum-layer interface's own errors.
@Suite("Reference node: socket limits", .serialized)
struct NodeLimitsTests {
    static var logger: Logger {
        var l = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        l.logLevel = .critical
        return l
    }

    /// Starts Alice on free ports and returns her run and where she listens.
    static func startAlice(frameTimeout: Duration) async throws -> (Task<Void, any Error>, QKDNode.Listening) {
        var config = NodeConfiguration(role: .alice, control: .listen(HostPort(host: "127.0.0.1", port: 0)),
                                       quantumLayer: HostPort(host: "127.0.0.1", port: 0), authenticationKey: InMemorySession.psk,
                                       idleTimeout: .seconds(30))
        config.frameTimeout = frameTimeout
        let (stream, continuation) = AsyncStream<QKDNode.Listening>.makeStream()
        let run = Task { _ = try await QKDNode.run(config, logger: logger) { continuation.yield($0) } }
        var events = stream.makeAsyncIterator()
        let listening = try #require(await events.next())
        return (run, listening)
    }

    @Test("a frame trickled a byte at a time (slowloris): ERROR 1 and the end of the session at the frame deadline")
    func frameDeadline() async throws {
        let (alice, listening) = try await Self.startAlice(frameTimeout: .milliseconds(700))
        let port = try #require(listening.controlPort)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        // A header announcing a 100-byte payload, then the payload, one byte per 200 ms (25.6 s in
        // all): the idle timer (30 s) sees traffic all along, and the frame would complete only at
        // the end. The deadline (0.7 s) must end the session long before.
        var header = [UInt8](repeating: 0, count: 28)
        header[0...3] = [0x51, 0x4b, 0x44, 0x57]; header[4] = 1; header[5] = 0x70; header[27] = 100
        let trickle = header + [UInt8](repeating: 0, count: 100)
        let began = ContinuousClock.now
        let received = try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for b in trickle {
                        do { try await outbound.write(ByteBuffer(bytes: [b])) } catch { break }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
                // Read until Alice closes the connection.
                var bytes = [UInt8]()
                for try await buffer in inbound { bytes += Array(buffer.readableBytesView) }
                group.cancelAll()
                return bytes
            }
        }
        await #expect(throws: NodeError.self) { try await alice.value }
        let elapsed = ContinuousClock.now - began
        #expect(elapsed < .seconds(15), "the session outlived the frame deadline: \(elapsed)")
        // What Alice sent: HELLO, PARAMETERS, then an ERROR with code 1.
        var decoder = FrameDecoder()
        decoder.append(received)
        var messages = [Message]()
        while let frame = try decoder.next() { messages.append(frame.frame.message) }
        guard case .error(let report)? = messages.last else {
            Issue.record("no ERROR from Alice: \(messages)")
            return
        }
        #expect(report.code == .malformedFrame)
    }

    @Test("a control-channel frame on the quantum-layer interface is a quantum-layer error naming QKDQ")
    func quantumLayerErrorWording() async throws {
        let (alice, listening) = try await Self.startAlice(frameTimeout: .seconds(10))
        let feed = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: listening.qliPort).get()
        let frame = Frame(sessionID: 1, sequence: 0, message: .keepalive(nonce: 7), tag: 0).encoded()
        try await feed.writeAndFlush(ByteBuffer(bytes: frame))
        do {
            try await alice.value
            Issue.record("Alice accepted a control-channel frame on her QLI")
        } catch let error as NodeError {
            guard case .quantumLayer(.badBlockMagic) = error else {
                Issue.record("expected a quantum-layer magic error, got \(error)")
                return
            }
            #expect(error.description.contains("quantum-layer") && error.description.contains("\"QKDQ\""))
            #expect(!error.description.contains("QKDW\""))
        }
        try? await feed.close()
    }
}
