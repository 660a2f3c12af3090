/// Why a field's value is refused (``WireError/invalidField(offset:field:reason:)``), kept as
/// numbers and turned into a sentence only when printed.
///
/// A decoder refuses malformed input all the time — a hostile peer, a damaged capture, a fuzzer
/// that sends hundreds of thousands of inputs a second — and almost nobody reads the reason.
/// Formatting it at the throw would allocate a string on every refusal (under AddressSanitizer
/// that allocation costs more than the decoding), so the hot refusals carry their numbers and the
/// rare ones a fixed text.
///
/// Two defects are equal when they read the same: `"count 9 exceeds 8"` as a literal equals
/// `.countExceeds(9, limit: 8)`.
public enum FieldDefect: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// A count prefix above what the field allows.
    case countExceeds(Int, limit: Int)
    /// A byte-string length prefix above what the field allows.
    case lengthExceeds(Int, limit: Int)
    /// A text field longer than the protocol's 1 024 bytes.
    case textTooLong(bytes: Int)
    /// A bit string longer than a frame may carry.
    case bitsExceedFrameLimit(Int)
    /// Padding bits past a bit string's declared length are not zero.
    case bitsBeyondLength(Int)
    /// A Cascade parity query over no bits.
    case emptyRange(start: UInt32, end: UInt32)
    /// A boolean byte other than 0 or 1.
    case notBoolean(UInt8)
    /// Header flags outside the defined ones.
    case reservedFlags(UInt16)
    /// Sifting: the bases do not match the offsets one to one.
    case basesForOffsets(bases: Int, offsets: Int)
    /// Sifting: the class bits are not two per match.
    case classesForMatches(bits: Int, matches: Int)
    /// Estimation: the sample's bits do not match its declared size, or the sample is not
    /// smaller than the sifted key.
    case sampleBits(Int, sample: UInt32, sifted: UInt32)
    /// A value above its limit (quantum-layer block fields).
    case exceeds(Int, limit: Int)
    /// A block kind byte that is not defined.
    case unknownBlockKind(UInt8)
    /// More detections than slots, or than the block limit.
    case detectionsInSlots(Int, slots: Int, limit: Int)
    /// A block's declared payload length that its layout does not give.
    case payloadLayout(bytes: Int, expected: Int)
    /// A detection offset out of order or past the block's slots.
    case offsetOrder(UInt32, slots: Int)
    /// Padding bits past a column's length are not zero.
    case bitsBeyond(Int)
    /// Any other reason, as written.
    case text(String)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .text(String(stringInterpolation: stringInterpolation)) }

    public var description: String {
        switch self {
        case let .countExceeds(n, limit): return "count \(n) exceeds \(limit)"
        case let .lengthExceeds(n, limit): return "length \(n) exceeds \(limit)"
        case let .textTooLong(n): return "text of \(n) bytes exceeds 1024"
        case let .bitsExceedFrameLimit(n): return "\(n) bits exceed the frame limit"
        case let .bitsBeyondLength(n): return "bits set beyond the \(n)-bit length"
        case let .emptyRange(start, end): return "empty range \(start)..<\(end)"
        case let .notBoolean(v): return "boolean must be 0 or 1, got \(v)"
        case let .reservedFlags(flags): return "reserved bits set (0x\(String(flags, radix: 16)))"
        case let .basesForOffsets(bases, offsets): return "\(bases) bases for \(offsets) offsets"
        case let .classesForMatches(bits, matches): return "\(bits) bits for \(matches) matches (2 each)"
        case let .sampleBits(bits, sample, sifted): return "\(bits) bits for a sample of \(sample) out of \(sifted)"
        case let .exceeds(n, limit): return "\(n) exceeds \(limit)"
        case let .unknownBlockKind(k): return "\(k) is not 1, 2 or 3"
        case let .detectionsInSlots(d, slots, limit): return "\(d) detections in \(slots) slots (limit \(limit))"
        case let .payloadLayout(bytes, expected): return "\(bytes) bytes, the layout needs \(expected)"
        case let .offsetOrder(o, slots): return "\(o) is not ascending or not below \(slots)"
        case let .bitsBeyond(n): return "bits set beyond \(n)"
        case let .text(s): return s
        }
    }

    public static func == (a: FieldDefect, b: FieldDefect) -> Bool { a.description == b.description }
}
