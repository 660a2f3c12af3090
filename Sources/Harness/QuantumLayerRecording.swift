import Capture
import Foundation

/// The harness's two quantum-layer feeds written into a session's capture as the TCP connections
/// a tap would show (the harness at 127.0.0.3 connecting to each node's QLI port), so the
/// capture carries the records each node had: `capture inspect` counts their blocks and `replay`
/// feeds Bob's to a live Bob without a sidecar.
final class QuantumLayerRecording: Sendable {
    private let alice: TCPStreamRecorder
    private let bob: TCPStreamRecorder

    init(writer: PcapWriter, alicePort: Int, bobPort: Int) {
        let harness: (UInt8, UInt8, UInt8, UInt8) = (127, 0, 0, 3)
        alice = TCPStreamRecorder(writer: writer, client: .init(address: harness, port: 40_001),
                                  server: .init(address: (127, 0, 0, 1), port: UInt16(truncatingIfNeeded: alicePort)))
        bob = TCPStreamRecorder(writer: writer, client: .init(address: harness, port: 40_002),
                                server: .init(address: (127, 0, 0, 2), port: UInt16(truncatingIfNeeded: bobPort)))
    }

    /// One encoded block (or the end of the stream) fed to each node.
    func record(alice a: [UInt8], bob b: [UInt8]) {
        alice.record(fromClient: true, a)
        bob.record(fromClient: true, b)
    }

    /// Closes both connections in the capture.
    func finish() {
        alice.finish()
        bob.finish()
    }
}
