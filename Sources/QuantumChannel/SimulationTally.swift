/// Counts gathered from the simulated detections of one intensity class.
public struct ClassTally: Sendable, Equatable, Codable {
    /// Slots with at least one click.
    public var detections: UInt64 = 0
    /// Slots where both detectors clicked.
    public var doubleClicks: UInt64 = 0
    /// Detections where Alice's and Bob's bases match.
    public var sifted: UInt64 = 0
    /// Sifted detections where Bob's bit differs from Alice's.
    public var siftedErrors: UInt64 = 0

    public init() {}

    mutating func add(_ other: ClassTally) {
        detections += other.detections
        doubleClicks += other.doubleClicks
        sifted += other.sifted
        siftedErrors += other.siftedErrors
    }

    enum CodingKeys: String, CodingKey {
        case detections
        case doubleClicks = "double_clicks"
        case sifted = "sifted_bits"
        case siftedErrors = "sifted_errors"
    }
}

/// Counts of a whole simulation run, per intensity class. Integer sums, so the result does not
/// depend on the order in which threads finish.
public struct SimulationTally: Sendable, Equatable {
    public var pulses: UInt64
    public var perClass: [ClassTally]

    public init(pulses: UInt64, classes: Int) {
        self.pulses = pulses
        perClass = Array(repeating: ClassTally(), count: classes)
    }

    public var detections: UInt64 { perClass.reduce(0) { $0 + $1.detections } }
    public var sifted: UInt64 { perClass.reduce(0) { $0 + $1.sifted } }

    mutating func add(_ other: SimulationTally) {
        for i in perClass.indices { perClass[i].add(other.perClass[i]) }
    }
}
