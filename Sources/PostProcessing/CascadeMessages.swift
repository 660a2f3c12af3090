/// A request for the parity of Alice's bits at positions [start, end) of pass `pass`'s
/// permuted order.
public struct ParityQuery: Sendable, Hashable, Codable {
    public var pass: UInt16
    public var start: UInt32
    public var end: UInt32

    public init(pass: Int, start: Int, end: Int) {
        self.pass = UInt16(truncatingIfNeeded: pass)
        self.start = UInt32(truncatingIfNeeded: start)
        self.end = UInt32(truncatingIfNeeded: end)
    }
}

/// Bob's batch of parity queries for one round. Batching every open binary search into one
/// message keeps the number of round trips near the depth of the searches, not their count.
public struct CascadeRequest: Sendable, Equatable, Codable {
    public var round: UInt32
    public var queries: [ParityQuery]

    public init(round: UInt32, queries: [ParityQuery]) {
        self.round = round
        self.queries = queries
    }
}

/// Alice's answer: one parity bit per query, in order. Every bit is disclosed to Eve.
public struct CascadeReply: Sendable, Equatable {
    public var round: UInt32
    public var parities: BitKey

    public init(round: UInt32, parities: BitKey) {
        self.round = round
        self.parities = parities
    }
}
