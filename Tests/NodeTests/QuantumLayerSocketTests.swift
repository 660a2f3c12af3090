import NIOCore
import NIOPosix
import Testing
@testable import Node

/// Dropping a QLI connection that nobody served must not take the process down. Both ends wrapped
/// their channels in NIOAsyncChannel with a writer they never finished, and NIO traps when such a
/// writer is deinited: the harness died when a session failed before its feeders were closed, and
/// a node died when a feeder connected just as it shut down (seen under load, about once in 300
/// sessions). These run the two drops directly; before the fix each one crashed the test process.
@Suite("Quantum-layer sockets")
struct QuantumLayerSocketTests {
    @Test("a node's QLI server closed with a connection it never served: no trap")
    func serverDropsUnservedConnection() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await QKDNode.bind(HostPort(host: "127.0.0.1", port: 0), group: group)
        let port = try #require(server.channel.localAddress?.port)
        let client = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        // Let the server accept it (and wrap it), then close the server without ever iterating.
        try await Task.sleep(for: .milliseconds(100))
        try await server.channel.close()
        try? await client.close()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!server.channel.isActive)
    }

    @Test("a feeder dropped without close(): no trap")
    func feederDroppedWithoutClose() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        do {
            let feeder = try await QuantumLayerFeeder.connect(to: HostPort(host: "127.0.0.1", port: port))
            try await feeder.send([1, 2, 3])
        }  // the feeder goes out of scope here, never closed
        try await Task.sleep(for: .milliseconds(100))
        try await listener.close()
    }
}
