import Foundation
import PostProcessing
import Wire

/// One change the network fuzzer makes to one frame of a live session, on its way through the
/// proxy: which side's frame (by its index in that side's stream), what is changed, and whether
/// the frame is re-authenticated afterwards with the pre-shared key the harness holds, so that the
/// receiver's payload decoders and state machine are reached and not only its tag check.
///
/// A mutation is a plain value (JSON in a reproducer): applying the same mutations to the same
/// session replays the same attack.
package struct WireMutation: Sendable, Codable, Equatable, CustomStringConvertible {
    /// What is changed. The header fields follow docs/protocol.md ("Frames").
    package enum Kind: String, Sendable, Codable, CaseIterable {
        /// The payload length field (bytes 24..<28) is set to `value`: the frame is then cut
        /// where the header says, which may be past the limit or inside the next frame.
        case length
        /// The message type (byte 5) is set to `value`.
        case type
        /// The flags (bytes 6..<8) are set to `value`: IGNORABLE and the reserved bits.
        case flags
        /// The sequence number is moved by `value` (wrapping: `UInt64.max` is −1).
        case sequence
        /// The session ID is XORed with `value`.
        case sessionID = "session-id"
        /// The version (byte 4) is set to `value`.
        case version
        /// Only the first `value` bytes are sent, then the connection is closed.
        case truncate
        /// The first `value` bytes of this frame, then the side's previous frame from byte `detail` on.
        case splice
        /// Bit `value` of the payload is flipped (of the whole unit, on an opaque channel).
        case payloadBit = "payload-bit"
        /// Bit `value` of the tag is flipped.
        case tagBit = "tag-bit"
        /// A payload field at byte `value` (its width and new value from `detail`) is overwritten:
        /// counts, offsets, frame numbers and booleans are where decoders break.
        case payloadField = "payload-field"
        /// The payload grows (`detail` > 0) or shrinks by a few bytes at its end, the length
        /// field following: a decoder must notice bytes left over or missing.
        case payloadResize = "payload-resize"
    }

    /// Whose frame: Alice's (to Bob) or Bob's (to Alice).
    package var side: Role
    /// The frame's index in that side's stream (0 is its HELLO on the reference protocol).
    package var index: Int
    package var kind: Kind
    /// The kind's main parameter (see ``Kind``).
    package var value: UInt64
    /// The kind's second parameter (see ``Kind``); 0 when it has none.
    package var detail: Int64
    /// Whether the altered frame gets a valid tag again (header and payload kinds only).
    package var reauthenticate: Bool

    package init(side: Role, index: Int, kind: Kind, value: UInt64, detail: Int64 = 0, reauthenticate: Bool = false) {
        self.side = side
        self.index = index
        self.kind = kind
        self.value = value
        self.detail = detail
        self.reauthenticate = reauthenticate
    }

    enum CodingKeys: String, CodingKey { case side, index, kind, value, detail, reauthenticate }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let sideName = try c.decode(String.self, forKey: .side)
        guard let side = Self.role(sideName) else {
            throw DecodingError.dataCorruptedError(forKey: .side, in: c, debugDescription: "'\(sideName)' is not alice or bob")
        }
        self.side = side
        index = try c.decode(Int.self, forKey: .index)
        guard index >= 0 else { throw DecodingError.dataCorruptedError(forKey: .index, in: c, debugDescription: "a frame index is ≥ 0") }
        kind = try c.decode(Kind.self, forKey: .kind)
        value = try c.decode(UInt64.self, forKey: .value)
        detail = try c.decodeIfPresent(Int64.self, forKey: .detail) ?? 0
        reauthenticate = try c.decodeIfPresent(Bool.self, forKey: .reauthenticate) ?? false
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(side == .alice ? "alice" : "bob", forKey: .side)
        try c.encode(index, forKey: .index)
        try c.encode(kind, forKey: .kind)
        try c.encode(value, forKey: .value)
        try c.encode(detail, forKey: .detail)
        try c.encode(reauthenticate, forKey: .reauthenticate)
    }

    static func role(_ name: String) -> Role? { name == "alice" ? .alice : name == "bob" ? .bob : nil }

    package var description: String {
        let who = side == .alice ? "Alice's" : "Bob's"
        let what: String
        switch kind {
        case .length: what = "payload length set to \(value)"
        case .type: what = "message type set to 0x\(String(value, radix: 16))"
        case .flags: what = "flags set to 0x\(String(value, radix: 16))"
        case .sequence: what = "sequence number moved by \(Int64(bitPattern: value))"
        case .sessionID: what = "session ID XOR 0x\(String(value, radix: 16))"
        case .version: what = "version set to \(value)"
        case .truncate: what = "cut after \(value) bytes, then the connection closed"
        case .splice: what = "first \(value) bytes spliced onto the previous frame from byte \(detail)"
        case .payloadBit: what = "payload bit \(value) flipped"
        case .tagBit: what = "tag bit \(value) flipped"
        case .payloadField: what = "payload field at byte \(value) overwritten (\(PayloadField(detail).description))"
        case .payloadResize: what = "payload \(detail >= 0 ? "grown" : "shrunk") by \(detail.magnitude) bytes"
        }
        return "\(who) frame \(index): \(what)\(reauthenticate && kind.canReauthenticate ? ", re-authenticated" : "")"
    }

    /// Whether a correct receiver must refuse the frame this mutation makes (the session must not
    /// complete): its tag no longer verifies, its framing or header is broken, or it is out of
    /// sequence. Re-authenticated payload changes and a changed type may be legitimate, so they
    /// are not judged this way.
    package var mustBeRefused: Bool {
        switch kind {
        case .length, .truncate, .splice, .tagBit, .sequence, .sessionID, .version: return true
        case .flags: return !reauthenticate || value & ~UInt64(Frame.ignorableFlag) != 0
        case .type, .payloadBit, .payloadField, .payloadResize: return !reauthenticate
        }
    }
}

