import Foundation

/// Records the two directions of one TCP connection as Ethernet/IPv4/TCP frames: a handshake,
/// data segments of at most `maximumSegment` bytes with running sequence and acknowledgement
/// numbers, and a closing FIN exchange. What it writes is what a tap on the wire would show, so
/// Wireshark reassembles the stream and the dissector decodes it.
package final class TCPStreamRecorder: @unchecked Sendable {
    package struct Endpoint: Sendable {
        package var address: (UInt8, UInt8, UInt8, UInt8)
        package var port: UInt16
        package init(address: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    private let writer: PcapWriter
    private let client: Endpoint
    private let server: Endpoint
    private var sequence: [UInt32] = [1000, 5000]
    private let lock = NSLock()
    package let maximumSegment = 1460

    /// `client` opened the connection to `server`.
    package init(writer: PcapWriter, client: Endpoint, server: Endpoint) {
        self.writer = writer
        self.client = client
        self.server = server
        segment(fromClient: true, flags: 0x02, payload: [])        // SYN
        sequence[0] &+= 1
        segment(fromClient: false, flags: 0x12, payload: [])       // SYN-ACK
        sequence[1] &+= 1
        segment(fromClient: true, flags: 0x10, payload: [])        // ACK
    }

    /// Bytes sent by the client (true) or the server (false).
    package func record(fromClient: Bool, _ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + maximumSegment, bytes.count)
            segment(fromClient: fromClient, flags: 0x18, payload: Array(bytes[offset..<end]))  // PSH, ACK
            sequence[fromClient ? 0 : 1] &+= UInt32(end - offset)
            offset = end
        }
    }

    package func finish() {
        lock.lock()
        defer { lock.unlock() }
        segment(fromClient: true, flags: 0x11, payload: [])   // FIN, ACK
        sequence[0] &+= 1
        segment(fromClient: false, flags: 0x11, payload: [])
        sequence[1] &+= 1
        segment(fromClient: true, flags: 0x10, payload: [])
    }

    private func segment(fromClient: Bool, flags: UInt8, payload: [UInt8]) {
        let (src, dst) = fromClient ? (client, server) : (server, client)
        let seq = sequence[fromClient ? 0 : 1], ack = flags & 0x10 != 0 ? sequence[fromClient ? 1 : 0] : 0
        var f = [UInt8]()
        f.reserveCapacity(54 + payload.count)
        f += [0x02, 0, 0, 0, 0, fromClient ? 2 : 1] + [0x02, 0, 0, 0, 0, fromClient ? 1 : 2] + [0x08, 0x00]  // Ethernet, IPv4
        let total = 20 + 20 + payload.count
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0,
                           src.address.0, src.address.1, src.address.2, src.address.3,
                           dst.address.0, dst.address.1, dst.address.2, dst.address.3]
        let ipSum = Self.checksum(ip)
        ip[10] = UInt8(ipSum >> 8); ip[11] = UInt8(ipSum & 0xff)
        f += ip
        var tcp: [UInt8] = [UInt8(src.port >> 8), UInt8(src.port & 0xff), UInt8(dst.port >> 8), UInt8(dst.port & 0xff)]
        tcp += withUnsafeBytes(of: seq.bigEndian, Array.init) + withUnsafeBytes(of: ack.bigEndian, Array.init)
        tcp += [0x50, flags, 0xff, 0xff, 0, 0, 0, 0]
        // Checksum over the IPv4 pseudo-header, the TCP header and the payload.
        let pseudo: [UInt8] = [src.address.0, src.address.1, src.address.2, src.address.3,
                               dst.address.0, dst.address.1, dst.address.2, dst.address.3,
                               0, 6, UInt8((20 + payload.count) >> 8), UInt8((20 + payload.count) & 0xff)]
        let tcpSum = Self.checksum(pseudo + tcp + payload)
        tcp[16] = UInt8(tcpSum >> 8); tcp[17] = UInt8(tcpSum & 0xff)
        f += tcp
        f += payload
        writer.write(f)
    }

    /// The Internet checksum (RFC 1071).
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
