import Foundation
import PostProcessing
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// The harness playing the recorded Alice to a live Bob over a fresh TCP connection: it listens
/// where the live Bob connects, sends each recorded Alice frame once the Bob messages that came
/// before it in the capture have come from the live Bob, re-tagged with the target's key, and
/// compares every message the live Bob sends with the recorded one (``ReplayEquivalence``).
///
/// Sessions are paced by the recording, not by the clock: Alice's recorded frame i waits for the
/// live Bob's messages of each type up to the count the capture shows before it. A reference
/// Bob's messages depend only on his records and on the sequence of Alice's messages, so a
/// correct live Bob sends the recorded messages, type by type in the same order.
///
/// Blocking sockets on a thread of its own: the live session runs while the caller's tasks feed
/// the live Bob's quantum-layer interface.
final class ReplayedAlice: @unchecked Sendable {
    struct Result: Sendable {
        var divergence: ReplayDivergence?
        /// Alice's recorded frames sent, and the live Bob's messages compared.
        var framesSent = 0
        var messagesCompared = 0
        /// The live Bob connected at all.
        var connected = false
    }

    private let recorded: RecordedSession
    private let alice: [RecordedFrame]
    private let bob: [RecordedFrame]
    /// For each of Alice's frames: how many of Bob's messages of each type precede it in the capture.
    private let prerequisites: [[UInt8: Int]]
    /// Bob's recorded messages by type, in order.
    private let bobByType: [UInt8: [Int]]
    private var liveKey: WegmanCarter
    private var recordingKey: WegmanCarter?
    private let idleTimeout: Double
    private let connectTimeout: Double
    private var listener: Int32 = -1
    /// The port the live Bob must connect to.
    private(set) var port = 0

    /// The live Bob's records, to judge SIFTING_BASES the recording does not have.
    private let records: [QuantumLayerBlock]

    init(recorded: RecordedSession, records: [QuantumLayerBlock], liveKey: BitKey, recordingKey: BitKey?, idleTimeout: Double,
         connectTimeout: Double) throws {
        self.recorded = recorded
        self.records = records
        alice = recorded.sent(by: .alice)
        bob = recorded.sent(by: .bob).filter { !ReplayEquivalence.isMasked($0.frame.message) }
        var counts: [UInt8: Int] = [:]
        var needs: [[UInt8: Int]] = []
        for f in recorded.frames {
            if f.role == .alice { needs.append(counts) } else if !ReplayEquivalence.isMasked(f.frame.message) { counts[f.frame.message.type, default: 0] += 1 }
        }
        prerequisites = needs
        var byType: [UInt8: [Int]] = [:]
        for (i, f) in bob.enumerated() { byType[f.frame.message.type, default: []].append(i) }
        bobByType = byType
        do { self.liveKey = WegmanCarter(pool: try AuthenticationKeyPool(material: liveKey)) } catch {
            throw HarnessError("the target's pre-shared key cannot authenticate frames: \(error)")
        }
        self.recordingKey = try recordingKey.map { WegmanCarter(pool: try AuthenticationKeyPool(material: $0)) }
        self.idleTimeout = idleTimeout
        self.connectTimeout = connectTimeout
    }

    deinit { if listener >= 0 { close(listener) } }

