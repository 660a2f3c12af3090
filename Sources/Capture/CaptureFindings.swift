import Foundation
import TargetFiles
import Wire

/// What the decoding of every direction of a capture found, kept as one value that each
/// direction's decoding state changes in place (it is the ``DecodedFrameSink`` of every flow):
/// per-frame tallies, decode errors and resynchronisations, each direction's role, the message
/// list, and the frames and blocks waiting to be handed to the analyzer's callbacks.
///
/// The callbacks (`onFrame`, `onQuantumLayerBlock`) are not called from here: this value is
/// being changed while a packet is processed, and a callback that read the analyzer then would
/// trap. The frames and blocks a packet completes are queued in capture order and handed over
/// by the analyzer once the packet is done.
struct CaptureFindings: DecodedFrameSink {
    var report = CaptureSummary()
    var tally = MessageTally()
    var keepMessages = false
    var observeFrames = false
    var observeBlocks = false
    var observeOpaqueMessages = false
    /// A target's declared framing (`capture inspect --target`): directions that are neither
    /// qkdspec-wire/1 nor QLI are cut into opaque messages by it.
    var framing: MessageFraming?
    /// Frames and blocks for the callbacks, in the order they were decoded.
    var pending: [Observation] = []
    /// Per direction (index 2 × (flow − 1) + side): its role once known, and its sending endpoint.
    private var directions: [Direction] = []

    enum Observation {
        case frame(ObservedFrame)
        case block(QuantumLayerBlock, flow: Int, packet: Int)
        case opaqueMessage(MessageLine)
    }

    private struct Direction {
        var role: Role?
        var endpoint: String
    }

    /// A new flow's two directions (flows are numbered 1, 2, … in order of creation).
    mutating func addFlow(id: Int, client: TCPEndpoint, server: TCPEndpoint) {
        precondition(directions.count == 2 * (id - 1), "flows are added in order")
        directions.append(Direction(role: nil, endpoint: "\(client)"))
        directions.append(Direction(role: nil, endpoint: "\(server)"))
    }

    func role(flow: Int, side: Int) -> Role? { directions[2 * (flow - 1) + side].role }

    /// "alice" or "bob" once the role is known, else the sending endpoint.
    func label(flow: Int, side: Int) -> String {
        let d = directions[2 * (flow - 1) + side]
        return d.role.map { $0 == .alice ? "alice" : "bob" } ?? d.endpoint
    }

    /// The frames go to `onFrame` with their authenticated bytes (tag verification needs them).
    var needsAuthenticatedBytes: Bool { observeFrames }

    mutating func frame(_ decoded: FrameDecoder.Decoded, flow: Int, side: Int, packet: Int, time: Double, offset: Int64,
                        tally: inout DirectionTally) {
        let role = record(decoded.frame, length: decoded.authenticatedBytes.count + Frame.tagBytes, type: decoded.frame.message.type, flow: flow,
                          side: side, packet: packet, time: time, tally: &tally)
        if observeFrames {
            pending.append(.frame(ObservedFrame(flow: flow, role: role, direction: label(flow: flow, side: side), packet: packet, time: time,
                                                streamOffset: offset, decoded: decoded)))
        }
    }

    mutating func frame(_ frame: Frame, length: Int, type: UInt8, flow: Int, side: Int, packet: Int, time: Double, offset: Int64,
                        tally: inout DirectionTally) {
        _ = record(frame, length: length, type: type, flow: flow, side: side, packet: packet, time: time, tally: &tally)
    }

    mutating func directionEnded(_ tally: inout DirectionTally) { self.tally.hand(over: &tally) }

    /// Tallies one frame (and lists it for `--messages`); the sender's role once known. A role,
    /// once known, never changes: the direction's tally keeps it, and the table of roles is read
    /// only until then.
    private mutating func record(_ f: Frame, length: Int, type: UInt8, flow: Int, side: Int, packet: Int, time: Double,
                                 tally direction: inout DirectionTally) -> Role? {
        if direction.role == nil {
            let d = 2 * (flow - 1) + side
            if directions[d].role == nil { learnRole(from: f.message, direction: d) }
            direction.role = directions[d].role
        }
        let role = direction.role
        tally.record(type: type, session: f.sessionID, role: role, flow: flow, packet: packet, direction: &direction)
        if keepMessages {
            report.messageList.append(MessageLine(packet: packet, time: time, flow: flow, from: label(flow: flow, side: side),
                                                  session: CaptureAnalyzer.hex(f.sessionID), type: CaptureAnalyzer.typeName(f.message.type),
                                                  sequence: f.sequence, length: length, summary: MessageSummary.line(f.message)))
        }
        return role
    }

    /// Learns the roles from one direction's frame: HELLO says it; otherwise a message that only
    /// one role sends. The other direction takes the other role if it has none.
    private mutating func learnRole(from message: Message, direction d: Int) {
        let role: Role?
        switch message {
        case .hello(let h): role = h.role
        case .parameters, .siftingResult, .estimationSample, .cascadeReply, .verification, .privacyAmplification: role = .alice
        case .parametersAck, .siftingBases, .estimationResult, .cascadeRequest, .verificationResult, .keyConfirmation: role = .bob
        default: role = nil
        }
        guard let role else { return }
        directions[d].role = role
        if directions[d ^ 1].role == nil { directions[d ^ 1].role = role == .alice ? .bob : .alice }
    }

    mutating func quantumLayerBlock(_ block: QuantumLayerBlock, flow: Int, side: Int, packet: Int) {
        if observeBlocks { pending.append(.block(block, flow: flow, packet: packet)) }
    }

    mutating func opaqueMessage(_ message: [UInt8], flow: Int, side: Int, packet: Int, time: Double, offset: Int64) {
        let from = label(flow: flow, side: side)
        tally.recordOpaque(from: from)
        guard keepMessages || observeOpaqueMessages else { return }
        // The summary shows the bytes up to the end of the length field (at most 16): enough to
        // tell message kinds apart, without printing a payload.
        let shown = min(message.count, min(16, framing?.headerBytes ?? 16))
        let line = MessageLine(packet: packet, time: time, flow: flow, from: from, session: "", type: "opaque", sequence: 0,
                               length: message.count, summary: "header " + message.prefix(shown).map { String(format: "%02x", $0) }.joined())
        if keepMessages { report.messageList.append(line) }
        if observeOpaqueMessages { pending.append(.opaqueMessage(line)) }
    }

    mutating func decodeError(flow: Int, side: Int, packet: Int, streamOffset: Int64, message: String) {
        report.decodeErrorCount += 1
        if report.decodeErrors.count < 1000 {
            report.decodeErrors.append(StreamDecodeError(flow: flow, direction: label(flow: flow, side: side), packet: packet,
                                                         streamOffset: streamOffset, message: message))
        }
    }

    mutating func resynchronised(flow: Int, side: Int, at offset: Int64, skipped: Int64, packet: Int) {
        guard report.resynchronisations.count < 1000 else { return }
        report.resynchronisations.append("flow \(flow) \(label(flow: flow, side: side)): frame boundary found at stream offset \(offset) (packet \(packet)) after \(skipped) skipped byte(s)")
    }
}
