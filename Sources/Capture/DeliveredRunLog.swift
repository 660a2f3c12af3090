/// Where a run of a direction's delivered bytes lies in the capture file: stream offsets from
/// `start` up to the next run's start (the last run: up to the direction's offset).
struct DeliveredRun {
    var start: Int64
    var fileOffset: Int64
}

/// The runs of delivered bytes that reach into a direction's history window, oldest first
/// (``DirectionState`` reads retransmitted ranges back from the file through them). A fixed
/// ring of at most ``capacity`` runs: a stream of many short segments keeps its bytes in the
/// byte ring instead.
///
/// A value kept in the direction's state: the ring's position, its length and the last run are
/// stored here, beside the rest of the direction's state, so adding a run writes one entry of
/// the memory and reads nothing else from it. The memory is owned by `owner` and reached through
/// `storage`; a copy of this value shares it, so only one copy is ever appended to (the
/// direction's state; summaries read a finished flow's copy).
struct DeliveredRunLog {
    /// 16 KiB of history in 150-byte segments is about 110 runs.
    static let capacity = 256
    private var owner: DeliveredRunStorage?
    private var storage: UnsafeMutablePointer<DeliveredRun>?
    /// Index in `storage` of the oldest run, and the number of runs (0 ≤ count ≤ capacity).
    private var head = 0
    private var count = 0
    private var last = DeliveredRun(start: 0, fileOffset: 0)

    var isAllocated: Bool { storage != nil }

    mutating func allocate() {
        let o = DeliveredRunStorage(capacity: Self.capacity)
        owner = o
        storage = o.runs
    }

    /// The run at position `i` from the oldest: `(head + i) % capacity` is within the storage.
    @inline(__always) private func run(_ i: Int, _ storage: UnsafeMutablePointer<DeliveredRun>) -> DeliveredRun {
        storage[(head + i) % Self.capacity]
    }

    /// Adds `new`, which starts where the last run's bytes end (a run that continues the last
    /// one in the file too is merged into it). Runs that end at or before `windowStart` are
    /// dropped when room is needed. False when there is no room (or no storage).
    mutating func append(_ new: DeliveredRun, windowStart: Int64) -> Bool {
        guard let storage else { return false }
        if count > 0 && last.fileOffset + (new.start - last.start) == new.fileOffset { return true }
        if count == Self.capacity {
            while count >= 2 && run(1, storage).start <= windowStart {
                head = (head + 1) % Self.capacity
                count -= 1
            }
            guard count < Self.capacity else { return false }
        }
        // (head + count) % capacity is within the storage; the entries are trivial values.
        storage[(head + count) % Self.capacity] = new
        count += 1
        last = new
        return true
    }

    /// Each run as (start, end, fileOffset), oldest first; the last one ends at `end`.
    func forEach(until end: Int64, _ body: (Int64, Int64, Int64) -> Void) {
        guard let storage else { return }
        for i in 0..<count {
            let r = run(i, storage)
            body(r.start, i + 1 < count ? run(i + 1, storage).start : end, r.fileOffset)
        }
    }
}

/// The memory of a ``DeliveredRunLog``: allocated once, freed with the last reference.
final class DeliveredRunStorage {
    let runs: UnsafeMutablePointer<DeliveredRun>

    init(capacity: Int) {
        runs = UnsafeMutablePointer<DeliveredRun>.allocate(capacity: capacity)
        runs.initialize(repeating: DeliveredRun(start: 0, fileOffset: 0), count: capacity)
    }

    deinit { runs.deallocate() }  // trivial values: nothing to deinitialize
}
