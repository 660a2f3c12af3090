import Foundation

/// The key IDs every session of a run delivered, so that a case can judge uniqueness across
/// sessions and cases, not only within one session (a stack whose IDs restart each session
/// reuses them across the run).
package final class RunKeyLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions = 0
    /// Key ID → the session (numbered from 1 in the run) that first delivered it.
    private var firstSeen: [UUID: Int] = [:]
    /// IDs delivered again by a later session: (ID, first session, later session).
    private var repeats: [(id: UUID, first: Int, again: Int)] = []

    package init() {}

    /// Records a session's keys (an ID both ends hold counts once for the session).
    func record(_ session: Session) {
        let ids = Set(session.aliceKeys.map(\.keyID)).union(session.bobKeys.map(\.keyID))
        lock.withLock {
            sessions += 1
            for id in ids {
                if let first = firstSeen[id] { repeats.append((id, first, sessions)) } else { firstSeen[id] = sessions }
            }
        }
    }

    /// Sessions recorded and distinct IDs seen.
    package var counts: (sessions: Int, distinctIDs: Int) { lock.withLock { (sessions, firstSeen.count) } }

    /// IDs delivered by more than one session of the run.
    package var reusedAcrossSessions: [(id: UUID, first: Int, again: Int)] { lock.withLock { repeats } }
}
