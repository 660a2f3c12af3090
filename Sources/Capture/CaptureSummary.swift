/// What `capture inspect` reports: the JSON keys are the documented format (docs/captures.md).
public struct CaptureSummary: Codable, Sendable {
    public var file = ""
    public var linkType = ""
    public var packets = 0
    public var packetsFiltered = 0
    public var tcpPackets = 0
    public var nonTCPPackets = 0
    public var nonIPPackets = 0
    public var unsupportedLinkPackets = 0
    public var fragments = 0
    public var truncatedPackets = 0
    /// Packets of a connection already closed both ways (its last ACKs): counted, not decoded.
    public var packetsAfterClose = 0
    public var firstTime: Double?
    public var lastTime: Double?
    public var flows: [FlowSummary] = []
    public var sessions: [SessionSummary] = []
    public var messages = 0
    public var messagesByType: [String: [String: Int]] = [:]
    public var qliBlocks = 0
    public var decodeErrorCount = 0
    /// The first 1000 decode errors.
    public var decodeErrors: [StreamDecodeError] = []
    public var gaps: [GapSummary] = []
    public var overlaps: [OverlapSummary] = []
    public var limitsExceeded: [String] = []
    public var resynchronisations: [String] = []
    public var messageList: [MessageLine] = []
    /// Wall-clock seconds spent reading (for packets per second).
    public var seconds = 0.0

    public var packetsPerSecond: Double { seconds > 0 ? Double(packets) / seconds : 0 }

    enum CodingKeys: String, CodingKey {
        case file, packets, flows, sessions, messages, gaps, overlaps, fragments, seconds
        case linkType = "link_type", packetsFiltered = "packets_filtered", tcpPackets = "tcp_packets", nonTCPPackets = "non_tcp_packets"
        case nonIPPackets = "non_ip_packets", unsupportedLinkPackets = "unsupported_link_packets", truncatedPackets = "truncated_packets", packetsAfterClose = "packets_after_close"
        case firstTime = "first_time", lastTime = "last_time", messagesByType = "messages_by_type", qliBlocks = "qli_blocks"
        case decodeErrorCount = "decode_error_count", decodeErrors = "decode_errors", limitsExceeded = "limits_exceeded"
        case resynchronisations, messageList = "message_list", packetsPerSecond = "packets_per_second"
    }

    public init() {}

    public func encode(to encoder: any Encoder) throws {
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

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        file = try c.decode(String.self, forKey: .file)
        packets = try c.decode(Int.self, forKey: .packets)
        messages = try c.decode(Int.self, forKey: .messages)
    }
}

public struct DirectionSummary: Codable, Sendable {
    public var from: String
    public var kind: StreamKind
    public var bytes: Int64
    public var segments: Int
    public var retransmissions: Int
    public var outOfOrder: Int
    public var sawSYN: Bool
    public var sawFIN: Bool
    public var sawRST: Bool
    public var frames: Int
    public var qliBlocks: Int
    public var skippedBytes: Int64

    enum CodingKeys: String, CodingKey {
        case from, kind, bytes, segments, retransmissions, frames
        case outOfOrder = "out_of_order", sawSYN = "syn", sawFIN = "fin", sawRST = "rst", qliBlocks = "qli_blocks", skippedBytes = "skipped_bytes"
    }
}

public struct FlowSummary: Codable, Sendable {
    public var id: Int
    public var client: String
    public var server: String
    public var packets: Int
    public var firstPacket: Int
    public var lastPacket: Int
    public var directions: [DirectionSummary]

    enum CodingKeys: String, CodingKey {
        case id, client, server, packets, directions
        case firstPacket = "first_packet", lastPacket = "last_packet"
    }
}

public struct SessionSummary: Codable, Sendable {
    public var id: String
    public var flows: [Int]
    public var frames: Int
    public var firstPacket: Int
    public var lastPacket: Int
    public var keysConfirmed: Int
    public var aborts: Int

    enum CodingKeys: String, CodingKey {
        case id, flows, frames, aborts
        case firstPacket = "first_packet", lastPacket = "last_packet", keysConfirmed = "keys_confirmed"
    }
}

public struct GapSummary: Codable, Sendable, Equatable {
    public var flow: Int
    public var direction: String
    public var streamOffset: Int64
    public var length: Int64
    public var afterPacket: Int
    public var beforePacket: Int

    enum CodingKeys: String, CodingKey {
        case flow, direction, length
        case streamOffset = "stream_offset", afterPacket = "after_packet", beforePacket = "before_packet"
    }
}

public struct OverlapSummary: Codable, Sendable, Equatable {
    public var flow: Int
    public var direction: String
    public var streamOffset: Int64
    public var length: Int64
    public var packet: Int

    enum CodingKeys: String, CodingKey {
        case flow, direction, length, packet
        case streamOffset = "stream_offset"
    }
}

/// One message as a dissector lists it.
public struct MessageLine: Codable, Sendable {
    public var packet: Int
    public var time: Double
    public var flow: Int
    public var from: String
    public var session: String
    public var type: String
    public var sequence: UInt64
    public var length: Int
    public var summary: String

    public init(packet: Int, time: Double, flow: Int, from: String, session: String, type: String, sequence: UInt64, length: Int, summary: String) {
        self.packet = packet; self.time = time; self.flow = flow; self.from = from; self.session = session
        self.type = type; self.sequence = sequence; self.length = length; self.summary = summary
    }
}
