/// What `capture inspect` reports: the JSON keys are the documented format (docs/captures.md).
package struct CaptureSummary: Codable, Sendable {
    package var file = ""
    package var linkType = ""
    package var packets = 0
    package var packetsFiltered = 0
    package var tcpPackets = 0
    package var nonTCPPackets = 0
    package var nonIPPackets = 0
    package var unsupportedLinkPackets = 0
    package var fragments = 0
    package var truncatedPackets = 0
    /// Packets of a connection already closed both ways (its last ACKs): counted, not decoded.
    package var packetsAfterClose = 0
    package var firstTime: Double?
    package var lastTime: Double?
    package var flows: [FlowSummary] = []
    package var sessions: [SessionSummary] = []
    package var messages = 0
    package var messagesByType: [String: [String: Int]] = [:]
    package var qliBlocks = 0
    package var decodeErrorCount = 0
    /// The first 1000 decode errors.
    package var decodeErrors: [StreamDecodeError] = []
    package var gaps: [GapSummary] = []
    package var overlaps: [OverlapSummary] = []
    package var limitsExceeded: [String] = []
    package var resynchronisations: [String] = []
    package var messageList: [MessageLine] = []
    /// Wall-clock seconds spent reading (for packets per second).
    package var seconds = 0.0

    package var packetsPerSecond: Double { seconds > 0 ? Double(packets) / seconds : 0 }

    enum CodingKeys: String, CodingKey {
        case file, packets, flows, sessions, messages, gaps, overlaps, fragments, seconds
        case linkType = "link_type", packetsFiltered = "packets_filtered", tcpPackets = "tcp_packets", nonTCPPackets = "non_tcp_packets"
        case nonIPPackets = "non_ip_packets", unsupportedLinkPackets = "unsupported_link_packets", truncatedPackets = "truncated_packets", packetsAfterClose = "packets_after_close"
        case firstTime = "first_time", lastTime = "last_time", messagesByType = "messages_by_type", qliBlocks = "qli_blocks"
        case decodeErrorCount = "decode_error_count", decodeErrors = "decode_errors", limitsExceeded = "limits_exceeded"
        case resynchronisations, messageList = "message_list", packetsPerSecond = "packets_per_second"
    }

    package init() {}

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file); try c.encode(linkType, forKey: .linkType)
        try c.encode(packets, forKey: .packets); try c.encode(packetsFiltered, forKey: .packetsFiltered)
        try c.encode(tcpPackets, forKey: .tcpPackets); try c.encode(nonTCPPackets, forKey: .nonTCPPackets)
        try c.encode(nonIPPackets, forKey: .nonIPPackets); try c.encode(unsupportedLinkPackets, forKey: .unsupportedLinkPackets)
        try c.encode(packetsAfterClose, forKey: .packetsAfterClose); try c.encode(fragments, forKey: .fragments); try c.encode(truncatedPackets, forKey: .truncatedPackets)
        try c.encodeIfPresent(firstTime, forKey: .firstTime); try c.encodeIfPresent(lastTime, forKey: .lastTime)
        try c.encode(flows, forKey: .flows); try c.encode(sessions, forKey: .sessions)
        try c.encode(messages, forKey: .messages); try c.encode(messagesByType, forKey: .messagesByType)
        try c.encode(qliBlocks, forKey: .qliBlocks)
        try c.encode(decodeErrorCount, forKey: .decodeErrorCount); try c.encode(decodeErrors, forKey: .decodeErrors)
        try c.encode(gaps, forKey: .gaps); try c.encode(overlaps, forKey: .overlaps)
        try c.encode(limitsExceeded, forKey: .limitsExceeded); try c.encode(resynchronisations, forKey: .resynchronisations)
        if !messageList.isEmpty { try c.encode(messageList, forKey: .messageList) }
        try c.encode(seconds, forKey: .seconds); try c.encode(packetsPerSecond, forKey: .packetsPerSecond)
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        file = try c.decode(String.self, forKey: .file)
        packets = try c.decode(Int.self, forKey: .packets)
        messages = try c.decode(Int.self, forKey: .messages)
    }
}

package struct DirectionSummary: Codable, Sendable {
    package var from: String
    package var kind: StreamKind
    package var bytes: Int64
    package var segments: Int
    package var retransmissions: Int
    package var outOfOrder: Int
    package var sawSYN: Bool
    package var sawFIN: Bool
    package var sawRST: Bool
    package var frames: Int
    package var qliBlocks: Int
    package var skippedBytes: Int64

    enum CodingKeys: String, CodingKey {
        case from, kind, bytes, segments, retransmissions, frames
        case outOfOrder = "out_of_order", sawSYN = "syn", sawFIN = "fin", sawRST = "rst", qliBlocks = "qli_blocks", skippedBytes = "skipped_bytes"
    }
}

package struct FlowSummary: Codable, Sendable {
    package var id: Int
    package var client: String
    package var server: String
    package var packets: Int
    package var firstPacket: Int
    package var lastPacket: Int
    package var directions: [DirectionSummary]

    enum CodingKeys: String, CodingKey {
        case id, client, server, packets, directions
        case firstPacket = "first_packet", lastPacket = "last_packet"
    }
}

package struct SessionSummary: Codable, Sendable {
    package var id: String
    package var flows: [Int]
    package var frames: Int
    package var firstPacket: Int
    package var lastPacket: Int
    package var keysConfirmed: Int
    package var aborts: Int

    enum CodingKeys: String, CodingKey {
        case id, flows, frames, aborts
        case firstPacket = "first_packet", lastPacket = "last_packet", keysConfirmed = "keys_confirmed"
    }
}

package struct GapSummary: Codable, Sendable, Equatable {
    package var flow: Int
    package var direction: String
    package var streamOffset: Int64
    package var length: Int64
    package var afterPacket: Int
    package var beforePacket: Int

    enum CodingKeys: String, CodingKey {
        case flow, direction, length
        case streamOffset = "stream_offset", afterPacket = "after_packet", beforePacket = "before_packet"
    }
}

package struct OverlapSummary: Codable, Sendable, Equatable {
    package var flow: Int
    package var direction: String
    package var streamOffset: Int64
    package var length: Int64
    package var packet: Int

    enum CodingKeys: String, CodingKey {
        case flow, direction, length, packet
        case streamOffset = "stream_offset"
    }
}

/// One message as a dissector lists it.
package struct MessageLine: Codable, Sendable {
    package var packet: Int
    package var time: Double
    package var flow: Int
    package var from: String
    package var session: String
    package var type: String
    package var sequence: UInt64
    package var length: Int
    package var summary: String

    package init(packet: Int, time: Double, flow: Int, from: String, session: String, type: String, sequence: UInt64, length: Int, summary: String) {
        self.packet = packet; self.time = time; self.flow = flow; self.from = from; self.session = session
        self.type = type; self.sequence = sequence; self.length = length; self.summary = summary
    }
}
