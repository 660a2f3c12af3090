import NIOPosix

/// The event loops key delivery runs on (the reference KMEs and the SAE clients): loops of their
/// own, so that a process that also runs reference node engines on NIO's shared loops — the
/// harness, with cross-layer cases — never makes a KME or a client wait behind a node's Cascade.
/// They live as long as the process.
package enum KeyDeliveryEventLoops {
    package static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
}
