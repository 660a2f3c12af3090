import NIOCore
import NIOPosix
import Testing
import Wire
@testable import Harness

/// The feeder wrapped its channel in NIOAsyncChannel with a writer it never finished, and NIO
/// traps when such a writer is deinited: the harness died when a session failed before its
/// feeders were closed. Before the fix this test crashed the test process.
@Suite("Quantum-layer feeder")
struct QuantumLayerFeederTests {
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
