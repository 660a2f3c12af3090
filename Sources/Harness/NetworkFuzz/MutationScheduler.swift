import Foundation
import Wire

/// Chooses the mutations of the next session, from the campaign's seed, favouring what found new
/// behaviour: every mutation list whose session showed a behaviour not seen before (a new
/// ``BehaviourSignature``) joins the corpus, and most sessions mutate a corpus entry — the least
/// tried first — rather than start from nothing.
struct MutationScheduler {
    private var random: CaseRandom
    /// Frames each side sent in the clean calibration session: where mutations may land.
    let frames: [Role: Int]
    let kinds: [WireMutation.Kind]
    private(set) var corpus: [(mutations: [WireMutation], tries: Int)] = []
    private(set) var seen: Set<BehaviourSignature> = []
    /// The opening sweep: every kind once on each side, in an order the seed shuffles, before
    /// the corpus takes over — so no kind waits on luck to be tried.
    private var sweep: [(WireMutation.Kind, Role)] = []

    /// At most this many mutations in one session (more and the first usually ends it anyway).
    static let maximumMutations = 3

    init(seed: UInt64, frames: [Role: Int], framed: Bool) {
        random = CaseRandom(seed: seed, label: "network-fuzz")
        self.frames = frames
        kinds = framed ? WireMutation.Kind.allCases : WireMutation.Kind.opaque
        sweep = kinds.flatMap { k in [(k, Role.alice), (k, Role.bob)] }
        for i in stride(from: sweep.count - 1, to: 0, by: -1) { sweep.swapAt(i, random.int(in: 0...i)) }
    }

    /// Distinct behaviours seen so far.
    var behaviours: Int { seen.count }

    /// Records what a session did; true when the behaviour is new (its mutations then join the corpus).
    mutating func record(_ signature: BehaviourSignature, mutations: [WireMutation]) -> Bool {
        guard seen.insert(signature).inserted else { return false }
        if !mutations.isEmpty { corpus.append((mutations, 0)) }
        return true
    }

    /// A seed for the next session's simulated photons.
    mutating func sessionSeed() -> UInt64 { random.next() >> 16 }

    /// The next session's mutations.
    mutating func next() -> [WireMutation] {
        if let opening = sweep.popLast() {
            let (kind, side) = opening
            let count = max(1, frames[side] ?? 1)
            var m = parameters(for: kind, side: side, index: random.int(in: 0...min(5, count - 1)))
            // The sweep tries a length at the boundary first: one byte past the protocol's limit.
            if kind == .length { m.value = UInt64(Frame.maximumPayload) + 1 }
            return [m]
        }
        guard !corpus.isEmpty, random.int(in: 0...9) >= 3 else { return [fresh()] }
        // The least-tried entry among a few drawn at random: new finds get their turn soon.
        var pick = random.int(in: 0...(corpus.count - 1))
        for _ in 0..<2 {
            let other = random.int(in: 0...(corpus.count - 1))
            if corpus[other].tries < corpus[pick].tries { pick = other }
        }
        corpus[pick].tries += 1
        return mutate(corpus[pick].mutations)
    }

    /// A variation on `list`: one parameter, position or kind changed, a mutation added or dropped.
    mutating func mutate(_ list: [WireMutation]) -> [WireMutation] {
        var out = list
        let i = random.int(in: 0...(out.count - 1))
        switch random.int(in: 0...6) {
        case 0: out[i] = parameters(for: out[i].kind, side: out[i].side, index: out[i].index)
        case 1: out[i].index = max(0, out[i].index + random.int(in: -2...2))
        case 2: out[i] = parameters(for: kinds[random.int(in: 0...(kinds.count - 1))], side: out[i].side, index: out[i].index)
        case 3: if out[i].kind.canReauthenticate { out[i].reauthenticate.toggle() } else { out[i] = fresh() }
        case 4: if out.count < Self.maximumMutations { out.append(fresh()) } else { out[i] = fresh() }
        case 5: if out.count > 1 { out.remove(at: i) } else { out[i] = fresh() }
        default: out[i].side = out[i].side == .alice ? .bob : .alice
        }
        return out
    }

