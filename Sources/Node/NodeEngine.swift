import Foundation
import Logging
import NIOCore
import NIOPosix
import PostProcessing
import QKDMath
import Wire

/// The protocol logic of a reference node: the state machines of docs/protocol.md driven by
/// decoded frames and quantum-layer blocks. Transport-free — the runner feeds it bytes and
/// gives it a function to send bytes — so it is tested without sockets too.
///
/// This file holds the transport: the frame decoder, sequence numbers, authentication, the
/// dispatch of messages and what the peer is told when an error ends the session. The per-frame
/// rules live beside it, one step of the protocol per file (`NodeEngine+Sifting`, `+Estimation`,
/// `+Cascade`, `+Amplification`), on the frame states of ``FramePhase``.
package actor NodeEngine {
    /// Queues bytes for the control channel, in call order. Synchronous on purpose: an actor that
    /// awaited its writes could interleave two transmissions and put frames out of sequence.
    package typealias Sender = @Sendable ([UInt8]) throws -> Void

    let config: NodeConfiguration
    let logger: Logger
    /// The event loop the engine runs on. The node's control-channel handler lives on the same
    /// loop and calls the engine directly: a Cascade round trip then costs no thread hop.
    package nonisolated let eventLoop: any EventLoop
    package nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }
    var auth: WegmanCarter
    var sessionID: UInt64
    var sendSequence: UInt64 = 0
    var receiveSequence: UInt64 = 0
    /// The sequence number an ERROR sent now refers to: the frame being read.
    var offendingSequence: UInt64 = 0
    var send: Sender?
    var decoder = FrameDecoder()
    /// The session's parameters, once agreed: Alice's from the moment she proposes them (Bob's
    /// acknowledgement confirms them), Bob's once he has accepted Alice's.
    var agreed: AgreedParameters?
    var helloReceived = false

    var ownBlocks: [UInt64: QuantumLayerBlock] = [:]
    var pendingBases: [SiftingBases] = []
    /// Bob's blocks that arrived before the parameters were agreed, in arrival order.
    var unannouncedBlocks: [UInt64] = []
    var siftBuffer = BitKey(count: 0)
    var frames: [UInt64: FrameState] = [:]
    var nextFrame: UInt64 = 0
    var quantumLayerEnded = false
    var peerClosed = false
    var sentClose = false
    package private(set) var finished = false
    var firstBlockTime: ContinuousClock.Instant?
    var permutationCache: [Int: CascadePermutations] = [:]
    var preparedPermutations: PreparedPermutations?
    /// Bob's Cascade traffic runs in two lanes (even and odd frames), each with one batch in
    /// flight: new queries of a lane wait for its reply and then travel together, so the frames of
    /// a lane share their round trips, and while Alice answers one lane Bob works on the other's
    /// replies — both ends busy instead of taking turns.
    static let cascadeLanes = 2
    var pendingRequests = [[CascadeRequestBatch.Entry]](repeating: [], count: NodeEngine.cascadeLanes)
    var requestInFlight = [Bool](repeating: false, count: NodeEngine.cascadeLanes)
    /// The lanes of the batches in flight, oldest first: Alice answers requests in order.
    var lanesInFlight: [Int] = []
    /// The decoy-state statistics of the sifted detections so far (docs/postprocessing.md,
    /// photon-number splitting): Bob decides with them, Alice checks his decisions.
    var decoy = DecoyMonitor()

    /// Final keys, by ID, for delivery (ETSI 014 will serve from here).
    package internal(set) var store: KeyStore
    /// Every key deposited, in order, as the key output lists them.
    package internal(set) var depositLog: [(keyID: UUID, key: BitKey)] = []
    package internal(set) var summary = NodeSummary()

    package init(configuration: NodeConfiguration, logger: Logger,
                eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) throws(NodeError) {
        config = configuration
        self.logger = logger
        self.eventLoop = eventLoop
        do {
            auth = WegmanCarter(pool: try AuthenticationKeyPool(material: configuration.authenticationKey))
        } catch { throw .configuration(error.description) }
        sessionID = configuration.role == .alice ? UInt64.random(in: 1...UInt64.max) : 0
        store = KeyStore(enforcingUniqueIDs: !configuration.bugs.contains(.reuseKeyID))
        summary.role = configuration.role == .alice ? "alice" : "bob"
        summary.bugs = configuration.bugs.map(\.rawValue).sorted()
    }

    var ownDirection: AuthenticationKeyPool.Direction { config.role == .alice ? .aliceToBob : .bobToAlice }
    var peerDirection: AuthenticationKeyPool.Direction { config.role == .alice ? .bobToAlice : .aliceToBob }

    /// The agreed parameters; an error when a message needs them before they are agreed.
    func agreedParameters(for what: @autoclosure () -> String) throws(NodeError) -> AgreedParameters {
        guard let agreed else { throw .protocolViolation("\(what()) before the session's parameters were agreed") }
        return agreed
    }

    // MARK: Connection lifecycle

    /// Attaches the control channel. Alice opens the session: HELLO, then her PARAMETERS.
    package func connected(send: @escaping Sender) throws(NodeError) {
        self.send = send
        if config.role == .alice {
            try transmit(.hello(Hello(role: .alice, nodeName: config.name)))
            let p = config.parameters
            let proposal = SessionParameters(
                frameBits: UInt32(config.frameBits), qberThreshold: p.qberThreshold, epsilonSecrecy: p.epsilonSecrecy,
                epsilonCorrectness: p.epsilonCorrectness, cascadeVariant: p.cascade.wireCode, sampleFraction: p.sampleFraction,
                permutationSeed: UInt64.random(in: 0...UInt64.max))
            // Alice works with what she proposed; Bob's acknowledgement confirms it.
            agree(proposal)
            try transmit(.parameters(proposal))
        }
    }

    /// Bytes from the control channel. Returns true once the session is over. An error that ends
    /// the session is told to the peer here, and only here (``NodeError/peerNotice``).
    package func receiveControl(_ bytes: [UInt8]) throws(NodeError) -> Bool {
        let began = ContinuousClock.now
        defer { summary.busySeconds += (ContinuousClock.now - began).inSeconds }
        decoder.append(bytes)
        do throws(NodeError) {
            while true {
                offendingSequence = receiveSequence
                let raw: FrameDecoder.RawFrame?
                do {
                    raw = try decoder.nextRaw()
                } catch {
                    if case .frameTooLong = error, config.bugs.contains(.crashOnOversizedFrame) {
                        logger.critical("bug knob crash-on-oversized-frame: crashing", metadata: ["error": "\(error)"])
                        Foundation.abort()
                    }
                    throw NodeError.wire(error)
                }
                guard let raw else { break }
                try accept(raw)
                if finished { return true }
            }
        } catch {
            tell(error)
            throw error
        }
        return finished
    }

    /// Sends the peer what `error` says it should hear, if anything. Best effort: the session is
    /// ending, and a notice that cannot be sent changes nothing.
    func tell(_ error: NodeError) {
        switch error.peerNotice {
        case .error(let code, let message)?:
            try? transmit(.error(ErrorReport(code: code, sequence: offendingSequence, message: message)))
        case .abort(let frame, let reason, let message)?:
            try? transmit(.abort(Abort(frame: frame, reason: reason, message: message)))
        case nil:
            break
        }
    }

    /// Bytes of a control-channel frame that has begun but not ended.
    package var pendingFrameBytes: Int { decoder.pendingBytes }

    /// The frame being read did not complete within `limit` of its first byte: the peer hears
    /// ERROR 1, and the returned error ends the session.
    package func frameDeadlinePassed(_ limit: Duration) -> NodeError {
        let error = NodeError.frameIncomplete(pendingBytes: decoder.pendingBytes, limit: limit)
        offendingSequence = receiveSequence
        tell(error)
        return error
    }

    /// The control channel closed. A frame cut short is an error (or, with the bug knob, a hang).
    package func controlClosed() async throws(NodeError) {
        if decoder.pendingBytes > 0 {
            if config.bugs.contains(.hangOnTruncatedFrame) {
                logger.critical("bug knob hang-on-truncated-frame: hanging")
                // Never resumes, ignores cancellation, uses no CPU: a hang as users meet it.
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            }
            throw .network("the peer closed the connection in the middle of a frame (\(decoder.pendingBytes) bytes pending)")
        }
        if !finished { throw .network("the peer closed the connection before the session ended") }
    }

    /// Bob's announcement of a block of his (SIFTING_BASES), encoded where the block is decoded
    /// rather than on the engine's loop, which then only numbers, tags and sends it.
    nonisolated static func siftingAnnouncement(for block: QuantumLayerBlock) -> EncodedPayload? {
        guard block.kind == .bob else { return nil }
        return EncodedPayload(.siftingBases(SiftingBases(block: block.block, offsets: block.offsets, bases: block.bases)))
    }

    /// A block from the quantum-layer interface; for Bob, optionally with its announcement
    /// already encoded (``siftingAnnouncement(for:)``).
    package func receiveQuantumLayer(_ block: QuantumLayerBlock, announcement: EncodedPayload? = nil) throws(NodeError) {
        if firstBlockTime == nil { firstBlockTime = .now }
        let began = ContinuousClock.now
        defer { summary.busySeconds += (ContinuousClock.now - began).inSeconds }
        switch (block.kind, config.role) {
        case (.endOfStream, _):
            quantumLayerEnded = true
            logger.info("quantum layer: end of stream", metadata: ["blocks": "\(summary.blocks)"])
            if config.role == .bob, helloReceived { try sendCloseIfBobDone() }
            try finishIfDone()
        case (.alice, .alice), (.bob, .bob):
            guard ownBlocks[block.block] == nil else { throw .protocolViolation("quantum-layer block \(block.block) arrived twice") }
            summary.blocks += 1
            summary.detections += block.offsets.count
            logger.debug("quantum-layer block", metadata: ["block": "\(block.block)", "t": "\(postProcessingSeconds)"])
            ownBlocks[block.block] = block
            if config.role == .bob {
                // Nothing goes out before the session's parameters are agreed: announce later.
                if agreed != nil {
                    if let announcement, announcement.type == MessageType.siftingBases.rawValue {
                        try transmit(encoded: announcement)
                    } else {
                        try transmit(.siftingBases(SiftingBases(block: block.block, offsets: block.offsets, bases: block.bases)))
                    }
                } else {
                    unannouncedBlocks.append(block.block)
                }
            } else {
                try processPendingBases()
            }
        default:
            throw .protocolViolation("a \(block.kind) block was sent to \(config.name)'s quantum-layer interface")
        }
    }

    package var postProcessingSeconds: Double {
        guard let t = firstBlockTime else { return 0 }
        return (ContinuousClock.now - t).inSeconds
    }

    // MARK: Frames in

    /// Checks a frame in the order that keeps unauthenticated bytes uninterpreted: session,
    /// sequence number and tag on the raw frame, and only then the payload is parsed.
    private func accept(_ raw: FrameDecoder.RawFrame) throws(NodeError) {
        offendingSequence = raw.sequence
        summary.messagesReceived += 1
        logger.trace("received", metadata: ["type": "0x\(String(raw.type, radix: 16))", "sequence": "\(raw.sequence)", "t": "\(postProcessingSeconds)"])
        if config.role == .bob, !helloReceived, sessionID == 0 { sessionID = raw.sessionID }
        guard raw.sessionID == sessionID else {
            throw .protocolViolation("frame for session \(raw.sessionID), this session is \(sessionID)")
        }
        if !config.bugs.contains(.acceptReplayedFrame) {
            guard raw.sequence == receiveSequence else { throw .outOfSequence(received: raw.sequence, expected: receiveSequence) }
        }
        if config.bugs.contains(.partialTagCheck) {
            // The defect: only the low 32 bits of the tag are compared.
            let expected: UInt64
            do { expected = try auth.tag(Array(raw.authenticatedBytes), direction: peerDirection, sequence: raw.sequence) } catch {
                throw .authentication(error.description)
            }
            guard UInt32(truncatingIfNeeded: expected) == UInt32(truncatingIfNeeded: raw.tag) else {
                throw .authentication("the tag of frame \(raw.sequence) does not verify")
            }
        } else if !config.bugs.contains(.ignoreAuthTag) {
            do {
                try auth.verify(raw.authenticatedBytes, tag: raw.tag, direction: peerDirection, sequence: raw.sequence)
            } catch {
                throw .authentication(error.description)
            }
        }
        receiveSequence = max(receiveSequence, raw.sequence &+ 1)
        let decoded: FrameDecoder.Decoded
        do { decoded = try FrameDecoder.decode(raw) } catch { throw .wire(error) }
        offendingSequence = receiveSequence &- 1
        try handle(decoded.frame.message)
    }

    /// The dispatch table: which message each role takes, and the rule that handles it.
    private func handle(_ message: Message) throws(NodeError) {
        switch (message, config.role) {
        case (.hello(let h), _):
            guard h.role != config.role else { throw .protocolViolation("both ends are \(h.role)") }
            helloReceived = true
            logger.info("peer said hello", metadata: ["peer": "\(h.nodeName)"])
            if config.role == .bob { try transmit(.hello(Hello(role: .bob, nodeName: config.name))) }
        case (.parameters(let p), .bob):
            let problem = p.refusal
            try transmit(.parametersAck(ParametersAck(accepted: problem == nil, reason: problem ?? "")))
            guard problem == nil else { throw .protocolViolation("parameters rejected: \(problem ?? "")") }
            agree(p)
            for id in unannouncedBlocks {
                if let block = ownBlocks[id] {
                    try transmit(.siftingBases(SiftingBases(block: id, offsets: block.offsets, bases: block.bases)))
                }
            }
            unannouncedBlocks.removeAll()
            if quantumLayerEnded { try sendCloseIfBobDone() }
        case (.parametersAck(let a), .alice):
            guard a.accepted else { throw .protocolViolation("Bob rejected the parameters: \(a.reason)") }
        case (.siftingBases(let s), .alice):
            pendingBases.append(s)
            try processPendingBases()
        case (.siftingResult(let r), .bob):
            try bobSift(r)
        case (.estimationSample(let e), .bob):
            try bobEstimate(e)
        case (.estimationResult(let r), .alice):
            try aliceEstimationResult(r)
        case (.cascadeRequest(let batch), .alice):
            try aliceAnswer(batch)
        case (.cascadeReply(let batch), .bob):
            try bobReceiveReplies(batch)
        case (.verification(let v), .bob):
            try bobVerify(v)
        case (.verificationResult(let v), .alice):
            try aliceAmplify(v)
        case (.privacyAmplification(let p), .bob):
            try bobAmplify(p)
        case (.keyConfirmation(let k), .alice):
            try aliceConfirm(k)
        case (.confirmationResult(let c), .bob):
            try bobConfirmationResult(c)
        case (.abort(let a), _):
            throw .peerAborted(a.reason, a.message)
        case (.error(let e), _):
            throw .peerError(e.code, e.message)
        case (.keepalive, _), (.ignored, _):
            break
        case (.close, .alice):
            peerClosed = true
        case (.close, .bob):
            finished = true
            return
        default:
            throw .unexpectedMessage(type: message.type, role: config.role)
        }
        try finishIfDone()
    }

    /// Fixes the session's parameters and starts drawing its Cascade shuffles in the background.
    private func agree(_ p: SessionParameters) {
        let agreed = AgreedParameters(p)
        self.agreed = agreed
        if agreed.frameBits > agreed.sampleSize {
            preparedPermutations = PreparedPermutations(
                frameBits: agreed.frameBits - agreed.sampleSize, passes: agreed.cascadeVariant.passes, seed: agreed.permutationSeed)
        }
    }

    /// Moves a frame to a terminal state and counts it in the summary.
    func end(_ id: UInt64, _ phase: FramePhase) {
        frames[id] = FrameState(id: id, phase: phase)
        switch phase {
        case .aborted: summary.framesAborted += 1
        case .discarded: summary.framesDiscarded += 1
        case .delivered: summary.framesDelivered += 1
        default: break
        }
    }

    // MARK: Ending

    func sendCloseIfBobDone() throws(NodeError) {
        guard config.role == .bob, quantumLayerEnded, ownBlocks.isEmpty, !sentClose, agreed != nil else { return }
        sentClose = true
        try transmit(.close(reason: "end of records"))
    }

    func finishIfDone() throws(NodeError) {
        guard config.role == .alice, peerClosed, quantumLayerEnded, pendingBases.isEmpty, !finished,
              frames.values.allSatisfy({ $0.phase.isTerminal }) else { return }
        summary.leftoverSiftedBits = siftBuffer.count
        try transmit(.close(reason: "session complete"))
        finished = true
    }

    /// Summary with the final counters filled in.
    package func finalSummary() -> NodeSummary {
        var s = summary
        s.leftoverSiftedBits = siftBuffer.count
        s.authenticationBitsConsumed = auth.pool.consumedBits
        s.postProcessingSeconds = postProcessingSeconds
        return s
    }

    // MARK: Sending

    func transmit(_ message: Message) throws(NodeError) {
        try transmitFrame(type: message.type) { sequence in
            try Frame(sessionID: sessionID, sequence: sequence, message: message).encoded { b in
                try self.tagForSending(b, sequence: sequence)
            }
        }
    }

    /// Sends a payload encoded beforehand, numbered and tagged like any other frame.
    func transmit(encoded payload: EncodedPayload) throws(NodeError) {
        try transmitFrame(type: payload.type) { sequence in
            try Frame.encoded(sessionID: sessionID, sequence: sequence, payload: payload) { b in
                try self.tagForSending(b, sequence: sequence)
            }
        }
    }

    /// Numbers a frame, has `encode` build and tag it for that sequence number, and sends it.
    private func transmitFrame(type: UInt8, _ encode: (UInt64) throws -> [UInt8]) throws(NodeError) {
        guard let send else { throw .network("the control channel is not connected") }
        let bytes: [UInt8]
        do { bytes = try encode(sendSequence) } catch {
            throw .authentication("cannot tag frame \(sendSequence): \(error)")
        }
        logger.trace("sending", metadata: ["type": "0x\(String(type, radix: 16))", "sequence": "\(sendSequence)", "t": "\(postProcessingSeconds)"])
        sendSequence += 1
        summary.messagesSent += 1
        summary.bytesSent += bytes.count
        do { try send(bytes) } catch { throw .network("sending failed: \(error)") }
    }

    private func tagForSending(_ bytes: [UInt8], sequence: UInt64) throws -> UInt64 {
        try auth.tag(bytes, direction: ownDirection, sequence: sequence)
    }
}
