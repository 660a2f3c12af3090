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
/// are decoded (in capture order), so audits run in one pass and bounded memory.
package final class CaptureAnalyzer: ControlStreamObserver {
    package let limits: ReassemblyLimits
    package var onFrame: ((ObservedFrame) -> Void)?
    /// Quantum-layer blocks as they are decoded from a QLI stream: the block, its flow and the
    /// packet that completed it (replay takes a node's records from them).
    package var onQuantumLayerBlock: ((_ block: QuantumLayerBlock, _ flow: Int, _ packet: Int) -> Void)?
    /// Keep one ``MessageLine`` per frame (for `--messages`).
    package var keepMessages = false
    /// A target's declared framing (`capture inspect --target`): directions that are neither
    /// qkdspec-wire/1 nor QLI are cut into opaque messages by it. Set before ``read(_:)``.
    package var framing: MessageFraming?
    /// Each opaque message as it is cut (for the text listing of `--messages`).
    package var onOpaqueMessage: ((MessageLine) -> Void)?

    /// What was found so far (complete after ``read(_:)`` or ``finish()``).
    package var summary: CaptureSummary {
        var s = report
        s.packets = packetCount
        s.tcpPackets = tcpPacketCount
        s.messages = tally.messages
        s.firstTime = firstTime
        s.lastTime = lastTime
        return s
    }
    /// The summary but for the counters every packet or frame updates, which are kept apart in
    /// private properties: updating the shared summary costs a run-time exclusivity check per field.
    private var report = CaptureSummary()
    private var packetCount = 0
    private var tcpPacketCount = 0
    private var firstTime: Double?
    private var lastTime: Double?
    private var flowIndex: [FlowKey: CaptureFlow] = [:]
    /// Flows by ID (nil once retired: closed both ways, summarised and freed).
    private var flows: [CaptureFlow?] = []
    private var retired: Set<FlowKey> = []
    private var tally = MessageTally()
    /// Flows that have ended (FIN/RST both ways) are retired from the table after this many packets.
    package static let flowLimit = 1 << 16

    private struct FlowKey: Hashable {
        var a: TCPEndpoint
        var b: TCPEndpoint

        /// Equal keys have equal endpoints, so mixing the endpoints' words into one before
        /// hashing keeps the hash consistent with `==` and costs one combine instead of eight.
        func hash(into hasher: inout Hasher) {
            let ports = UInt64(a.port) << 16 | UInt64(b.port)
            hasher.combine(a.high &* 0x9E37_79B9_7F4A_7C15 ^ a.low ^ (b.high &* 0xC2B2_AE3D_27D4_EB4F) ^ (b.low << 1) ^ ports << 32
                           ^ (a.isIPv6 ? 1 : 0))
        }
    }

    package init(limits: ReassemblyLimits = ReassemblyLimits()) { self.limits = limits }

    /// Reads `reader` to its end. Throws only for a damaged file (after tallying what came before).
    package func read(_ reader: PcapReader) throws(CaptureFileError) {
        report.file = reader.path
        report.linkType = PacketDissector.linkTypeName(reader.linkType)
        let link = reader.linkType
        let clock = ContinuousClock.now
        defer {
            report.packetsFiltered = reader.packetsFiltered
            report.seconds = (ContinuousClock.now - clock) / .seconds(1)
        }
        while let p = try reader.next() {
            add(p, linkType: link)
        }
        finish()
    }

    /// One packet (exposed for tests that build packets in memory).
    package func add(_ p: CapturedPacket, linkType: Int32) {
        packetCount += 1
        if firstTime == nil { firstTime = p.time }
        lastTime = p.time
        switch PacketDissector.dissect(p.bytes, linkType: linkType) {
        case .tcp(let s):
            tcpPacketCount += 1
            let forward = s.source < s.destination
            let key = forward ? FlowKey(a: s.source, b: s.destination) : FlowKey(a: s.destination, b: s.source)
            let flow: CaptureFlow
            if let f = flowIndex[key] {
                flow = f
            } else if retired.contains(key) && !s.syn {
                report.packetsAfterClose += 1  // the last ACK of a closed connection
                return
            } else {
                // The first packet's sender is the client, unless it is a SYN-ACK.
                let fromServer = s.syn && s.ack
                flow = CaptureFlow(id: flows.count + 1, client: fromServer ? s.destination : s.source,
                                   server: fromServer ? s.source : s.destination, packet: p.number, observer: self, limits: limits,
                                   framing: framing)
                flowIndex[key] = flow
                flows.append(flow)
            }
            flow.add(s, side: s.source == flow.client ? 0 : 1, packet: p.number, time: p.time)
            if flow.closed { retire(flow, key: key) }
        case .notTCP: report.nonTCPPackets += 1
        case .notIP:
            if PacketDissector.supportedLinkTypes[linkType] == nil { report.unsupportedLinkPackets += 1 } else { report.nonIPPackets += 1 }
        case .fragment: report.fragments += 1
        case .truncated: report.truncatedPackets += 1
        }
    }

    /// A connection closed both ways (FIN or RST): summarised and its memory freed, so a capture
    /// of many connections is read in bounded memory.
    private func retire(_ f: CaptureFlow, key: FlowKey) {
        summarise(f)
        flowIndex[key] = nil
        flows[f.id - 1] = nil
        retired.insert(key)
    }

    /// Ends every flow (holes left become gaps) and completes the summary.
    package func finish() {
        for case let f? in flows { summarise(f) }
        flows.removeAll()
        flowIndex.removeAll()
        report.flows.sort { $0.id < $1.id }
        finishTotals()
    }

    private func summarise(_ f: CaptureFlow) {
        f.finish()
        report.qliBlocks += f.decoders.reduce(0) { $0 + $1.blocks }
        report.flows.append(
            FlowSummary(id: f.id, client: "\(f.client)", server: "\(f.server)", packets: f.packets, firstPacket: f.firstPacket, lastPacket: f.lastPacket,
                        directions: zip(f.reassemblers, f.decoders).map { r, d in
                            DirectionSummary(from: d.label, kind: d.kind, bytes: r.offset, segments: r.segments, retransmissions: r.retransmissions,
                                             outOfOrder: r.outOfOrder, sawSYN: r.sawSYN, sawFIN: r.sawFIN, sawRST: r.sawRST,
                                             frames: d.frames, qliBlocks: d.blocks, skippedBytes: d.skippedBytes)
                        }))
        do {
            for (side, r) in f.reassemblers.enumerated() {
                let label = f.decoders[side].label
                for e in r.events {
                    switch e {
                    case let .gap(o, l, a, b): report.gaps.append(GapSummary(flow: f.id, direction: label, streamOffset: o, length: l, afterPacket: a, beforePacket: b))
                    case let .conflictingOverlap(o, l, p): report.overlaps.append(OverlapSummary(flow: f.id, direction: label, streamOffset: o, length: l, packet: p))
                    case let .limitExceeded(p, b): report.limitsExceeded.append("flow \(f.id) \(label): \(b) out-of-order bytes held at packet \(p), the hole before them declared a gap")
                    }
                }
            }
        }
    }

    private func finishTotals() {
        report.messagesByType = tally.messagesByType
        report.sessions = tally.sessionSummaries
    }

    package static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    package static func typeName(_ t: UInt8) -> String {
        MessageType(rawValue: t).map { "\($0)" } ?? "0x\(String(t, radix: 16))"
    }

    // MARK: ControlStreamObserver

    package func frame(_ decoded: FrameDecoder.Decoded, from decoder: ControlStreamDecoder, packet: Int, time: Double, offset: Int64) {
        let f = decoded.frame
        if decoder.role == nil { flows[decoder.flow - 1]?.learnRole(from: f.message, side: decoder.side) }
        tally.record(f.message, session: f.sessionID, role: decoder.role, flow: decoder.flow, side: decoder.side, packet: packet)
        if keepMessages {
            report.messageList.append(MessageLine(packet: packet, time: time, flow: decoder.flow, from: decoder.label, session: Self.hex(f.sessionID),
                                                   type: Self.typeName(f.message.type), sequence: f.sequence,
                                                   length: decoded.authenticatedBytes.count + Frame.tagBytes, summary: MessageSummary.line(f.message)))
        }
        onFrame?(ObservedFrame(flow: decoder.flow, role: decoder.role, direction: decoder.label, packet: packet, time: time, streamOffset: offset, decoded: decoded))
    }

    package func opaqueMessage(_ message: [UInt8], from decoder: ControlStreamDecoder, packet: Int, time: Double, offset: Int64) {
        tally.recordOpaque(from: decoder.label)
        guard keepMessages || onOpaqueMessage != nil else { return }
        // The summary shows the bytes up to the end of the length field (at most 16): enough to
        // tell message kinds apart, without printing a payload.
        let shown = min(message.count, min(16, framing?.headerBytes ?? 16))
        let line = MessageLine(packet: packet, time: time, flow: decoder.flow, from: decoder.label, session: "", type: "opaque", sequence: 0,
                               length: message.count, summary: "header " + message.prefix(shown).map { Self.hexByte($0) }.joined())
        if keepMessages { report.messageList.append(line) }
        onOpaqueMessage?(line)
    }

    static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    package func quantumLayerBlock(_ block: QuantumLayerBlock, from decoder: ControlStreamDecoder, packet: Int) {
        onQuantumLayerBlock?(block, decoder.flow, packet)
    }

    package func decodeError(_ error: StreamDecodeError) {
        report.decodeErrorCount += 1
        if report.decodeErrors.count < 1000 { report.decodeErrors.append(error) }
    }

    package func resynchronised(_ decoder: ControlStreamDecoder, at offset: Int64, skipped: Int64, packet: Int) {
        guard report.resynchronisations.count < 1000 else { return }
        report.resynchronisations.append("flow \(decoder.flow) \(decoder.label): frame boundary found at stream offset \(offset) (packet \(packet)) after \(skipped) skipped byte(s)")
    }
}