    /// A mutation drawn from nothing: early frames (HELLO, PARAMETERS, the first blocks) half the time.
    mutating func fresh() -> WireMutation {
        let side: Role = random.int(in: 0...1) == 0 ? .alice : .bob
        let count = max(1, frames[side] ?? 1)
        let index = random.int(in: 0...1) == 0 ? random.int(in: 0...min(5, count - 1)) : random.int(in: 0...(count - 1))
        return parameters(for: kinds[random.int(in: 0...(kinds.count - 1))], side: side, index: index)
    }

    /// A mutation of `kind` with parameters drawn toward the values that break decoders: limits
    /// and one past them, zero, all ones, the top bit.
    mutating func parameters(for kind: WireMutation.Kind, side: Role, index: Int) -> WireMutation {
        var m = WireMutation(side: side, index: index, kind: kind, value: 0)
        let limit = UInt64(Frame.maximumPayload)
        func oneOf(_ values: [UInt64]) -> UInt64 { values[random.int(in: 0...(values.count - 1))] }
        switch kind {
        case .length:
            m.value = oneOf([limit + 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0, UInt64(random.int(in: 1...64)), random.next() % limit, random.next() & 0xFFFF_FFFF])
        case .type:
            m.value = random.int(in: 0...1) == 0 ? UInt64(MessageType.allCases[random.int(in: 0...(MessageType.allCases.count - 1))].rawValue)
                : random.next() & 0xFF
        case .flags: m.value = oneOf([1, 2, 0x8000, 0xFFFF, random.next() & 0xFFFF])
        case .sequence: m.value = oneOf([1, UInt64.max, 2, UInt64.max - 1, 1 << 32, random.next()])
        case .sessionID: m.value = oneOf([1, 1 << 63, random.next() | 1])
        case .version: m.value = oneOf([0, 2, 0xFF, random.next() & 0xFF])
        case .truncate: m.value = random.int(in: 0...1) == 0 ? UInt64(random.int(in: 1...40)) : random.next() >> 1
        case .splice:
            m.value = random.next() >> 1
            m.detail = Int64(random.next() >> 2)
        case .payloadBit: m.value = random.int(in: 0...1) == 0 ? UInt64(random.int(in: 0...255)) : random.next() >> 1
        case .tagBit: m.value = UInt64(random.int(in: 0...63))
        case .payloadField:
            m.value = random.int(in: 0...3) > 0 ? UInt64(random.int(in: 0...40)) : random.next() >> 1
            m.detail = PayloadField.detail(widthCode: random.int(in: 0...3), choice: random.int(in: 0...5))
        case .payloadResize:
            let n = Int64(random.int(in: 1...8))
            m.detail = random.int(in: 0...1) == 0 ? n : -n
            m.value = random.next() & 0xFF
        }
        m.reauthenticate = kind.canReauthenticate && random.int(in: 0...3) > 0
        return m
    }
}

/// What a session did, coarsely enough that two sessions of the same behaviour match: how each
/// node ended, the ERRORs and ABORTs each side sent, and where each side's stream stopped (its
/// last few message types, repeats collapsed).
struct BehaviourSignature: Hashable, Sendable, CustomStringConvertible {
    let description: String

    init(_ session: Session) {
        func ending(_ e: NodeEnding?) -> String {
            switch e {
            case .exited(let s)?: return "exit \(s)"
            case .crashed(let s)?: return "signal \(s)"
            case .timedOut?: return "hung"
            case nil: return "?"
            }
        }
        let w = session.wire
        let errors = w.errors.map { "\($0.from == .alice ? "A" : "B")E\($0.code.rawValue)" }
        let aborts = w.aborts.map { "\($0.from == .alice ? "A" : "B")A\($0.reason.rawValue)" }
        func tail(_ side: String) -> String {
            var runs: [String] = []
            for e in w.transcript where e.from == side && runs.last != e.type { runs.append(e.type) }
            return runs.suffix(3).joined(separator: ">")
        }
        description = "alice \(ending(session.aliceEnding)), bob \(ending(session.bobEnding)); "
            + (errors + aborts).joined(separator: ",") + "; alice …\(tail("alice")); bob …\(tail("bob")); "
            + (session.bobKeys.isEmpty ? "no keys" : "keys")
    }
}
