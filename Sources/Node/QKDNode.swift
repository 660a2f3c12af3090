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
package enum QKDNode {
    /// Where the node is listening, reported as soon as the sockets are bound (port 0 resolved).
    package struct Listening: Sendable, Codable, Equatable {
        package var event = "listening"
        package var role: String
        package var controlPort: Int?
        package var qliPort: Int

        enum CodingKeys: String, CodingKey {
            case event, role
            case controlPort = "control_port", qliPort = "qli_port"
        }
    }

    /// Runs one session to its end and returns the engine (for its summary and keys).
    package static func run(
        _ config: NodeConfiguration, logger: Logger, onListening: @escaping @Sendable (Listening) -> Void
    ) async throws -> NodeEngine {
        let engine = try NodeEngine(configuration: config, logger: logger)
        try await run(config, engine: engine, logger: logger, onListening: onListening)
        return engine
    }

    /// Runs one session on an engine the caller keeps, so that its summary and keys can be
    /// written however the session ends (completed, failed, or stopped by a signal).
    package static func run(
        _ config: NodeConfiguration, engine: NodeEngine, logger: Logger, onListening: @escaping @Sendable (Listening) -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        // The control channel lives on the engine's own event loop (see ControlChannelHandler).
        let loop = engine.eventLoop
        let ended = loop.makePromise(of: Void.self)

        let qliServer: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, Never>, Never>
        do {
            qliServer = try await bind(config.quantumLayer, group: group)
        } catch {
            throw NodeError.network("cannot listen for the quantum-layer interface on \(config.quantumLayer): \(error)")
        }
        let handler = { @Sendable (isClient: Bool) in
            ControlChannelHandler(engine: engine, capturePath: config.capturePath, isClient: isClient, ended: ended,
                                  idleTimeout: config.idleTimeout, frameTimeout: config.frameTimeout, logger: logger)
        }
        var listener: (any Channel)?
        if case .listen(let address) = config.control {
            let accepted = Flag()
            do {
                listener = try await ServerBootstrap(group: loop)
                    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        // One session per node: a second peer is turned away.
                        guard !accepted.isSet else { return channel.close() }
                        accepted.set()
                        return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler(false)) }
                    }
                    .bind(host: address.host, port: address.port).get()
            } catch {
                throw NodeError.network("cannot listen for the control channel on \(address): \(error)")
            }
            let timeout = config.idleTimeout
            loop.scheduleTask(in: TimeAmount(timeout)) {
                if !accepted.isSet { ended.fail(NodeError.timeout("no peer connected to the control channel within \(timeout)")) }
            }
        }
        let controlServer = listener
        onListening(Listening(role: config.role == .alice ? "alice" : "bob",
                              controlPort: controlServer?.localAddress?.port,
                              qliPort: qliServer.channel.localAddress?.port ?? 0))
        logger.info("listening", metadata: [
            "qli": "\(qliServer.channel.localAddress.map { "\($0)" } ?? "?")",
            "control": "\(controlServer?.localAddress.map { "\($0)" } ?? "connect")",
        ])

        var connection: (any Channel)?
        if case .connect(let address) = config.control {
            connection = try await connect(address, loop: loop, timeout: config.idleTimeout) { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler(true)) }
            }
        }
        let client = connection
        defer {
            client?.close(promise: nil)
            controlServer?.close(promise: nil)
        }

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await serveQuantumLayer(qliServer, engine: engine, logger: logger)
            }
            tasks.addTask {
                try await withTaskCancellationHandler {
                    try await ended.futureResult.get()
                } onCancel: {
                    ended.fail(CancellationError())
                }
            }
            // The session ends when the control channel does (or on a stop); the QLI server is then
            // closed outright, so its accept loop ends without relying on cancellation reaching it.
            defer { qliServer.channel.close(promise: nil) }
            try await tasks.next()
            tasks.cancelAll()
        }
        try? await qliServer.channel.close()
    }

    // MARK: Sockets

    static func bind(_ address: HostPort, group: any EventLoopGroup) async throws
        -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, Never>, Never>
    {
        try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Read-only: the node never writes on the QLI, and a wrapper whose writer is
                    // finished from the start is safe to drop unused (a connection accepted while
                    // the node shuts down would otherwise trap in NIOAsyncWriter's deinit).
                    try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Connects on `loop`, retrying while the peer is not up yet (until `timeout`).
    static func connect(_ address: HostPort, loop: any EventLoop, timeout: Duration,
                        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) async throws -> any Channel {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                return try await ClientBootstrap(group: loop)
                    .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer(initializer)
                    .connect(host: address.host, port: address.port).get()
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw NodeError.network("cannot reach the peer at \(address): \(lastError.map { "\($0)" } ?? "timed out")")
    }

    // MARK: Channels

    static func serveQuantumLayer(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, Never>, Never>, engine: NodeEngine,
                                  logger: Logger) async throws {
        try await server.executeThenClose { connections in
            for try await connection in connections {
                let channel = connection.channel
                let ended = try await withTaskCancellationHandler {
                    try await connection.executeThenClose { inbound, _ in
                        var decoder = QuantumLayerDecoder()
                        for try await buffer in inbound {
                            decoder.append(buffer.readableBytesView)
                            do {
                                while let block = try decoder.next() {
                                    // Bob's announcement is encoded here, off the engine's loop.
                                    try await engine.receiveQuantumLayer(block, announcement: NodeEngine.siftingAnnouncement(for: block))
                                    if block.kind == .endOfStream { return true }
                                }
                            } catch let error as WireError {
                                throw NodeError.quantumLayer(error)
                            }
                        }
                        if decoder.pendingBytes > 0 {
                            throw NodeError.network("the quantum-layer feed closed in the middle of a block")
                        }
                        return false
                    }
                } onCancel: {
                    // A stop closes the feed's connection, which ends its read loop.
                    channel.close(promise: nil)
                }
                if ended {
                    // Keep serving nothing: the session goes on over the control channel.
                    try await Task.sleep(for: .seconds(86_400))
                }
            }
        }
    }

    /// Writes the delivered keys as JSON lines {"key_id", "bits", "hex"} (mode 0600: key material).
    package static func writeKeys(_ log: [(keyID: UUID, key: BitKey)], to path: String) throws {
        var text = ""
        for (id, key) in log {
            text += "{\"key_id\":\"\(id.uuidString.lowercased())\",\"bits\":\(key.count),\"hex\":\"\(key.hex)\"}\n"
        }
        // Written beside the target and renamed into place, so a reader never sees half a file.
        let partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]),
              rename(partial, path) == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
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
