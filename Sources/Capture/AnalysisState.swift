import Wire

/// Everything ``CaptureAnalyzer`` changes per packet, in one value: packet counters, the flow
/// table, the flows themselves (values, changed in place) and what their decoding found
/// (``CaptureFindings``). The analyzer changes it through one mutating call per packet, so the
/// run-time exclusivity check of a class's stored property is paid once per packet; inside,
/// every access is to a part of this value and is checked at compile time.
struct AnalysisState {
    let limits: ReassemblyLimits
    var findings = CaptureFindings()
    private var packetCount = 0
    private var tcpPacketCount = 0
    private var firstTime: Double?
    private var lastTime: Double?
    /// Where each live flow sits in `flows`.
    private var flowIndex = FlowTable()
    /// Flows by ID − 1; a retired one (closed both ways, summarised and freed) is left as an
    /// empty flow that is not ``CaptureFlow/live`` (no optional to unwrap per packet).
    private var flows: [CaptureFlow] = []
    private var retired: Set<FlowKey> = []
    /// The capture file being read, when packets' bytes can be read from it again (see
    /// ``RecordedBytes``): new flows compare retransmissions with it.
    var recorded: RecordedBytes?

    init(limits: ReassemblyLimits) { self.limits = limits }

    /// What was found so far.
    var summary: CaptureSummary {
        var s = findings.report
        s.packets = packetCount
        s.tcpPackets = tcpPacketCount
        s.messages = findings.tally.messages
        s.firstTime = firstTime
        s.lastTime = lastTime
        return s
    }

    /// One packet. True when it completed frames or blocks that wait for the callbacks.
    mutating func add(_ p: CapturedPacket, linkType: Int32) -> Bool {
        packetCount += 1
        if firstTime == nil { firstTime = p.time }
        lastTime = p.time
        switch PacketDissector.dissect(p.bytes, linkType: linkType) {
        case .tcp(let s):
            tcpPacketCount += 1
            let forward = s.source < s.destination
            let key = forward ? FlowKey(a: s.source, b: s.destination) : FlowKey(a: s.destination, b: s.source)
            let index: Int
            if let i = flowIndex[key] {
                index = i
            } else if retired.contains(key) && !s.syn {
                findings.report.packetsAfterClose += 1  // the last ACK of a closed connection
                return false
            } else {
                // The first packet's sender is the client, unless it is a SYN-ACK.
                let fromServer = s.syn && s.ack
                index = flows.count
                let client = fromServer ? s.destination : s.source, server = fromServer ? s.source : s.destination
                flows.append(CaptureFlow(id: index + 1, client: client, server: server, packet: p.number, limits: limits,
                                          framing: findings.framing, recorded: recorded))
                findings.addFlow(id: index + 1, client: client, server: server)
                flowIndex.insert(key, index: index)
            }
            // The flow is changed where it lies in the table, in one call (`flows` and `findings`
            // are separate parts of this value, so the two accesses may overlap; reading a field
            // through `flows[index]` apart would copy the whole flow, retaining its buffers).
            // Where the payload lies in the file: the packet's offset plus the payload's place in it.
            var payloadOffset: Int64 = -1
            if p.fileOffset >= 0, let payload = s.payload.baseAddress, let packet = p.bytes.baseAddress {
                payloadOffset = Int64(p.fileOffset + (payload - packet))
            }
            if flows[index].add(s, packet: p.number, time: p.time, fileOffset: payloadOffset, into: &findings) { retire(index, key: key) }
        case .notTCP: findings.report.nonTCPPackets += 1
        case .notIP:
            if PacketDissector.supportedLinkTypes[linkType] == nil {
                findings.report.unsupportedLinkPackets += 1
            } else {
                findings.report.nonIPPackets += 1
            }
        case .fragment: findings.report.fragments += 1
        case .truncated: findings.report.truncatedPackets += 1
        }
        return !findings.pending.isEmpty
    }

    /// A connection closed both ways (FIN or RST): summarised and its memory freed, so a capture
    /// of many connections is read in bounded memory.
    private mutating func retire(_ index: Int, key: FlowKey) {
        summarise(index)
        flowIndex.remove(key)
        let f = flows[index]
        flows[index] = CaptureFlow(id: f.id, client: f.client, server: f.server, packet: f.firstPacket, limits: limits)
        flows[index].live = false
        retired.insert(key)
    }

    /// Ends every flow (holes left become gaps) and completes the summary. True when frames or
    /// blocks wait for the callbacks.
    mutating func finish() -> Bool {
        for i in flows.indices where flows[i].live { summarise(i) }
        flows.removeAll()
        flowIndex.removeAll()
        findings.report.flows.sort { $0.id < $1.id }
        findings.report.messagesByType = findings.tally.messagesByType
        findings.report.sessions = findings.tally.sessionSummaries
        return !findings.pending.isEmpty
    }

    private mutating func summarise(_ index: Int) {
        flows[index].finish(into: &findings)
        let f = flows[index]
        findings.report.qliBlocks += f.clientDecoding.blocks + f.serverDecoding.blocks
        let sides = [(f.clientReassembly, f.clientDecoding), (f.serverReassembly, f.serverDecoding)]
        findings.report.flows.append(
            FlowSummary(id: f.id, client: "\(f.client)", server: "\(f.server)", packets: f.packets, firstPacket: f.firstPacket, lastPacket: f.lastPacket,
                        directions: sides.enumerated().map { side, rd in
                            let (r, d) = rd
                            return DirectionSummary(from: findings.label(flow: f.id, side: side), kind: d.kind, bytes: r.offset, segments: r.segments,
                                                    retransmissions: r.retransmissions, outOfOrder: r.outOfOrder, sawSYN: r.sawSYN, sawFIN: r.sawFIN,
                                                    sawRST: r.sawRST, frames: d.frames, qliBlocks: d.blocks, skippedBytes: d.skippedBytes)
                        }))
        for (side, r) in [f.clientReassembly, f.serverReassembly].enumerated() {
            let label = findings.label(flow: f.id, side: side)
            for e in r.events {
                switch e {
                case let .gap(o, l, a, b):
                    findings.report.gaps.append(GapSummary(flow: f.id, direction: label, streamOffset: o, length: l, afterPacket: a, beforePacket: b))
                case let .conflictingOverlap(o, l, p):
                    findings.report.overlaps.append(OverlapSummary(flow: f.id, direction: label, streamOffset: o, length: l, packet: p))
                case let .limitExceeded(p, b):
                    findings.report.limitsExceeded.append("flow \(f.id) \(label): \(b) out-of-order bytes held at packet \(p), the hole before them declared a gap")
                }
            }
        }
    }
}
