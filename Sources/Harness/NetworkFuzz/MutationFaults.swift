import Foundation
import PostProcessing
import Wire

/// The proxy faults that apply a list of ``WireMutation``s to one session: one fault per
/// direction, each keeping the side's previous frame (for splicing) and noting where a mutation
/// landed, so a finding says which frame it altered and the judge knows what the receiver got.
final class MutationFaults: @unchecked Sendable {
    /// A mutation that changed a frame, and which frame it was.
    struct Landing: Sendable {
        var mutation: WireMutation
        var frame: String
    }

    private let lock = NSLock()
    private var landings: [Landing] = []
    private var previous: [Role: [UInt8]] = [:]
    let mutations: [WireMutation]
    let framed: Bool
    let key: AuthenticationKeyPool?

    init(_ mutations: [WireMutation], framed: Bool, key: AuthenticationKeyPool?) {
        self.mutations = mutations
        self.framed = framed
        self.key = key
    }

    /// The mutations that landed on a frame, in the order they did.
    var landed: [Landing] { lock.withLock { landings } }

    /// The fault for `side`'s frames, or nil when no mutation concerns that side (the proxy then
    /// relays it untouched).
    func fault(for side: Role) -> ChannelFault? {
        let mine = mutations.filter { $0.side == side }
        guard !mine.isEmpty else { return nil }
        return { [self] index, bytes in
            let before = lock.withLock { () -> [UInt8]? in
                defer { previous[side] = bytes }
                return previous[side]
            }
            var unit = bytes
            var close = false
            for m in mine where m.index == index {
                let out = m.apply(to: unit, previous: before, framed: framed, key: key)
                guard !out.unchanged else { continue }
                lock.withLock { landings.append(Landing(mutation: m.normalised(forUnitOf: unit.count, framed: framed), frame: Self.frameName(bytes, framed: framed))) }
                unit = out.bytes
                if out.close { close = true; break }
            }
            return close ? [.send(unit), .close] : [.send(unit)]
        }
    }

    /// A frame's type and sequence number (or a chunk's size), as findings name it.
    static func frameName(_ bytes: [UInt8], framed: Bool) -> String {
        guard framed, bytes.count >= Frame.headerBytes else { return "\(bytes.count)-byte chunk" }
        let type = MessageType(rawValue: bytes[5]).map { "\($0)" } ?? "type 0x\(String(bytes[5], radix: 16))"
        return "\(type), sequence \(WireMutation.get(at: 16, width: 8, in: bytes)), \(bytes.count) bytes"
    }
}
