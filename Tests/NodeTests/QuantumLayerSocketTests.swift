import NIOCore
import NIOPosix
import Testing
import Wire
@testable import Node

/// Dropping a QLI connection that nobody served must not take the process down. Both ends wrapped
/// their channels in NIOAsyncChannel with a writer they never finished, and NIO traps when such a
/// writer is deinited: the harness died when a session failed before its feeders were closed, and
/// a node died when a feeder connected just as it shut down (seen under load, about once in 300
/// sessions). This runs the node's drop directly; before the fix it crashed the test process (the
/// feeder's drop is tested in HarnessTests, where the feeder lives).
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
}
