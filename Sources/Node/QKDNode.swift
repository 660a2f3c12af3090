import Capture
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostProcessing
import Synchronization
import Wire

/// Runs a reference node: the control channel and the quantum-layer interface over real TCP
/// (SwiftNIO), feeding a ``NodeEngine``.
public enum QKDNode {
    /// Where the node is listening, reported as soon as the sockets are bound (port 0 resolved).
    public struct Listening: Sendable, Codable, Equatable {
        public var event = "listening"
        public var role: String
        public var controlPort: Int?
        public var qliPort: Int

        enum CodingKeys: String, CodingKey {
            case event, role
            case controlPort = "control_port", qliPort = "qli_port"
        }
    }

    /// Runs one session to its end and returns the engine (for its summary and keys).
    public static func run(
        _ config: NodeConfiguration, logger: Logger, onListening: @escaping @Sendable (Listening) -> Void
    ) async throws -> NodeEngine {
        let engine = try NodeEngine(configuration: config, logger: logger)
        try await run(config, engine: engine, logger: logger, onListening: onListening)
        return engine
    }

    /// Runs one session on an engine the caller keeps, so that its summary and keys can be
    /// written however the session ends (completed, failed, or stopped by a signal).
    public static func run(
        _ config: NodeConfiguration, engine: NodeEngine, logger: Logger, onListening: @escaping @Sendable (Listening) -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup.singleton

        let qliServer: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            qliServer = try await bind(config.quantumLayer, group: group)
        } catch {
            throw NodeError.network("cannot listen for the quantum-layer interface on \(config.quantumLayer): \(error)")
        }
        var listener: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>?
        if case .listen(let address) = config.control {
            do { listener = try await bind(address, group: group) } catch {
                throw NodeError.network("cannot listen for the control channel on \(address): \(error)")
            }
        }
        let controlServer = listener
        onListening(Listening(role: config.role == .alice ? "alice" : "bob",
                              controlPort: controlServer?.channel.localAddress?.port,
                              qliPort: qliServer.channel.localAddress?.port ?? 0))
        logger.info("listening", metadata: [
            "qli": "\(qliServer.channel.localAddress.map { "\($0)" } ?? "?")",
            "control": "\(controlServer?.channel.localAddress.map { "\($0)" } ?? "connect")",
        ])

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await serveQuantumLayer(qliServer, engine: engine, logger: logger)
            }
            tasks.addTask {
                switch config.control {
                case .listen:
                    guard let controlServer else { return }
                    let connected = Flag()
                    try await withThrowingTaskGroup(of: Void.self) { accept in
                        accept.addTask {
                            try await controlServer.executeThenClose { connections in
                                for try await connection in connections {
                                    connected.set()
                                    try await runControl(connection, engine: engine, config: config, logger: logger)
                                    return
                                }
                            }
                        }
                        accept.addTask {
                            try await Task.sleep(for: config.idleTimeout)
                            if !connected.isSet {
                                throw NodeError.timeout("no peer connected to the control channel within \(config.idleTimeout)")
                            }
                            try await Task.sleep(for: .seconds(365 * 86_400))
                        }
                        try await accept.next()
                        accept.cancelAll()
                    }
                case .connect(let address):
                    let connection = try await connect(address, group: group, timeout: config.idleTimeout, logger: logger)
                    try await runControl(connection, engine: engine, config: config, logger: logger)
                }
            }
            // The session ends when the control channel does; the QLI server then stops.
            try await tasks.next()
            tasks.cancelAll()
        }
        try? await qliServer.channel.close()
        try? await controlServer?.channel.close()
    }

    // MARK: Sockets

    static func bind(_ address: HostPort, group: any EventLoopGroup) async throws
        -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    {
        try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Connects, retrying while the peer is not up yet (until `timeout`).
    static func connect(_ address: HostPort, group: any EventLoopGroup, timeout: Duration, logger: Logger) async throws
        -> NIOAsyncChannel<ByteBuffer, ByteBuffer>
    {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                return try await ClientBootstrap(group: group)
                    .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                    .connect(host: address.host, port: address.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw NodeError.network("cannot reach the peer at \(address): \(lastError.map { "\($0)" } ?? "timed out")")
    }

    // MARK: Channels

    /// The control channel: a reader task queues whatever arrives, so reading never waits on
    /// writing (two nodes writing large messages at each other cannot deadlock); a watchdog
    /// ends a session whose peer falls silent.
    static func runControl(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, engine: NodeEngine, config: NodeConfiguration,
                           logger: Logger) async throws {
        let idleTimeout = config.idleTimeout
        let channel = connection.channel
        // Alice accepted the connection, so Bob is the TCP client in the capture.
        let recorder = try config.capturePath.map { path in
            TCPStreamRecorder(writer: try PcapWriter(path: path),
                              client: .init(address: (127, 0, 0, 2), port: UInt16(truncatingIfNeeded: (config.role == .bob ? channel.localAddress : channel.remoteAddress)?.port ?? 50000)),
                              server: .init(address: (127, 0, 0, 1), port: UInt16(truncatingIfNeeded: (config.role == .alice ? channel.localAddress : channel.remoteAddress)?.port ?? 7000)))
        }
        let sentByClient = config.role == .bob
        defer { recorder?.finish() }
        try await connection.executeThenClose { inbound, outbound in
            // One writer drains an ordered queue, so frames leave in sequence-number order.
            let (outgoing, enqueue) = AsyncStream<[UInt8]>.makeStream()
            let writer = Task {
                for await bytes in outgoing {
                    do { try await outbound.write(ByteBuffer(bytes: bytes)) } catch {
                        logger.debug("control channel write failed", metadata: ["error": "\(error)"])
                        return
                    }
                }
            }
            defer { enqueue.finish() }
            try await engine.connected { bytes in
                recorder?.record(fromClient: sentByClient, bytes)
                if case .terminated = enqueue.yield(bytes) { throw NodeError.network("the control channel is closed") }
            }
            // The engine never waits on the network (it only queues frames for the writer), so
            // reading and processing on this one loop cannot deadlock against the peer.
            let clock = ActivityClock()
            let timedOut = Flag()
            let watchdog = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    if clock.idle > idleTimeout {
                        timedOut.set()
                        try? await channel.close()
                        return
                    }
                }
            }
            var ended = false
            var failure: (any Error)?
            do {
                for try await buffer in inbound {
                    clock.touch()
                    let bytes = Array(buffer.readableBytesView)
                    recorder?.record(fromClient: !sentByClient, bytes)
                    if try await engine.receiveControl(bytes) {
                        ended = true
                        break
                    }
                }
            } catch let error as NodeError {
                failure = error
            } catch {
                logger.debug("control channel read ended", metadata: ["error": "\(error)"])
            }
            watchdog.cancel()
            // Every queued frame (the last CLOSE, an ERROR or ABORT) goes out before we return.
            enqueue.finish()
            await writer.value
            if let failure { throw failure }
            if ended { return }
            if timedOut.isSet { throw NodeError.timeout("the peer sent nothing for \(idleTimeout)") }
            try await engine.controlClosed()
        }
    }

    static func serveQuantumLayer(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, engine: NodeEngine,
                                  logger: Logger) async throws {
        try await server.executeThenClose { connections in
            for try await connection in connections {
                let ended = try await connection.executeThenClose { inbound, _ in
                    var decoder = QuantumLayerDecoder()
                    for try await buffer in inbound {
                        decoder.append(buffer.readableBytesView)
                        do {
                            while let block = try decoder.next() {
                                try await engine.receiveQuantumLayer(block)
                                if block.kind == .endOfStream { return true }
                            }
                        } catch let error as WireError {
                            throw NodeError.wire(error)
                        }
                    }
                    if decoder.pendingBytes > 0 {
                        throw NodeError.network("the quantum-layer feed closed in the middle of a block")
                    }
                    return false
                }
                if ended {
                    // Keep serving nothing: the session goes on over the control channel.
                    try await Task.sleep(for: .seconds(86_400))
                }
            }
        }
    }

    /// Writes the delivered keys as JSON lines {"key_id", "bits", "hex"} (mode 0600: key material).
    public static func writeKeys(_ log: [(keyID: UUID, key: BitKey)], to path: String) throws {
        var text = ""
        for (id, key) in log {
            text += "{\"key_id\":\"\(id.uuidString.lowercased())\",\"bits\":\(key.count),\"hex\":\"\(key.hex)\"}\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw NodeError.configuration("cannot write the key output \(path)")
        }
    }
}

/// A one-way flag shared between tasks.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// When the control channel last saw bytes.
final class ActivityClock: Sendable {
    private let last = Mutex(ContinuousClock.now)
    func touch() { last.withLock { $0 = .now } }
    var idle: Duration { ContinuousClock.now - last.withLock { $0 } }
}