extension WireMutation.Kind {
    /// Whether re-authenticating makes sense: the frame is still one frame with its tag at the end.
    package var canReauthenticate: Bool {
        switch self {
        case .type, .flags, .sequence, .sessionID, .version, .payloadBit, .payloadField, .payloadResize: return true
        case .length, .truncate, .splice, .tagBit: return false
        }
    }

    /// The kinds that work on bytes alone, for a protocol the harness does not decode.
    package static let opaque: [WireMutation.Kind] = [.truncate, .splice, .payloadBit]
}

/// A payload field overwrite: width (1, 2, 4 or 8 bytes, big-endian) and the value written, packed
/// in a mutation's `detail` (width code in bits 0–1, value choice in bits 8–15).
package struct PayloadField: Sendable, Equatable, CustomStringConvertible {
    package var width: Int
    /// 0: zero, 1: one, 2: all ones, 3: the top bit alone, 4: original + 1, 5: original − 1.
    package var choice: Int

    package init(_ detail: Int64) {
        width = 1 << Int(detail & 3)
        choice = Int((detail >> 8) & 0xFF) % 6
    }

    package static func detail(widthCode: Int, choice: Int) -> Int64 { Int64(widthCode & 3) | Int64(choice % 6) << 8 }

    package var description: String {
        let names = ["zero", "one", "all ones", "top bit", "original + 1", "original − 1"]
        return "\(width * 8)-bit, \(names[choice])"
    }

    func value(original: UInt64) -> UInt64 {
        let mask: UInt64 = width == 8 ? .max : (1 << UInt64(width * 8)) - 1
        switch choice {
        case 0: return 0
        case 1: return 1
        case 2: return mask
        case 3: return (mask >> 1) + 1
        case 4: return (original &+ 1) & mask
        default: return (original &- 1) & mask
        }
    }
}

/// What applying a mutation to one frame produced.
package struct MutatedUnit: Sendable {
    package var bytes: [UInt8]
    /// Close the connection after sending `bytes` (truncation).
    package var close: Bool
    /// The mutation changed nothing (e.g. a field set to the value it had): not counted as landed.
    package var unchanged: Bool
}

