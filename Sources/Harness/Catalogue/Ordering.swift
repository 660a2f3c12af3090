import Foundation
import Wire

// Order on the control channel: a message lost in transit is noticed.
extension Catalogue {
    static let ordering: [ConformanceCase] = [
        sequenceCase(
            id: "order/dropped-frame-detected", title: "A message lost in transit is noticed",
            requirement: """
                When one of Alice's messages never arrives (the case's seed picks which), the gap in the sequence numbers must \
                be noticed and the session aborted, with no key delivered from a frame left incomplete.
                """,
            tags: ["order"], profiles: [.ci, .full], doing: "dropping one message"
        ) { random, shape, log in
            // One of Alice's SIFTING_RESULTs but the last: she answers every block Bob announces
            // without waiting on him, so her next message always follows and shows the gap.
            let target = random.int(in: 0...max(0, shape.blocks - 2))
            let seen = Counter()
            return { i, bytes in
                guard bytes.count > 5, bytes[5] == MessageType.siftingResult.rawValue, seen.add(1) == target else { return [.send(bytes)] }
                log.note("Alice's message \(i) (\(frameName(bytes)), her SIFTING_RESULT \(target)) dropped")
                return []
            }
        },
    ]
}
