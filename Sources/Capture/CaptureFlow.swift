import TargetFiles
import Wire

/// One TCP connection in a capture: its two directions, each reassembled and decoded. A value
/// kept in the analyzer's flow table and changed in place: a packet reaches its direction's
/// reassembly and decoding state without a class property access (each of which would cost a
/// run-time exclusivity check) and without reference counting on a flow object.
struct CaptureFlow {
    let id: Int
    /// The side that sent the first packet seen (the client when the SYN was captured).
    let client: TCPEndpoint
    let server: TCPEndpoint
    var packets = 0
    /// False once the flow is retired (summarised, its state freed).
    var live = true
    var firstPacket: Int
    var lastPacket: Int
    /// Per side (0 the client): stored apart, not in arrays, so a packet reaches its side's
    /// state without an array access; each side's reassembly and decoding side by side, so a
    /// packet's direction is a few neighbouring cache lines.
    private(set) var clientReassembly: DirectionState
    private(set) var clientDecoding: DirectionDecoding
    private(set) var serverReassembly: DirectionState
    private(set) var serverDecoding: DirectionDecoding

    /// `recorded`: the capture file, when the segments' bytes can be read from it again.
    init(id: Int, client: TCPEndpoint, server: TCPEndpoint, packet: Int, limits: ReassemblyLimits, framing: MessageFraming? = nil,
         recorded: RecordedBytes? = nil) {
        self.id = id
        self.client = client
        self.server = server
        firstPacket = packet
        lastPacket = packet
        clientReassembly = DirectionState(limits: limits, recorded: recorded)
        serverReassembly = DirectionState(limits: limits, recorded: recorded)
        clientDecoding = DirectionDecoding(flow: id, side: 0, scanning: false, framing: framing)
        serverDecoding = DirectionDecoding(flow: id, side: 1, scanning: false, framing: framing)
    }

    /// Adds a segment of this flow (its payload at `fileOffset` in the file, -1 if not known); what
    /// it completes goes to `sink`. True when the flow has
    /// closed both ways (``closed``). The closures hand one direction's in-order bytes to the same
    /// direction's decoding state: sibling stored properties, so the compiler proves statically
    /// that the accesses do not overlap.
    mutating func add(_ s: TCPSegment, packet: Int, time: Double, fileOffset: Int64, into sink: inout some DecodedFrameSink) -> Bool {
        packets += 1
        lastPacket = packet
        if s.source == client {
            if !s.syn && !clientReassembly.started { clientDecoding.startMidStream() }
            clientReassembly.add(sequence: s.sequence, flags: s.flags, payload: s.payload, packet: packet, time: time, fileOffset: fileOffset,
                                 deliver: { clientDecoding.consume($0, at: $1, packet: $2, time: $3, into: &sink) },
                                 gap: { clientDecoding.gap(at: $0, length: $1) })
        } else {
            if !s.syn && !serverReassembly.started { serverDecoding.startMidStream() }
            serverReassembly.add(sequence: s.sequence, flags: s.flags, payload: s.payload, packet: packet, time: time, fileOffset: fileOffset,
                                 deliver: { serverDecoding.consume($0, at: $1, packet: $2, time: $3, into: &sink) },
                                 gap: { serverDecoding.gap(at: $0, length: $1) })
        }
        return closed
    }

    /// Delivers what each direction still holds (holes become gaps).
    mutating func finish(into sink: inout some DecodedFrameSink) {
        clientReassembly.flush(deliver: { clientDecoding.consume($0, at: $1, packet: $2, time: $3, into: &sink) },
                               gap: { clientDecoding.gap(at: $0, length: $1) })
        serverReassembly.flush(deliver: { serverDecoding.consume($0, at: $1, packet: $2, time: $3, into: &sink) },
                               gap: { serverDecoding.gap(at: $0, length: $1) })
        sink.directionEnded(&clientDecoding.tally)
        sink.directionEnded(&serverDecoding.tally)
    }

    /// Both directions ended (FIN each way, or a RST).
    var closed: Bool {
        clientReassembly.sawRST || serverReassembly.sawRST || (clientReassembly.sawFIN && serverReassembly.sawFIN)
    }
}
