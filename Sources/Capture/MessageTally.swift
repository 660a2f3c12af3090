import Wire

/// What `capture inspect` counts per decoded frame: messages by type and sender, and per session
/// its frames, flows, first and last packets, confirmed keys and aborts. A value updated through
/// one mutating call per frame (one run-time exclusivity check on its owner, not one per field).
struct MessageTally {
    private(set) var messages = 0
    /// Index type × 3 + sender (0 Alice, 1 Bob, 2 not known).
    private var typeCounts = [Int](repeating: 0, count: 256 * 3)
    /// Where each session's tally sits in `sessions`.
    private var sessionSlots: [UInt64: Int] = [:]
    private var sessions: [Session] = []
    /// Per direction (index 2 × (flow − 1) + side): the session of its last frame and that
    /// session's slot. A direction's frames almost always belong to the session of the frame
    /// before, so most frames find their tally without a dictionary lookup.
    private var recent: [RecentSession] = []
    /// Opaque messages (no type, no session) by sending endpoint.
    private var opaqueBySender: [String: Int] = [:]

    private struct Session {
        var firstPacket: Int
        var lastPacket = 0
        var frames = 0
        var flows: Set<Int> = []
        var keysConfirmed = 0
        var aborts = 0

        /// One frame of this session (one access to the session's slot per frame).
        mutating func count(type: UInt8, packet: Int) {
            frames += 1
            lastPacket = packet
            if type == MessageType.keyConfirmation.rawValue {
                keysConfirmed += 1
            } else if type == MessageType.abort.rawValue {
                aborts += 1
            }
        }
    }

    private struct RecentSession {
        var id: UInt64
        /// -1 before the direction's first frame.
        var slot: Int
    }

    /// One frame of `session` whose message has type `type`, sent by `role` on side `side` of
    /// flow `flow`, completed by `packet`. The type says it all: a frame of a known type decodes
    /// to that message (an `ignored` message is one whose type the protocol does not know).
    mutating func record(type: UInt8, session: UInt64, role: Role?, flow: Int, side: Int, packet: Int) {
        messages += 1
        let sender = role.map { $0 == .alice ? 0 : 1 } ?? 2
        typeCounts[Int(type) * 3 + sender] += 1
        let slot = slot(of: session, flow: flow, side: side, packet: packet)
        sessions[slot].count(type: type, packet: packet)
    }

    /// One opaque message (``StreamKind/opaque``) sent from `sender` (an endpoint).
    mutating func recordOpaque(from sender: String) {
        messages += 1
        opaqueBySender[sender, default: 0] += 1
    }

    /// The tally slot of `session`, created at its first frame (`packet`); the flow joins the
    /// session's flows whenever a direction's frames switch to that session.
    private mutating func slot(of session: UInt64, flow: Int, side: Int, packet: Int) -> Int {
        let direction = 2 * (flow - 1) + side
        if direction < recent.count {
            let last = recent[direction]
            if last.slot >= 0 && last.id == session { return last.slot }
        } else {
            recent.append(contentsOf: repeatElement(RecentSession(id: 0, slot: -1), count: direction + 1 - recent.count))
        }
        let slot: Int
        if let known = sessionSlots[session] {
            slot = known
        } else {
            slot = sessions.count
            sessionSlots[session] = slot
            sessions.append(Session(firstPacket: packet))
        }
        sessions[slot].flows.insert(flow)
        recent[direction] = RecentSession(id: session, slot: slot)
        return slot
    }

    /// Messages by type name, then by sender ("alice", "bob", "unknown"); opaque messages under
    /// "opaque", by sending endpoint.
    var messagesByType: [String: [String: Int]] {
        var byType: [String: [String: Int]] = [:]
        for t in 0..<256 {
            for (d, name) in ["alice", "bob", "unknown"].enumerated() where typeCounts[t * 3 + d] > 0 {
                byType[CaptureAnalyzer.typeName(UInt8(t)), default: [:]][name] = typeCounts[t * 3 + d]
            }
        }
        if !opaqueBySender.isEmpty { byType["opaque"] = opaqueBySender }
        return byType
    }

    /// Every session, in order of ID.
    var sessionSummaries: [SessionSummary] {
        sessionSlots.sorted { $0.key < $1.key }.map { id, slot in
            let s = sessions[slot]
            return SessionSummary(id: CaptureAnalyzer.hex(id), flows: s.flows.sorted(), frames: s.frames, firstPacket: s.firstPacket,
                                  lastPacket: s.lastPacket, keysConfirmed: s.keysConfirmed, aborts: s.aborts)
        }
    }
}
