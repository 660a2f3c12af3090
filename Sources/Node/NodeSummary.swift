/// What a node reports when its session ends (no key material).
public struct NodeSummary: Sendable, Codable, Equatable {
    public var role = "alice"
    public var blocks = 0
    public var detections = 0
    /// Signal-class sifted bits that entered frames (and the leftover below one frame).
    public var siftedBits = 0
    public var leftoverSiftedBits = 0
    public var frames = 0
    public var framesDelivered = 0
    public var framesAborted = 0
    public var framesDiscarded = 0
    public var sampleBits = 0
    public var sampleErrors = 0
    /// Cascade parities and verification tags disclosed.
    public var disclosedBits = 0
    public var finalKeyBits = 0
    public var keys = 0
    public var authenticationBitsConsumed = 0
    public var messagesSent = 0
    public var messagesReceived = 0
    public var bytesSent = 0
    /// Seconds from the first quantum-layer block to the end of the session.
    public var postProcessingSeconds = 0.0
    /// Seconds the engine spent working on control-channel and quantum-layer input (the rest of
    /// the post-processing time it waited for the peer or the device).
    public var busySeconds = 0.0
    public var bugs: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case role, blocks, detections, frames, keys, bugs
        case siftedBits = "sifted_bits", leftoverSiftedBits = "leftover_sifted_bits"
        case framesDelivered = "frames_delivered", framesAborted = "frames_aborted", framesDiscarded = "frames_discarded"
        case sampleBits = "sample_bits", sampleErrors = "sample_errors", disclosedBits = "disclosed_bits"
        case finalKeyBits = "final_key_bits", authenticationBitsConsumed = "authentication_bits_consumed"
        case messagesSent = "messages_sent", messagesReceived = "messages_received", bytesSent = "bytes_sent"
        case postProcessingSeconds = "post_processing_s", busySeconds = "busy_s"
    }
}
