/// BB84 basis: Z (rectilinear, encoded 0) or X (diagonal, encoded 1).
public enum Basis: UInt8, Sendable, Codable {
    case z = 0
    case x = 1
}

/// What Alice prepared in one pulse slot.
public struct AliceRecord: Sendable, Equatable {
    public var bit: UInt8
    public var basis: Basis
    /// Index into the scenario's intensities.
    public var intensityClass: UInt8
}

/// Bob's detector pattern in one pulse slot.
public enum ClickPattern: UInt8, Sendable, Codable {
    case none = 0
    case single = 1
    /// Both detectors fired; Bob records a uniformly random bit (the squashing rule of
    /// Lütkenhaus; documented in docs/simulator.md).
    case double = 2
}

/// What Bob recorded in one pulse slot.
public struct BobRecord: Sendable, Equatable {
    public var click: ClickPattern
    public var basis: Basis
    /// Meaningful only when `click != .none`.
    public var bit: UInt8
}
