import Foundation
import TargetFiles
import Wire

/// One decoded control-channel frame, where the capture shows it.
package struct ObservedFrame {
    package var flow: Int
    /// The sender's role when known.
    package var role: Role?
    package var direction: String
    /// The packet that completed the frame, and its time.
    package var packet: Int
    package var time: Double
    package var streamOffset: Int64
    package var decoded: FrameDecoder.Decoded
}

/// Reads a capture, reassembles every TCP connection, decodes each direction as the reference
/// control channel (or a QLI stream) and tallies what it found. Frames go to `onFrame` as they
/// are decoded (in capture order, once the packet that completed them is processed), so audits
/// run in one pass and bounded memory.
///
/// Everything a packet changes lives in one value (``AnalysisState``: counters, flow table,
/// flows, tallies), changed through one mutating call per packet: one run-time exclusivity
/// check per packet instead of one per stored property touched per packet and per frame. The
/// callbacks run after that call, outside the access, so they may read the analyzer.
package final class CaptureAnalyzer {
    package let limits: ReassemblyLimits
    package var onFrame: ((ObservedFrame) -> Void)? {
        didSet { state.findings.observeFrames = onFrame != nil }
    }
    /// Quantum-layer blocks as they are decoded from a QLI stream: the block, its flow and the
    /// packet that completed it (replay takes a node's records from them).
    package var onQuantumLayerBlock: ((_ block: QuantumLayerBlock, _ flow: Int, _ packet: Int) -> Void)? {
        didSet { state.findings.observeBlocks = onQuantumLayerBlock != nil }
    }
    /// Keep one ``MessageLine`` per frame (for `--messages`).
    package var keepMessages: Bool {
        get { state.findings.keepMessages }
        set { state.findings.keepMessages = newValue }
    }

    /// A target's declared framing (`capture inspect --target`): directions that are neither
    /// qkdspec-wire/1 nor QLI are cut into opaque messages by it. Set before ``read(_:)``.
    package var framing: MessageFraming? {
        get { state.findings.framing }
        set { state.findings.framing = newValue }
    }
    /// Each opaque message as it is cut (for the text listing of `--messages`).
    package var onOpaqueMessage: ((MessageLine) -> Void)? {
        didSet { state.findings.observeOpaqueMessages = onOpaqueMessage != nil }
    }

    /// What was found so far (complete after ``read(_:)`` or ``finish()``).
    package var summary: CaptureSummary { state.summary }
    private var state: AnalysisState
    /// Flows that have ended (FIN/RST both ways) are retired from the table after this many packets.
    package static let flowLimit = 1 << 16

    package init(limits: ReassemblyLimits = ReassemblyLimits()) {
        self.limits = limits
        state = AnalysisState(limits: limits)
    }

    /// Reads `reader` to its end. Throws only for a damaged file (after tallying what came before).
    package func read(_ reader: PcapReader) throws(CaptureFileError) {
        state.findings.report.file = reader.path
        state.findings.report.linkType = PacketDissector.linkTypeName(reader.linkType)
        let link = reader.linkType
        let clock = ContinuousClock.now
        state.recorded = reader.recordedBytes()
        defer {
            state.recorded = nil  // every flow has finished with it (`finish()`); the descriptor is closed with the last
            state.findings.report.packetsFiltered = reader.packetsFiltered
            state.findings.report.seconds = (ContinuousClock.now - clock) / .seconds(1)
        }
        while let p = try reader.next() {
            add(p, linkType: link)
        }
        finish()
    }

    /// Packets of `reader` added one by one (``add(_:linkType:)``) compare retransmissions with
    /// their bytes read back from its file, as ``read(_:)`` does (when the file allows it).
    package func readRetransmissionsBack(from reader: PcapReader) {
        state.recorded = reader.recordedBytes()
    }

    /// One packet (exposed for tests that build packets in memory).
    package func add(_ p: CapturedPacket, linkType: Int32) {
        if state.add(p, linkType: linkType) { handOver() }
    }

    /// Ends every flow (holes left become gaps) and completes the summary.
    package func finish() {
        if state.finish() { handOver() }
    }

    /// Hands the queued frames and blocks to the callbacks, outside the state's access.
    private func handOver() {
        var queued: [CaptureFindings.Observation] = []
        swap(&queued, &state.findings.pending)
        for o in queued {
            switch o {
            case .frame(let f): onFrame?(f)
            case let .block(b, flow, packet): onQuantumLayerBlock?(b, flow, packet)
            case .opaqueMessage(let line): onOpaqueMessage?(line)
            }
        }
        // Give the queue's storage back (emptied), so the next packet's frames do not allocate.
        queued.removeAll(keepingCapacity: true)
        if state.findings.pending.isEmpty { swap(&queued, &state.findings.pending) }
    }

    package static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    package static func typeName(_ t: UInt8) -> String {
        MessageType(rawValue: t).map { "\($0)" } ?? "0x\(String(t, radix: 16))"
    }
}
