import TargetFiles
import Wire

/// One TCP connection in a capture: its two directions, each reassembled and decoded.
package final class CaptureFlow {
    package let id: Int
    /// The side that sent the first packet seen (the client when the SYN was captured).
    package let client: TCPEndpoint
    package let server: TCPEndpoint
    package var packets = 0
    package var firstPacket: Int
    package var lastPacket: Int
    /// Per side (0 the client): stored apart, not in arrays, so a packet reaches its side's
    /// reassembler without an array access.
    private let clientReassembler: StreamReassembler
    private let serverReassembler: StreamReassembler
    private let clientDecoder: ControlStreamDecoder
    private let serverDecoder: ControlStreamDecoder
    package var reassemblers: [StreamReassembler] { [clientReassembler, serverReassembler] }
    package var decoders: [ControlStreamDecoder] { [clientDecoder, serverDecoder] }

    init(id: Int, client: TCPEndpoint, server: TCPEndpoint, packet: Int, observer: any ControlStreamObserver, limits: ReassemblyLimits,
         framing: MessageFraming? = nil) {
        self.id = id
        self.client = client
        self.server = server
        firstPacket = packet
        lastPacket = packet
        clientDecoder = ControlStreamDecoder(flow: id, side: 0, label: "\(client)", midStream: false, observer: observer, framing: framing)
        serverDecoder = ControlStreamDecoder(flow: id, side: 1, label: "\(server)", midStream: false, observer: observer, framing: framing)
        clientReassembler = StreamReassembler(consumer: clientDecoder, limits: limits)
        serverReassembler = StreamReassembler(consumer: serverDecoder, limits: limits)
    }

    /// Adds a segment of this flow (`side` 0 from the client).
    func add(_ s: TCPSegment, side: Int, packet: Int, time: Double) {
        packets += 1
        lastPacket = packet
        // Each side's objects are reached through the immutable properties directly, not through
        // a local copy: no retain and release per packet.
        if side == 0 {
            if !s.syn && !clientReassembler.started { clientDecoder.startMidStream() }
            clientReassembler.add(sequence: s.sequence, flags: s.flags, payload: s.payload, packet: packet, time: time)
        } else {
            if !s.syn && !serverReassembler.started { serverDecoder.startMidStream() }
            serverReassembler.add(sequence: s.sequence, flags: s.flags, payload: s.payload, packet: packet, time: time)
        }
    }

    /// Learns the roles from one direction's frame: HELLO says it; otherwise a message that only
    /// one role sends.
    func learnRole(from message: Message, side: Int) {
        let decoder = side == 0 ? clientDecoder : serverDecoder, other = side == 0 ? serverDecoder : clientDecoder
        guard decoder.role == nil else { return }
        let role: Role?
        switch message {
        case .hello(let h): role = h.role
        case .parameters, .siftingResult, .estimationSample, .cascadeReply, .verification, .privacyAmplification: role = .alice
        case .parametersAck, .siftingBases, .estimationResult, .cascadeRequest, .verificationResult, .keyConfirmation: role = .bob
        default: role = nil
        }
        guard let role else { return }
        decoder.role = role
        if other.role == nil { other.role = role == .alice ? .bob : .alice }
    }

    func finish() {
        clientReassembler.flush()
        serverReassembler.flush()
    }

    /// Both directions ended (FIN each way, or a RST).
    var closed: Bool {
        clientReassembler.sawRST || serverReassembler.sawRST || (clientReassembler.sawFIN && serverReassembler.sawFIN)
    }
}
