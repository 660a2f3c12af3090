import Capture
import Foundation
import Wire

/// One control frame of a recorded session, as the capture shows it.
package struct RecordedFrame: Sendable {
    /// The packet that completed the frame (1-based, as Wireshark numbers packets).
    package var packet: Int
    /// Who sent it.
    package var role: Role
    package var frame: Frame
    /// The frame's header and payload as recorded: what a tag authenticates, and what replay
    /// sends again (with a new tag).
    package var authenticatedBytes: [UInt8]

    /// How reports name the message: its type and the frame, block or code it concerns.
    package var label: String { ReplayEquivalence.label(frame.message) }
}

/// A capture that cannot be replayed, and why (the CLI exits 2 with this message).
package struct UnreplayableRecording: Error, CustomStringConvertible {
    package let description: String
    package init(_ message: String) { description = message }
}

/// One session read from a capture for replay: every control frame both sides sent, in capture
/// order, with the packet that carried it. Reuses the Capture module's reading, reassembly and
/// decoding (``CaptureAnalyzer``); sessions are told apart by their session ID.
package struct RecordedSession: Sendable {
    package var file: String
    package var sessionID: UInt64
    package var frames: [RecordedFrame]
    /// Bob's records as the capture's QLI streams carry them, one array per stream (flow) whose
    /// blocks are Bob's, in stream order; empty when the capture holds no such stream. Which
    /// stream was this session's is decided against its SIFTING_BASES (``CaptureReplay``).
    package var bobRecordStreams: [[QuantumLayerBlock]] = []

    /// The frames `role` sent, in capture order.
    package func sent(by role: Role) -> [RecordedFrame] { frames.filter { $0.role == role } }

    /// Reads `path` and picks the session `session` (nil: the capture's only session). Throws
    /// ``UnreplayableRecording`` for a file that cannot be read, no session or several (without
    /// `session`), and a session whose recording is incomplete (a gap, a conflicting overlap, a
    /// frame that does not decode, no HELLO, a sender whose role is not known): replaying a
    /// session the capture does not hold whole would blame the live stack for the recording.
    package static func read(path: String, session: UInt64? = nil) throws(UnreplayableRecording) -> RecordedSession {
        let analyzer = CaptureAnalyzer()
        var all: [UInt64: [RecordedFrame]] = [:]
        var order: [UInt64] = []
        var unknownRole: [UInt64: Int] = [:]
        var flowsBySession: [UInt64: Set<Int>] = [:]
        analyzer.onFrame = { observed in
            let f = observed.decoded.frame
            if all[f.sessionID] == nil { order.append(f.sessionID) }
            flowsBySession[f.sessionID, default: []].insert(observed.flow)
            guard let role = observed.role else {
                if unknownRole[f.sessionID] == nil { unknownRole[f.sessionID] = observed.packet }
                all[f.sessionID, default: []] += []
                return
            }
            all[f.sessionID, default: []].append(RecordedFrame(packet: observed.packet, role: role, frame: f,
                                                               authenticatedBytes: Array(observed.decoded.authenticatedBytes)))
        }
        var bobRecords: [Int: [QuantumLayerBlock]] = [:]
        analyzer.onQuantumLayerBlock = { block, flow, _ in
            if block.kind == .bob { bobRecords[flow, default: []].append(block) }
        }
        do {
            let reader = try PcapReader(path: path)
            try analyzer.read(reader)
        } catch {
            throw UnreplayableRecording("\(error) (the capture cannot be replayed)")
        }
        let summary = analyzer.summary
        guard !order.isEmpty else {
            throw UnreplayableRecording("\(path): no control-channel session in the capture (\(summary.packets) packets, \(summary.tcpPackets) TCP); nothing to replay")
        }
        let chosen: UInt64
        if let session {
            guard all[session] != nil else {
                throw UnreplayableRecording("\(path): no session \(CaptureAnalyzer.hex(session)); the capture holds \(order.map(CaptureAnalyzer.hex).joined(separator: ", "))")
            }
            chosen = session
        } else {
            guard order.count == 1 else {
                throw UnreplayableRecording("\(path) holds \(order.count) sessions (\(order.prefix(8).map(CaptureAnalyzer.hex).joined(separator: ", "))\(order.count > 8 ? ", …" : "")): choose one with --session ID")
            }
            chosen = order[0]
        }
        let hex = CaptureAnalyzer.hex(chosen)
        let flows = flowsBySession[chosen] ?? []
        if let e = summary.decodeErrors.first(where: { flows.contains($0.flow) }) {
            throw UnreplayableRecording("\(path): session \(hex) is damaged: packet \(e.packet), stream offset \(e.streamOffset) (\(e.direction)): \(e.message); a damaged recording cannot be replayed")
        }
        if let g = summary.gaps.first(where: { flows.contains($0.flow) }) {
            throw UnreplayableRecording("\(path): session \(hex) has a gap of \(g.length) bytes (\(g.direction)) between packets \(g.afterPacket) and \(g.beforePacket): the capture missed frames, so it cannot be replayed")
        }
        if let o = summary.overlaps.first(where: { flows.contains($0.flow) }) {
            throw UnreplayableRecording("\(path): session \(hex) has conflicting retransmitted bytes at packet \(o.packet) (\(o.direction)): which bytes the node read is not known, so it cannot be replayed")
        }
        if let p = unknownRole[chosen] {
            throw UnreplayableRecording("\(path): session \(hex): the sender of the frame in packet \(p) is not known (no HELLO before it): a session recorded from its middle cannot be replayed")
        }
        let frames = all[chosen] ?? []
        for role in [Role.alice, .bob] {
            guard let first = frames.first(where: { $0.role == role }) else {
                throw UnreplayableRecording("\(path): session \(hex) has no frame from \(role == .alice ? "Alice" : "Bob"): nothing to replay or to compare")
            }
            guard case .hello = first.frame.message else {
                throw UnreplayableRecording("\(path): session \(hex): \(role == .alice ? "Alice" : "Bob")'s first recorded frame (packet \(first.packet)) is \(first.label), not HELLO: a session recorded from its middle cannot be replayed")
            }
        }
        // A QLI stream the capture does not hold whole (a gap, a decode error) is no source of records.
        let damaged = Set(summary.decodeErrors.map(\.flow) + summary.gaps.map(\.flow) + summary.overlaps.map(\.flow))
        let streams = bobRecords.keys.sorted().filter { !damaged.contains($0) }.compactMap { bobRecords[$0] }
        return RecordedSession(file: path, sessionID: chosen, frames: frames, bobRecordStreams: streams)
    }
}
