import Foundation

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
            // A message Alice follows with another without waiting for Bob: the next one shows the gap.
            let index = pick(shape.backToBack, &random) ?? 1
            return { i, bytes in
                guard i == index else { return [.send(bytes)] }
                log.note("Alice's message \(i) (\(frameName(bytes))) dropped")
                return []
            }
        },
    ]
}
