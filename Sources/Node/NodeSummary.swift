/// What a node reports when its session ends (no key material).
package struct NodeSummary: Sendable, Codable, Equatable {
    package var role = "alice"
    package var blocks = 0
    package var detections = 0
    /// Signal-class sifted bits that entered frames (and the leftover below one frame).
    package var siftedBits = 0
    package var leftoverSiftedBits = 0
    package var frames = 0
    package var framesDelivered = 0
    package var framesAborted = 0
    package var framesDiscarded = 0
    package var sampleBits = 0
    package var sampleErrors = 0
    /// Cascade parities and verification tags disclosed.
    package var disclosedBits = 0
    package var finalKeyBits = 0
    package var keys = 0
    package var authenticationBitsConsumed = 0
    package var messagesSent = 0
    package var messagesReceived = 0
    package var bytesSent = 0
    /// Seconds from the first quantum-layer block to the end of the session.
    package var postProcessingSeconds = 0.0
    /// Seconds the engine spent working on control-channel and quantum-layer input (the rest of
    /// the post-processing time it waited for the peer or the device).
    package var busySeconds = 0.0
    package var bugs: [String] = []

    package init() {}

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
