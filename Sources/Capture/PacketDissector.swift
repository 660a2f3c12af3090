/// One end of a TCP connection: an IPv4 or IPv6 address and a port.
package struct TCPEndpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// IPv6 address as two words; an IPv4 address sits in the low 32 bits of `low` with `isIPv6` false.
    package var high: UInt64
    package var low: UInt64
    package var port: UInt16
    package var isIPv6: Bool

    package static func < (a: TCPEndpoint, b: TCPEndpoint) -> Bool {
        (a.high, a.low, a.port) < (b.high, b.low, b.port)
    }

    package var address: String {
        if !isIPv6 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        }
        let groups = (0..<8).map { i -> String in
            let word = i < 4 ? high : low
            return String((word >> UInt64(48 - 16 * (i % 4))) & 0xffff, radix: 16)
        }
        return groups.joined(separator: ":")
    }

    package var description: String { isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

/// A TCP segment found in a packet; `payload` points into the packet's bytes.
package struct TCPSegment {
    package var source: TCPEndpoint
    package var destination: TCPEndpoint
    package var sequence: UInt32
    package var acknowledgement: UInt32
    package var flags: UInt8
    package var payload: UnsafeRawBufferPointer

    package var syn: Bool { flags & 0x02 != 0 }
    package var fin: Bool { flags & 0x01 != 0 }
    package var rst: Bool { flags & 0x04 != 0 }
    package var ack: Bool { flags & 0x10 != 0 }
}

/// What a packet turned out to hold.
package enum DissectedPacket {
    case tcp(TCPSegment)
    /// IP, but not TCP (UDP, ICMP, …): counted, not decoded.
    case notTCP
    /// A link type this reader does not dissect, or a non-IP ethertype.
    case notIP
    /// An IP fragment (reassembly of fragments is not done; reported).
    case fragment
    /// The headers end before they say they do (a short snapshot length, or damage).
    case truncated
}

/// Link-layer and IP dissection down to TCP: Ethernet (with 802.1Q/802.1ad VLAN tags), Linux
/// cooked capture (SLL, SLL2), raw IP, BSD loopback (NULL, LOOP); IPv4 and IPv6 with extension
/// headers skipped. No allocation: the payload is a window into the packet.
package enum PacketDissector {
    /// Link types (DLT_ values as libpcap reports them) this dissector reads.
    package static let supportedLinkTypes: [Int32: String] = [
        1: "Ethernet", 113: "Linux cooked (SLL)", 276: "Linux cooked v2 (SLL2)", 12: "raw IP", 14: "raw IP",
        101: "raw IP", 228: "raw IPv4", 229: "raw IPv6", 0: "BSD loopback (NULL)", 108: "OpenBSD loopback (LOOP)",
    ]

    package static func linkTypeName(_ dlt: Int32) -> String { supportedLinkTypes[dlt] ?? "link type \(dlt)" }

    package static func dissect(_ p: UnsafeRawBufferPointer, linkType: Int32) -> DissectedPacket {
        let n = p.count
        switch linkType {
        case 1:  // Ethernet, then any number of VLAN tags
            guard n >= 14 else { return .truncated }
            var type = be16(p, 12)
            var offset = 14
            while type == 0x8100 || type == 0x88a8 || type == 0x9100 {
                guard n >= offset + 4 else { return .truncated }
                type = be16(p, offset + 2)
                offset += 4
            }
            return ip(p, from: offset, etherType: type)
        case 113:  // SLL: 16 bytes, protocol at 14
            guard n >= 16 else { return .truncated }
            return ip(p, from: 16, etherType: be16(p, 14))
        case 276:  // SLL2: 20 bytes, protocol at 0
            guard n >= 20 else { return .truncated }
            return ip(p, from: 20, etherType: be16(p, 0))
        case 12, 14, 101:  // raw IP: the version nibble says which
            guard n >= 1 else { return .truncated }
            return ip(p, from: 0, etherType: p[0] >> 4 == 6 ? 0x86dd : 0x0800)
        case 228: return ip(p, from: 0, etherType: 0x0800)
        case 229: return ip(p, from: 0, etherType: 0x86dd)
        case 0, 108:  // 4-byte address family, host byte order (NULL) or network (LOOP)
            guard n >= 5 else { return .truncated }
            return ip(p, from: 4, etherType: p[4] >> 4 == 6 ? 0x86dd : 0x0800)
        default:
            return .notIP
        }
    }

    @inline(__always) static func be16(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt16 {
        UInt16(p[i]) << 8 | UInt16(p[i + 1])
    }

    @inline(__always) static func be32(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }

    @inline(__always) static func be64(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        UInt64(be32(p, i)) << 32 | UInt64(be32(p, i + 4))
    }

    private static func ip(_ p: UnsafeRawBufferPointer, from o: Int, etherType: UInt16) -> DissectedPacket {
        let n = p.count
        switch etherType {
        case 0x0800:
            guard n >= o + 20, p[o] >> 4 == 4 else { return .truncated }
            let ihl = Int(p[o] & 0x0f) * 4
            let total = Int(be16(p, o + 2))
            guard ihl >= 20, total >= ihl, n >= o + ihl else { return .truncated }
            let fragment = be16(p, o + 6)
            if fragment & 0x3fff != 0 { return .fragment }  // more-fragments set or a non-zero offset
            guard p[o + 9] == 6 else { return .notTCP }
            let src = TCPEndpoint(high: 0, low: UInt64(be32(p, o + 12)), port: 0, isIPv6: false)
            let dst = TCPEndpoint(high: 0, low: UInt64(be32(p, o + 16)), port: 0, isIPv6: false)
            // The IP total length bounds the segment (Ethernet pads short frames).
            return tcp(p, from: o + ihl, end: min(n, o + total), src, dst)
        case 0x86dd:
            guard n >= o + 40, p[o] >> 4 == 6 else { return .truncated }
            let payloadLength = Int(be16(p, o + 4))
            var next = p[o + 6]
            var offset = o + 40
            let end = min(n, offset + payloadLength)
            let src = TCPEndpoint(high: be64(p, o + 8), low: be64(p, o + 16), port: 0, isIPv6: true)
            let dst = TCPEndpoint(high: be64(p, o + 24), low: be64(p, o + 32), port: 0, isIPv6: true)
            // Extension headers: hop-by-hop 0, routing 43, destination options 60, fragment 44.
            var hops = 0
            while next == 0 || next == 43 || next == 60 || next == 44 || next == 51 {
                hops += 1
                guard hops <= 16, end >= offset + 8 else { return .truncated }
                if next == 44 { return .fragment }
                let length = next == 51 ? (Int(p[offset + 1]) + 2) * 4 : (Int(p[offset + 1]) + 1) * 8
                next = p[offset]
                offset += length
            }
            guard next == 6 else { return .notTCP }
            return tcp(p, from: offset, end: end, src, dst)
        default:
            return .notIP
        }
    }

    private static func tcp(_ p: UnsafeRawBufferPointer, from o: Int, end: Int, _ src: TCPEndpoint, _ dst: TCPEndpoint) -> DissectedPacket {
        guard end >= o + 20 else { return .truncated }
        let dataOffset = Int(p[o + 12] >> 4) * 4
        guard dataOffset >= 20, end >= o + dataOffset else { return .truncated }
        var s = src, d = dst
        s.port = be16(p, o)
        d.port = be16(p, o + 2)
        let payload = UnsafeRawBufferPointer(rebasing: p[(o + dataOffset)..<end])
        return .tcp(TCPSegment(source: s, destination: d, sequence: be32(p, o + 4), acknowledgement: be32(p, o + 8),
                               flags: p[o + 13], payload: payload))
    }
}
