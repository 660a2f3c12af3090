/// The message types of protocol version 1 (docs/protocol.md, "Message catalogue").
public enum MessageType: UInt8, Sendable, CaseIterable {
    case hello = 0x01
    case parameters = 0x02
    case parametersAck = 0x03
    case siftingBases = 0x10
    case siftingResult = 0x11
    case estimationSample = 0x20
    case estimationResult = 0x21
    case cascadeRequest = 0x30
    case cascadeReply = 0x31
    case verification = 0x40
    case verificationResult = 0x41
    case privacyAmplification = 0x50
    case keyConfirmation = 0x51
    case confirmationResult = 0x52
    case abort = 0x60
    case error = 0x61
    case keepalive = 0x70
    case close = 0x71
}

/// Which end of the link a node is.
public enum Role: UInt8, Sendable, Codable { case alice = 0, bob = 1 }

public struct Hello: Sendable, Equatable {
    public var role: Role
    public var nodeName: String
    /// Feature bits (docs/protocol.md); 0 for the reference node.
    public var capabilities: UInt32
    public init(role: Role, nodeName: String, capabilities: UInt32 = 0) {
        self.role = role; self.nodeName = nodeName; self.capabilities = capabilities
    }
}

/// Alice's proposal of the session's parameters; Bob accepts or rejects them as a whole.
public struct SessionParameters: Sendable, Equatable {
    /// 1 = decoy-state BB84 with one-way post-processing.
    public var protocolID: UInt16
    /// Sifted signal bits per post-processing frame.
    public var frameBits: UInt32
    public var qberThreshold: Double
    public var epsilonSecrecy: Double
    public var epsilonCorrectness: Double
    /// 0 original, 1 yanetal, 2 extended.
    public var cascadeVariant: UInt8
    public var sampleFraction: Double
    public var permutationSeed: UInt64

    public init(protocolID: UInt16 = 1, frameBits: UInt32, qberThreshold: Double, epsilonSecrecy: Double, epsilonCorrectness: Double,
                cascadeVariant: UInt8, sampleFraction: Double, permutationSeed: UInt64) {
        self.protocolID = protocolID; self.frameBits = frameBits; self.qberThreshold = qberThreshold
        self.epsilonSecrecy = epsilonSecrecy; self.epsilonCorrectness = epsilonCorrectness; self.cascadeVariant = cascadeVariant
        self.sampleFraction = sampleFraction; self.permutationSeed = permutationSeed
    }
}

public struct ParametersAck: Sendable, Equatable {
    public var accepted: Bool
    public var reason: String
    public init(accepted: Bool, reason: String = "") { self.accepted = accepted; self.reason = reason }
}

/// Bob → Alice: the slots of one quantum-layer block where he detected, and his bases there.
public struct SiftingBases: Sendable, Equatable {
    public var block: UInt64
    public var offsets: [UInt32]
    public var bases: BitString
    public init(block: UInt64, offsets: [UInt32], bases: BitString) { self.block = block; self.offsets = offsets; self.bases = bases }
}

/// Alice → Bob: which of those bases matched hers, and her intensity class at each match
/// (2 bits per match, announced after sifting for the decoy-state estimate).
public struct SiftingResult: Sendable, Equatable {
    public var block: UInt64
    public var matches: BitString
    public var classes: BitString
    public init(block: UInt64, matches: BitString, classes: BitString) { self.block = block; self.matches = matches; self.classes = classes }
}

/// Alice → Bob: her bits at the frame's sample positions (drawn from `sampleSeed`).
public struct EstimationSample: Sendable, Equatable {
    public var frame: UInt64
    public var siftedBits: UInt32
    public var sampleSize: UInt32
    public var sampleSeed: UInt64
    public var sampleBits: BitString
    public init(frame: UInt64, siftedBits: UInt32, sampleSize: UInt32, sampleSeed: UInt64, sampleBits: BitString) {
        self.frame = frame; self.siftedBits = siftedBits; self.sampleSize = sampleSize; self.sampleSeed = sampleSeed; self.sampleBits = sampleBits
    }
}

/// Bob → Alice: the sample's error count and whether the frame goes on.
public struct EstimationResult: Sendable, Equatable {
    public var frame: UInt64
    public var sampleErrors: UInt32
    public var proceed: Bool
    public init(frame: UInt64, sampleErrors: UInt32, proceed: Bool) { self.frame = frame; self.sampleErrors = sampleErrors; self.proceed = proceed }
}

/// One parity query: positions [start, end) of pass `pass`'s permuted order.
public struct WireParityQuery: Sendable, Equatable {
    public var pass: UInt16
    public var start: UInt32
    public var end: UInt32
    public init(pass: UInt16, start: UInt32, end: UInt32) { self.pass = pass; self.start = start; self.end = end }
}

/// Bob → Alice: Cascade queries of many frames in one message.
public struct CascadeRequestBatch: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var frame: UInt64
        public var round: UInt32
        public var queries: [WireParityQuery]
        public init(frame: UInt64, round: UInt32, queries: [WireParityQuery]) { self.frame = frame; self.round = round; self.queries = queries }
    }
    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }
}