    /// Listens on 127.0.0.1 on a free port (``port``).
    func listen() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("cannot create a socket for the replayed Alice") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 1) == 0 else {
            close(fd)
            throw HarnessError("the replayed Alice cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
    }

    /// Plays the session on a thread of its own; `stopped` tells it to give up (the live node ended).
    func play(stopped: @escaping @Sendable () -> Bool) async -> Result {
        await withCheckedContinuation { (done: CheckedContinuation<Result, Never>) in
            let thread = Thread { done.resume(returning: self.playBlocking(stopped: stopped)) }
            thread.name = "replayed-alice"
            thread.start()
        }
    }

    // MARK: The session

    private var got: [UInt8: Int] = [:]
    private var matched = 0
    private var liveSequence: UInt64 = 0
    private var result = Result()

    /// The first recorded Bob message not yet matched (in capture order).
    private var firstUnmatched: RecordedFrame? {
        var best: RecordedFrame?
        for (type, indices) in bobByType {
            let n = got[type] ?? 0
            if n < indices.count, best == nil || bob[indices[n]].packet < best!.packet { best = bob[indices[n]] }
        }
        return best
    }

    private func ready(_ i: Int) -> Bool { prerequisites[i].allSatisfy { got[$0.key] ?? 0 >= $0.value } }

    private func diverge(at frame: RecordedFrame?, field: String, recorded: String? = nil, live: String) -> Result {
        var r = result
        r.divergence = ReplayDivergence(packet: frame?.packet, message: frame?.label ?? "end of the recording", field: field,
                                        recorded: recorded ?? frame?.label ?? "nothing more", live: live)
        return r
    }

    private func playBlocking(stopped: @Sendable () -> Bool) -> Result {
        // Wait for the live Bob to connect.
        let connectDeadline = Date().addingTimeInterval(connectTimeout)
        var fd: Int32 = -1
        while fd < 0 {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) > 0 { fd = accept(listener, nil, nil) }
            if fd < 0 && (Date() > connectDeadline || stopped()) {
                return diverge(at: bob.first, field: "connection", live: "the live stack did not connect to the replayed Alice within \(Int(connectTimeout)) s")
            }
        }
        result.connected = true
        defer { close(fd) }
        var one: Int32 = 1
        // TCP_NODELAY (1 on Linux): each frame goes out at once, not behind Nagle and delayed ACKs.
        setsockopt(fd, Int32(IPPROTO_TCP), 1, &one, socklen_t(MemoryLayout<Int32>.size))
        var decoder = FrameDecoder()
        var nextAlice = 0
        var lastProgress = Date()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var peerClosed = false

        while true {
            // Send every recorded Alice frame whose prerequisites the live Bob has met.
            while nextAlice < alice.count && ready(nextAlice) && !peerClosed {
                let frame = alice[nextAlice]
                let bytes: [UInt8]
                do { bytes = try retagged(frame) } catch {
                    return diverge(at: frame, field: "tag", recorded: "a tag for sequence \(frame.frame.sequence)",
                                   live: "the target's key has no pad for it (\(error))")
                }
                if !sendAll(fd, bytes) {
                    peerClosed = true
                    break
                }
                nextAlice += 1
                result.framesSent += 1
                lastProgress = Date()
            }
            if matched == bob.count && (nextAlice == alice.count || peerClosed) {
                // Everything recorded has been played and matched: give the live Bob a moment to
                // say more (which would be a divergence) or to close.
                if peerClosed { return result }
                if Date().timeIntervalSince(lastProgress) > min(idleTimeout, 2) { return result }
            } else if peerClosed {
                return diverge(at: firstUnmatched, field: "connection", live: "the live stack closed the connection")
            }
            if Date().timeIntervalSince(lastProgress) > idleTimeout {
                return diverge(at: firstUnmatched, field: "connection", live: "nothing from the live stack for \(Int(idleTimeout)) s")
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                peerClosed = true
                continue
            }
            lastProgress = Date()
            decoder.append(buffer[0..<n])
            while true {
                let raw: FrameDecoder.RawFrame
                do {
                    guard let r = try decoder.nextRaw() else { break }
                    raw = r
                } catch {
                    return diverge(at: firstUnmatched, field: "frame", live: "a frame that does not decode: \(error)")
                }
                if let d = receive(raw) { return d }
            }
        }
    }

    /// One frame from the live Bob: checked (session, sequence, tag), decoded, and compared with
    /// the recorded message of its type and rank. Returns a result only on a divergence.
    private func receive(_ raw: FrameDecoder.RawFrame) -> Result? {
        let expectedSequence = liveSequence
        liveSequence += 1
        guard raw.sessionID == recorded.sessionID else {
            return diverge(at: firstUnmatched, field: "session_id", recorded: hex(recorded.sessionID), live: hex(raw.sessionID))
        }
        guard raw.sequence == expectedSequence else {
            return diverge(at: firstUnmatched, field: "sequence", recorded: "\(expectedSequence) (the next in the live session)", live: "\(raw.sequence)")
        }
        do { try liveKey.verify(raw.authenticatedBytes, tag: raw.tag, direction: .bobToAlice, sequence: raw.sequence) } catch {
            return diverge(at: firstUnmatched, field: "tag", recorded: "a tag under the target's key", live: "a tag that does not verify")
        }
        let message: Message
        do { message = try FrameDecoder.decode(raw).frame.message } catch {
            return diverge(at: firstUnmatched, field: "payload", live: "a payload that does not decode: \(error)")
        }
        if ReplayEquivalence.isMasked(message) { return nil }
        let type = message.type
        let rank = got[type] ?? 0
        guard let indices = bobByType[type], rank < indices.count else {
            if case .siftingBases(let b) = message {
                // Bob announces blocks as his records arrive; a recorded session that ended early
                // (a refusal) may have ended before he announced them all. Such a block is
                // compared with the records instead of the recording.
                got[type] = rank + 1
                guard b.block < UInt64(records.count) else {
                    return diverge(at: firstUnmatched, field: "SIFTING_BASES.block", recorded: "blocks 0 ... \(records.count - 1) fed",
                                   live: "block \(b.block)")
                }
                let r = records[Int(b.block)]
                let expected = Message.siftingBases(SiftingBases(block: b.block, offsets: r.offsets, bases: r.bases))
                if let d = ReplayEquivalence.difference(recorded: expected, live: message) {
                    return diverge(at: firstUnmatched, field: d.field, recorded: "\(d.recorded) (the records fed)", live: d.live)
                }
                return nil
            }
            return diverge(at: firstUnmatched, field: "type", live: ReplayEquivalence.label(message))
        }
        let expected = bob[indices[rank]]
        got[type] = rank + 1
        result.messagesCompared += 1
        if let d = ReplayEquivalence.difference(recorded: expected.frame.message, live: message) {
            return diverge(at: expected, field: d.field, recorded: d.recorded, live: d.live)
        }
        matched += 1
        return nil
    }

    /// A recorded Alice frame with a tag under the target's key. When the recording's key is known
    /// and the recorded tag did not verify under it (a tampered frame), the new tag is wrong by
    /// the same difference, so the live Bob sees a frame that fails authentication as the
    /// recorded Bob did.
    private func retagged(_ f: RecordedFrame) throws -> [UInt8] {
        var tag = try liveKey.tag(f.authenticatedBytes, direction: .aliceToBob, sequence: f.frame.sequence)
        if var key = recordingKey, let correct = try? key.tag(f.authenticatedBytes, direction: .aliceToBob, sequence: f.frame.sequence) {
            tag ^= correct ^ f.frame.tag
        }
        var bytes = f.authenticatedBytes
        for i in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: tag >> UInt64(8 * i))) }
        return bytes
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    private func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
