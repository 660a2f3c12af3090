import NIOCore
import NIOPosix
import Wire

/// The harness's end of a node's quantum-layer interface: connects and streams blocks.
package final class QuantumLayerFeeder: Sendable {
    /// The feeder writes on the channel directly; its async wrapper only reads, so dropping a
    /// feeder that was never closed (a session that failed half-way) cannot trap.
    private let channel: NIOAsyncChannel<ByteBuffer, Never>

    private init(channel: NIOAsyncChannel<ByteBuffer, Never>) { self.channel = channel }

    /// Connects to a node's QLI listener, retrying for up to `timeout` while it starts.
    package static func connect(to address: HostPort, timeout: Duration = .seconds(10)) async throws -> QuantumLayerFeeder {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: address.host, port: address.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                        }
                    }
                return QuantumLayerFeeder(channel: channel)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw HarnessError("cannot reach the quantum-layer interface at \(address): \(lastError.map { "\($0)" } ?? "timed out")")
    }

    /// Sends raw bytes (a block's encoding, or anything a robustness test wants to send).
    package func send(_ bytes: [UInt8]) async throws {
        try await channel.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    package func send(_ block: QuantumLayerBlock) async throws { try await send(block.encoded()) }

    package func close() async {
        try? await channel.channel.close()
    }
}