/// Alice → Bob: the parities, one bit per query, per frame.
public struct CascadeReplyBatch: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var frame: UInt64
        public var round: UInt32
        public var parities: BitString
        public init(frame: UInt64, round: UInt32, parities: BitString) { self.frame = frame; self.round = round; self.parities = parities }
    }
    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }
}

/// Alice → Bob: verification hash keys and Alice's tags.
public struct VerificationTags: Sendable, Equatable {
    public var frame: UInt64
    public var hashKeys: [UInt64]
    public var tags: [UInt64]
    public init(frame: UInt64, hashKeys: [UInt64], tags: [UInt64]) { self.frame = frame; self.hashKeys = hashKeys; self.tags = tags }
}

public struct VerificationResult: Sendable, Equatable {
    public var frame: UInt64
    public var match: Bool
    public init(frame: UInt64, match: Bool) { self.frame = frame; self.match = match }
}

/// Alice → Bob: the final length, the Toeplitz seed's Philox seed, and the key ID.
public struct PrivacyAmplificationParameters: Sendable, Equatable {
    public var frame: UInt64
    public var finalBits: UInt32
    public var toeplitzSeed: UInt64
    public var keyID: [UInt8]
    public init(frame: UInt64, finalBits: UInt32, toeplitzSeed: UInt64, keyID: [UInt8]) {
        self.frame = frame; self.finalBits = finalBits; self.toeplitzSeed = toeplitzSeed; self.keyID = keyID
    }
}

/// Bob → Alice: the key is stored under this ID, with this fingerprint prefix.
public struct KeyConfirmation: Sendable, Equatable {
    public var frame: UInt64
    public var keyID: [UInt8]
    public var fingerprint: UInt64
    public init(frame: UInt64, keyID: [UInt8], fingerprint: UInt64) { self.frame = frame; self.keyID = keyID; self.fingerprint = fingerprint }
}

/// Alice → Bob: whether Bob's KEY_CONFIRMATION matched Alice's key. Alice has stored hers on a
/// match; Bob stores his only when this says so (docs/protocol.md, "Key confirmation").
public struct ConfirmationResult: Sendable, Equatable {
    public var frame: UInt64
    public var keyID: [UInt8]
    public var match: Bool
    public init(frame: UInt64, keyID: [UInt8], match: Bool) {
        self.frame = frame
        self.keyID = keyID
        self.match = match
    }
}

public struct Abort: Sendable, Equatable {
    public var frame: UInt64
    public var reason: AbortReason
    public var message: String
    public init(frame: UInt64, reason: AbortReason, message: String) { self.frame = frame; self.reason = reason; self.message = message }
}

public struct ErrorReport: Sendable, Equatable {
    public var code: ErrorCode
    public var sequence: UInt64
    public var message: String
    public init(code: ErrorCode, sequence: UInt64, message: String) { self.code = code; self.sequence = sequence; self.message = message }
}

/// A decoded message.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    case parameters(SessionParameters)
    case parametersAck(ParametersAck)
    case siftingBases(SiftingBases)
    case siftingResult(SiftingResult)
    case estimationSample(EstimationSample)
    case estimationResult(EstimationResult)
    case cascadeRequest(CascadeRequestBatch)
    case cascadeReply(CascadeReplyBatch)
    case verification(VerificationTags)
    case verificationResult(VerificationResult)
    case privacyAmplification(PrivacyAmplificationParameters)
    case keyConfirmation(KeyConfirmation)
    case confirmationResult(ConfirmationResult)
    case abort(Abort)
    case error(ErrorReport)
    case keepalive(nonce: UInt64)
    case close(reason: String)
    /// A message type this version does not know, sent with the IGNORABLE flag: skipped by the
    /// receiver, kept whole so that relaying or re-encoding it changes nothing.
    case ignored(type: UInt8, payload: [UInt8])

    public var type: UInt8 {
        switch self {
        case .hello: return MessageType.hello.rawValue
        case .parameters: return MessageType.parameters.rawValue
        case .parametersAck: return MessageType.parametersAck.rawValue
        case .siftingBases: return MessageType.siftingBases.rawValue
        case .siftingResult: return MessageType.siftingResult.rawValue
        case .estimationSample: return MessageType.estimationSample.rawValue
        case .estimationResult: return MessageType.estimationResult.rawValue
        case .cascadeRequest: return MessageType.cascadeRequest.rawValue
        case .cascadeReply: return MessageType.cascadeReply.rawValue
        case .verification: return MessageType.verification.rawValue
        case .verificationResult: return MessageType.verificationResult.rawValue
        case .privacyAmplification: return MessageType.privacyAmplification.rawValue
        case .keyConfirmation: return MessageType.keyConfirmation.rawValue
        case .confirmationResult: return MessageType.confirmationResult.rawValue
        case .abort: return MessageType.abort.rawValue
        case .error: return MessageType.error.rawValue
        case .keepalive: return MessageType.keepalive.rawValue
        case .close: return MessageType.close.rawValue
        case .ignored(let t, _): return t
        }
    }
}
