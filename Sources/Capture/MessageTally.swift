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
    /// Opaque messages (no type, no session) by sending endpoint.
    private var opaqueBySender: [String: Int] = [:]

    private struct Session {
        var firstPacket: Int
        var lastPacket = 0
        /// The number (in `messages`) of the frame that set `lastPacket`.
        var lastFrame = 0
        var frames = 0
        var flows: Set<Int> = []
        var keysConfirmed = 0
        var aborts = 0

        /// What one direction counted for this session since it last handed its counts over.
        mutating func add(_ d: DirectionTally) {
            frames += d.frames
            keysConfirmed += d.keysConfirmed
            aborts += d.aborts
            // The session's last packet is the one of its latest frame, whichever direction sent it.
            if d.lastFrame > lastFrame {
                lastFrame = d.lastFrame
                lastPacket = d.lastPacket
            }
        }
    }

    /// One frame of `session` whose message has type `type`, sent by `role` on side `side` of
    /// flow `flow`, completed by `packet`. The type says it all: a frame of a known type decodes
    /// to that message (an `ignored` message is one whose type the protocol does not know).
    ///
    /// The session's counts are kept in the direction's own tally (`direction`, stored with the
    /// rest of the direction's state) while its frames stay in one session, and added to the
    /// session's when the direction turns to another session or ends (``hand(over:)``): most
    /// frames then touch no memory of the session's.
    mutating func record(type: UInt8, session: UInt64, role: Role?, flow: Int, packet: Int, direction d: inout DirectionTally) {
        messages += 1
        let sender = role.map { $0 == .alice ? 0 : 1 } ?? 2
        typeCounts[Int(type) * 3 + sender] += 1
        if d.slot < 0 || d.session != session {
            hand(over: &d)
            d.slot = slot(of: session, flow: flow, packet: packet)
            d.session = session
        }
        d.frames += 1
        d.lastPacket = packet
        d.lastFrame = messages
        if type == MessageType.keyConfirmation.rawValue {
            d.keysConfirmed += 1
        } else if type == MessageType.abort.rawValue {
            d.aborts += 1
        }
    }

    /// Adds what a direction counted to its session's tally (before the session changes, and
    /// when the direction ends: every direction ends before the summaries are read).
    mutating func hand(over d: inout DirectionTally) {
        guard d.slot >= 0, d.frames > 0 else { return }
        sessions[d.slot].add(d)
        d.frames = 0
        d.keysConfirmed = 0
        d.aborts = 0
    }

    /// One opaque message (``StreamKind/opaque``) sent from `sender` (an endpoint).
    mutating func recordOpaque(from sender: String) {
        messages += 1
        opaqueBySender[sender, default: 0] += 1
    }

    /// The tally slot of `session`, created at its first frame (`packet`); the flow joins the
    /// session's flows whenever a direction's frames switch to that session.
    private mutating func slot(of session: UInt64, flow: Int, packet: Int) -> Int {
        let slot: Int
        if let known = sessionSlots[session] {
            slot = known
        } else {
            slot = sessions.count
            sessionSlots[session] = slot
            sessions.append(Session(firstPacket: packet))
        }
        sessions[slot].flows.insert(flow)
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

/// A direction's part of the tallies, kept with the direction's own state (``DirectionDecoding``)
/// so that a frame reads and writes the memory its direction's packet already brought in: the
/// sender's role once known (it never changes once known), and the counts of the session of its
/// latest frames not yet added to that session's tally (``MessageTally/hand(over:)``).
struct DirectionTally {
    var role: Role?
    var session: UInt64 = 0
    /// The session's slot in the tally; -1 before the direction's first frame.
    var slot = -1
    var frames = 0
    var keysConfirmed = 0
    var aborts = 0
    var lastPacket = 0
    /// The number of the direction's latest frame among all frames counted (see `Session.lastFrame`).
    var lastFrame = 0
}