extension WireMutation {
    /// Applies this mutation to `unit` (a whole frame on the reference protocol, or a chunk of
    /// an opaque one). `previous` is the side's frame before it (for splicing); `key` re-tags.
    package func apply(to unit: [UInt8], previous: [UInt8]?, framed: Bool, key: AuthenticationKeyPool?) -> MutatedUnit {
        var b = unit
        let header = Frame.headerBytes
        let isFrame = framed && b.count >= header + Frame.tagBytes
        var close = false
        switch kind {
        case .truncate:
            let cut = b.isEmpty ? 0 : Int(value % UInt64(b.count))
            b = Array(b.prefix(max(1, cut)))
            close = true
        case .splice:
            let cut = b.isEmpty ? 0 : Int(value % UInt64(b.count))
            let other = previous ?? unit
            let from = other.isEmpty ? 0 : Int(detail.magnitude % UInt64(other.count))
            b = Array(b.prefix(cut)) + other[from...]
        case .payloadBit:
            let start = isFrame ? header : 0
            let end = isFrame ? b.count - Frame.tagBytes : b.count
            guard end > start else { break }
            let bit = Int(value % UInt64((end - start) * 8))
            b[start + bit / 8] ^= UInt8(1 << (bit % 8))
        default:
            guard isFrame else { break }
            switch kind {
            case .length: Self.put(UInt64(UInt32(truncatingIfNeeded: value)), at: 24, width: 4, in: &b)
            case .type: b[5] = UInt8(truncatingIfNeeded: value)
            case .flags: Self.put(value & 0xFFFF, at: 6, width: 2, in: &b)
            case .sequence: Self.put(Self.get(at: 16, width: 8, in: b) &+ value, at: 16, width: 8, in: &b)
            case .sessionID: Self.put(Self.get(at: 8, width: 8, in: b) ^ value, at: 8, width: 8, in: &b)
            case .version: b[4] = UInt8(truncatingIfNeeded: value)
            case .tagBit: b[b.count - 1 - Int(value % 64) / 8] ^= UInt8(1 << (value % 8))
            case .payloadField:
                let field = PayloadField(detail)
                let payload = b.count - header - Frame.tagBytes
                guard payload >= field.width else { break }
                let at = header + Int(value % UInt64(payload - field.width + 1))
                Self.put(field.value(original: Self.get(at: at, width: field.width, in: b)), at: at, width: field.width, in: &b)
            case .payloadResize:
                let change = Int(max(-64, min(64, detail)))
                let payload = b.count - header - Frame.tagBytes
                let tag = Array(b.suffix(Frame.tagBytes))
                var body = Array(b.prefix(b.count - Frame.tagBytes))
                if change >= 0 {
                    body += (0..<change).map { UInt8(truncatingIfNeeded: Int(truncatingIfNeeded: value) &+ $0) }
                } else {
                    body.removeLast(min(payload, -change))
                }
                Self.put(UInt64(body.count - header), at: 24, width: 4, in: &body)
                b = body + tag
            default: break
            }
        }
        if reauthenticate, kind.canReauthenticate, isFrame, b != unit, let key { b = Self.retag(b, side: side, pool: key) }
        return MutatedUnit(bytes: b, close: close, unchanged: b == unit && !close)
    }

    /// This mutation with its byte and bit positions reduced as they apply to a unit of `count`
    /// bytes (a cut "after 14 bytes" rather than after the raw value drawn), for reports.
    package func normalised(forUnitOf count: Int, framed: Bool) -> WireMutation {
        var m = self
        guard count > 0 else { return m }
        let payloadBits = UInt64(max(1, (count - Frame.headerBytes - Frame.tagBytes) * 8))
        switch kind {
        case .truncate: m.value = max(1, value % UInt64(count))
        case .splice: m.value = value % UInt64(count)
        case .payloadBit: m.value = value % (framed && count > Frame.headerBytes + Frame.tagBytes ? payloadBits : UInt64(count * 8))
        case .tagBit: m.value = value % 64
        default: break
        }
        return m
    }

    /// `frame` with its tag recomputed under the pre-shared key for the sequence number its
    /// header now carries: what an attacker holding the key could send.
    static func retag(_ frame: [UInt8], side: Role, pool: AuthenticationKeyPool) -> [UInt8] {
        guard frame.count >= Frame.headerBytes + Frame.tagBytes else { return frame }
        var wc = WegmanCarter(pool: pool)
        let body = Array(frame.prefix(frame.count - Frame.tagBytes))
        let sequence = get(at: 16, width: 8, in: frame)
        guard let tag = try? wc.tag(body, direction: side == .alice ? .aliceToBob : .bobToAlice, sequence: sequence) else { return frame }
        var out = body
        for i in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: tag >> UInt64(i * 8))) }
        return out
    }

    static func get(at offset: Int, width: Int, in b: [UInt8]) -> UInt64 {
        b[offset..<(offset + width)].reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func put(_ v: UInt64, at offset: Int, width: Int, in b: inout [UInt8]) {
        for i in 0..<width { b[offset + i] = UInt8(truncatingIfNeeded: v >> UInt64((width - 1 - i) * 8)) }
    }
}
