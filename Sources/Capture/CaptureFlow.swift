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
    package private(set) var reassemblers: [StreamReassembler] = []
    package private(set) var decoders: [ControlStreamDecoder] = []

    init(id: Int, client: TCPEndpoint, server: TCPEndpoint, packet: Int, observer: any ControlStreamObserver, limits: ReassemblyLimits) {
        self.id = id
        self.client = client
        self.server = server
        firstPacket = packet
        lastPacket = packet
        decoders = [
            ControlStreamDecoder(flow: id, side: 0, label: "\(client)", midStream: false, observer: observer),
            ControlStreamDecoder(flow: id, side: 1, label: "\(server)", midStream: false, observer: observer),
        ]
        reassemblers = decoders.map { StreamReassembler(consumer: $0, limits: limits) }
    }

    /// Adds a segment of this flow (`side` 0 from the client).
    func add(_ s: TCPSegment, side: Int, packet: Int, time: Double) {
        packets += 1
        lastPacket = packet
        let r = reassemblers[side]
        if !r.started && !s.syn { decoders[side].startMidStream() }
        r.add(sequence: s.sequence, flags: s.flags, payload: s.payload, packet: packet, time: time)
    }

    /// Learns the roles from one direction's frame: HELLO says it; otherwise a message that only
    /// one role sends.
    func learnRole(from message: Message, side: Int) {
        guard decoders[side].role == nil else { return }
        let role: Role?
        switch message {
        case .hello(let h): role = h.role
        case .parameters, .siftingResult, .estimationSample, .cascadeReply, .verification, .privacyAmplification: role = .alice
        case .parametersAck, .siftingBases, .estimationResult, .cascadeRequest, .verificationResult, .keyConfirmation: role = .bob
        default: role = nil
        }
        guard let role else { return }
        decoders[side].role = role
        if decoders[1 - side].role == nil { decoders[1 - side].role = role == .alice ? .bob : .alice }
    }

    func finish() { for reassembler in reassemblers { reassembler.flush() } }

    /// Both directions ended (FIN each way, or a RST).
    var closed: Bool {
        reassemblers.contains { $0.sawRST } || reassemblers.allSatisfy { $0.sawFIN }
    }
}
