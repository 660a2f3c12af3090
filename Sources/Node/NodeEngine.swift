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
public actor NodeEngine {
    /// Queues bytes for the control channel, in call order. Synchronous on purpose: an actor that
    /// awaited its writes could interleave two transmissions and put frames out of sequence.
    public typealias Sender = @Sendable ([UInt8]) throws -> Void

    let config: NodeConfiguration
    let logger: Logger
    /// The event loop the engine runs on. The node's control-channel handler lives on the same
    /// loop and calls the engine directly: a Cascade round trip then costs no thread hop.
    public nonisolated let eventLoop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }
    private var auth: WegmanCarter
    private var sessionID: UInt64
    private var sendSequence: UInt64 = 0
    private var receiveSequence: UInt64 = 0
    private var send: Sender?
    private var decoder = FrameDecoder()
    private var parameters: SessionParameters?
    private var helloReceived = false

    private var ownBlocks: [UInt64: QuantumLayerBlock] = [:]
    private var pendingBases: [SiftingBases] = []
    /// Bob's blocks that arrived before the parameters were agreed, in arrival order.
    private var unannouncedBlocks: [UInt64] = []
    private var siftBuffer = BitKey(count: 0)
    private var frames: [UInt64: FrameState] = [:]
    private var nextFrame: UInt64 = 0
    private var quantumLayerEnded = false
    private var peerClosed = false
    private var sentClose = false
    public private(set) var finished = false
    private var firstBlockTime: ContinuousClock.Instant?
    private var permutationCache: [Int: CascadePermutations] = [:]
    private var preparedPermutations: PreparedPermutations?
    /// Bob's Cascade traffic runs in two lanes (even and odd frames), each with one batch in
    /// flight: new queries of a lane wait for its reply and then travel together, so the frames of
    /// a lane share their round trips, and while Alice answers one lane Bob works on the other's
    /// replies — both ends busy instead of taking turns.
    static let cascadeLanes = 2
    private var pendingRequests = [[CascadeRequestBatch.Entry]](repeating: [], count: NodeEngine.cascadeLanes)
    private var requestInFlight = [Bool](repeating: false, count: NodeEngine.cascadeLanes)
    /// The lanes of the batches in flight, oldest first: Alice answers requests in order.
    private var lanesInFlight: [Int] = []
    /// Bob's decoy-state statistics (docs/postprocessing.md, photon-number splitting).
    private var decoy = DecoyMonitor()

    /// Final keys, by ID, for delivery (ETSI 014 will serve from here).
    public private(set) var store: KeyStore
    /// Every key deposited, in order, as the key output lists them.
    public private(set) var depositLog: [(keyID: UUID, key: BitKey)] = []
    public private(set) var summary = NodeSummary()

    struct FrameState {
        enum Phase { case estimating, reconciling, verifying, amplifying, done }
        var id: UInt64
        var sifted: BitKey
        var phase: Phase = .estimating
        var samplePositions: [Int32] = []
        var sampleErrors = 0
        var remaining = BitKey(count: 0)
        var responder: CascadeResponder?
        var initiator: CascadeInitiator?
        var parityBits = 0
        var verification: KeyVerification?
        var finalKey: BitKey?
        var keyID: UUID?
    }

    public init(configuration: NodeConfiguration, logger: Logger,
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

    private var ownDirection: AuthenticationKeyPool.Direction { config.role == .alice ? .aliceToBob : .bobToAlice }
    private var peerDirection: AuthenticationKeyPool.Direction { config.role == .alice ? .bobToAlice : .aliceToBob }

    // MARK: Connection lifecycle

    /// Attaches the control channel. Alice opens the session: HELLO, then her PARAMETERS.
    public func connected(send: @escaping Sender) throws(NodeError) {
        self.send = send
        if config.role == .alice {
            try transmit(.hello(Hello(role: .alice, nodeName: config.name)))
            let p = config.parameters
            let proposal = SessionParameters(
                frameBits: UInt32(config.frameBits), qberThreshold: p.qberThreshold, epsilonSecrecy: p.epsilonSecrecy,
                epsilonCorrectness: p.epsilonCorrectness, cascadeVariant: Self.code(p.cascade), sampleFraction: p.sampleFraction,
                permutationSeed: UInt64.random(in: 0...UInt64.max))
            // Alice works with what she proposed; Bob's acknowledgement confirms it.
            parameters = proposal
            preparePermutations()
            try transmit(.parameters(proposal))
        }
    }

    /// Bytes from the control channel. Returns true once the session is over.
    public func receiveControl(_ bytes: [UInt8]) throws(NodeError) -> Bool {
        let began = ContinuousClock.now
        defer { summary.busySeconds += Self.seconds(ContinuousClock.now - began) }
        decoder.append(bytes)
        while true {
            let raw: FrameDecoder.RawFrame?
            do {
                raw = try decoder.nextRaw()
            } catch {
                if case .frameTooLong = error, config.bugs.contains(.crashOnOversizedFrame) {
                    logger.critical("bug knob crash-on-oversized-frame: crashing", metadata: ["error": "\(error)"])
                    Foundation.abort()
                }
                try? transmit(.error(ErrorReport(code: error.code, sequence: receiveSequence, message: error.description)))
                throw .wire(error)
            }
            guard let raw else { break }
            try accept(raw)
            if finished { return true }
        }
        return finished
    }

    /// The control channel closed. A frame cut short is an error (or, with the bug knob, a hang).
    public func controlClosed() async throws(NodeError) {
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
    public func receiveQuantumLayer(_ block: QuantumLayerBlock, announcement: EncodedPayload? = nil) throws(NodeError) {
        if firstBlockTime == nil { firstBlockTime = .now }
        let began = ContinuousClock.now
        defer { summary.busySeconds += Self.seconds(ContinuousClock.now - began) }
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
                if parameters != nil {
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

    public var postProcessingSeconds: Double {
        guard let t = firstBlockTime else { return 0 }
        return Self.seconds(ContinuousClock.now - t)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    // MARK: Frames in

    /// Checks a frame in the order that keeps unauthenticated bytes uninterpreted: session,
    /// sequence number and tag on the raw frame, and only then the payload is parsed.
    private func accept(_ raw: FrameDecoder.RawFrame) throws(NodeError) {
        let frame = raw
        summary.messagesReceived += 1
        logger.trace("received", metadata: ["type": "0x\(String(raw.type, radix: 16))", "sequence": "\(raw.sequence)", "t": "\(postProcessingSeconds)"])
        if config.role == .bob, !helloReceived, sessionID == 0 { sessionID = frame.sessionID }
        guard frame.sessionID == sessionID else {
            throw .protocolViolation("frame for session \(frame.sessionID), this session is \(sessionID)")
        }
        if !config.bugs.contains(.acceptReplayedFrame) {
            guard frame.sequence == receiveSequence else {
                try? transmit(.error(ErrorReport(
                    code: .replayedOrOutOfOrder, sequence: frame.sequence,
                    message: "sequence \(frame.sequence) received, \(receiveSequence) expected")))
                throw .protocolViolation("replayed or out-of-order frame: sequence \(frame.sequence), expected \(receiveSequence)")
            }
        }
        if !config.bugs.contains(.ignoreAuthTag) {
            do {
                try auth.verify(raw.authenticatedBytes, tag: raw.tag, direction: peerDirection, sequence: raw.sequence)
            } catch {
                try? transmit(.abort(Abort(frame: 0, reason: .authenticationFailure, message: error.description)))
                throw .authentication(error.description)
            }
        }
        receiveSequence = max(receiveSequence, raw.sequence &+ 1)
        let decoded: FrameDecoder.Decoded
        do { decoded = try FrameDecoder.decode(raw) } catch {
            try? transmit(.error(ErrorReport(code: error.code, sequence: raw.sequence, message: error.description)))
            throw .wire(error)
        }
        try handle(decoded.frame.message)
    }

    private func handle(_ message: Message) throws(NodeError) {
        switch (message, config.role) {
        case (.hello(let h), _):
            guard h.role != config.role else { throw .protocolViolation("both ends are \(h.role)") }
            helloReceived = true
            logger.info("peer said hello", metadata: ["peer": "\(h.nodeName)"])
            if config.role == .bob { try transmit(.hello(Hello(role: .bob, nodeName: config.name))) }
        case (.parameters(let p), .bob):
            let problem = Self.check(p)
            try transmit(.parametersAck(ParametersAck(accepted: problem == nil, reason: problem ?? "")))
            guard problem == nil else { throw .protocolViolation("parameters rejected: \(problem ?? "")") }
            parameters = p
            preparePermutations()
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
            try? transmit(.error(ErrorReport(code: .unexpectedMessage, sequence: receiveSequence &- 1,
                                                   message: "message 0x\(String(message.type, radix: 16)) is not expected by \(config.role)")))
            throw .protocolViolation("unexpected message 0x\(String(message.type, radix: 16)) for \(config.role)")
        }
        try finishIfDone()
    }

    // MARK: Sifting

    private func processPendingBases() throws(NodeError) {
        while let bases = pendingBases.first, let block = ownBlocks[bases.block] {
            pendingBases.removeFirst()
            ownBlocks[bases.block] = nil
            let d = bases.offsets.count
            // Alice's record index for each of Bob's detections. A device keeps every slot; the
            // harness sends Alice exactly Bob's detected slots, which makes this the identity.
            var index = [Int]()
            if !Self.sameOffsets(block.offsets, bases.offsets) {
                index.reserveCapacity(d)
                var j = 0
                for offset in bases.offsets {
                    while j < block.offsets.count && block.offsets[j] < offset { j += 1 }
                    guard j < block.offsets.count, block.offsets[j] == offset else {
                        throw .protocolViolation("Bob announced slot \(offset) of block \(bases.block), which Alice has no record of")
                    }
                    index.append(j)
                }
            }
            var signal = siftBuffer
            siftBuffer = BitKey(count: 0)  // uniquely referenced while it grows
            let matches: [UInt8], classes: [UInt8], matched: Int
            if index.isEmpty {
                // Same slots on both sides: the table-driven kernel, eight detections at a time.
                (matches, classes, matched) = SiftingKernel.aliceSift(
                    detections: d, aliceBases: block.bases.bytes, bobBases: bases.bases.bytes, classes: block.extra.bytes,
                    bits: block.bits.bytes, into: &signal)
            } else {
                (matches, classes, matched) = Self.siftByIndex(index, block: block, bobBases: bases.bases, into: &signal)
            }
            siftBuffer = signal
            try transmit(.siftingResult(SiftingResult(
                block: bases.block, matches: BitString(bitCount: d, bytes: matches), classes: BitString(bitCount: 2 * matched, bytes: classes))))
            try cutFrames()
        }
    }

    /// Alice's sifting when her records are not exactly Bob's detections: `index[i]` is her record
    /// of Bob's detection i. One match at a time.
    static func siftByIndex(_ index: [Int], block: QuantumLayerBlock, bobBases: BitString, into signal: inout BitKey)
        -> (matches: [UInt8], classes: [UInt8], matched: Int) {
        let d = index.count
        var matches = [UInt8](repeating: 0, count: (d + 7) / 8)
        var classes = [UInt8](repeating: 0, count: (2 * d + 7) / 8)
        var matched = 0
        for (i, j) in index.enumerated() where block.bases[j] == bobBases[i] {
            matches[i >> 3] |= 1 << UInt8(i & 7)
            let c = (block.extra.bytes[(2 * j) >> 3] >> UInt8((2 * j) & 7)) & 3
            classes[(2 * matched) >> 3] |= c << UInt8((2 * matched) & 7)
            matched += 1
            if c == 0 { signal.append(block.bits[j]) }
        }
        classes.removeLast(classes.count - (2 * matched + 7) / 8)
        return (matches, classes, matched)
    }

    private func bobSift(_ r: SiftingResult) throws(NodeError) {
        guard let block = ownBlocks.removeValue(forKey: r.block) else {
            throw .protocolViolation("sifting result for block \(r.block), which Bob did not announce")
        }
        guard r.matches.bitCount == block.offsets.count else {
            throw .protocolViolation("sifting result for \(r.matches.bitCount) detections, block \(r.block) has \(block.offsets.count)")
        }
        var perClass = [0, 0, 0, 0]
        var signal = siftBuffer
        siftBuffer = BitKey(count: 0)  // uniquely referenced while it grows
        SiftingKernel.bobSift(matches: r.matches.bytes, classes: r.classes.bytes, bits: block.bits.bytes, into: &signal, perClass: &perClass)
        siftBuffer = signal
        decoy.record(pulses: block.pulseCount, siftedPerClass: perClass)
        try cutFrames()
        if quantumLayerEnded { try sendCloseIfBobDone() }
    }

    private func cutFrames() throws(NodeError) {
        let n = Int(parameters?.frameBits ?? UInt32(config.frameBits))
        while siftBuffer.count >= n {
            let frame = FrameState(id: nextFrame, sifted: siftBuffer.slice(0..<n))
            siftBuffer = siftBuffer.slice(n..<siftBuffer.count)
            frames[nextFrame] = frame
            summary.frames += 1
            summary.siftedBits += n
            logger.debug("frame cut", metadata: ["frame": "\(nextFrame)", "t": "\(postProcessingSeconds)"])
            nextFrame += 1
            if config.role == .alice { try aliceStartEstimation(frame.id) }
        }
    }

    // MARK: Parameter estimation

    private var sampleSize: Int {
        let n = Double(parameters?.frameBits ?? UInt32(config.frameBits))
        return max(1, Int((n * (parameters?.sampleFraction ?? config.parameters.sampleFraction)).rounded()))
    }

    private func aliceStartEstimation(_ id: UInt64) throws(NodeError) {
        guard var f = frames[id] else { return }
        let n = f.sifted.count, k = sampleSize
        let seed = UInt64.random(in: 0...UInt64.max)
        f.samplePositions = ParameterEstimation.samplePositions(siftedBits: n, sampleSize: k, seed: seed)
        let bits = f.samplePositions.map { f.sifted[Int($0)] }
        f.remaining = f.sifted.removing(sortedPositions: f.samplePositions)
        frames[id] = f
        try transmit(.estimationSample(EstimationSample(
            frame: id, siftedBits: UInt32(n), sampleSize: UInt32(k), sampleSeed: seed, sampleBits: BitString(bits: bits))))
    }

    private func bobEstimate(_ e: EstimationSample) throws(NodeError) {
        guard var f = frames[e.frame], f.phase == .estimating else {
            throw .protocolViolation("estimation sample for frame \(e.frame), which Bob has not cut")
        }
        guard Int(e.siftedBits) == f.sifted.count, Int(e.sampleSize) == sampleSize else {
            throw .protocolViolation("estimation sample of \(e.sampleSize) out of \(e.siftedBits) bits, Bob expects \(sampleSize) out of \(f.sifted.count)")
        }
        f.samplePositions = ParameterEstimation.samplePositions(siftedBits: f.sifted.count, sampleSize: sampleSize, seed: e.sampleSeed)
        var errors = 0
        for (j, p) in f.samplePositions.enumerated() where f.sifted[Int(p)] != e.sampleBits[j] { errors += 1 }
        f.sampleErrors = errors
        f.remaining = f.sifted.removing(sortedPositions: f.samplePositions)
        summary.sampleBits += sampleSize
        summary.sampleErrors += errors
        let qber = Double(errors) / Double(sampleSize)
        let threshold = parameters?.qberThreshold ?? config.parameters.qberThreshold
        // The ignore-qber-threshold knob makes Bob never abort, so it skips the decoy check too.
        let neverAbort = config.bugs.contains(.ignoreQBERThreshold)
        let qberOK = qber <= threshold || neverAbort
        let decoyOK = decoy.singlePhotonsCarryKey(qber: qber) || neverAbort || config.bugs.contains(.ignoreDecoyStatistics)
        let proceed = qberOK && decoyOK
        frames[e.frame] = f
        try transmit(.estimationResult(EstimationResult(frame: e.frame, sampleErrors: UInt32(errors), proceed: proceed)))
        guard proceed else {
            logger.notice(qberOK ? "frame aborted: the decoy statistics leave no single-photon key (photon-number splitting?)"
                                 : "frame aborted: QBER above the threshold",
                          metadata: ["frame": "\(e.frame)", "qber": "\(qber)", "single_photon_share": "\(decoy.singlePhotonShare ?? 0)"])
            try abortFrame(e.frame)
            return
        }
        let variant = Self.variant(parameters?.cascadeVariant ?? 2)
        do {
            var initiator = try CascadeInitiator(
                key: f.remaining, variant: variant,
                estimatedQBER: Cascade.estimatedQBER(sampleErrors: errors, sampleSize: sampleSize),
                permutations: permutations(f.remaining.count, variant))
            let first = initiator.start()
            f.initiator = initiator
            f.phase = .reconciling
            frames[e.frame] = f
            pendingRequests[Self.lane(e.frame)].append(.init(frame: e.frame, round: first.round, queries: Self.wire(first.queries)))
        } catch { throw .postProcessing(error.description) }
        try flushRequests()
    }

    private func aliceEstimationResult(_ r: EstimationResult) throws(NodeError) {
        guard var f = frames[r.frame], f.phase == .estimating else {
            throw .protocolViolation("estimation result for frame \(r.frame), which is not being estimated")
        }
        f.sampleErrors = Int(r.sampleErrors)
        summary.sampleBits += sampleSize
        summary.sampleErrors += Int(r.sampleErrors)
        frames[r.frame] = f
        guard r.proceed else {
            try abortFrame(r.frame)
            return
        }
        let variant = Self.variant(parameters?.cascadeVariant ?? Self.code(config.parameters.cascade))
        do {
            f.responder = try CascadeResponder(
                key: f.remaining, variant: variant,
                estimatedQBER: Cascade.estimatedQBER(sampleErrors: f.sampleErrors, sampleSize: sampleSize),
                permutations: permutations(f.remaining.count, variant))
        } catch { throw .postProcessing(error.description) }
        f.phase = .reconciling
        frames[r.frame] = f
    }

    private func abortFrame(_ id: UInt64) throws(NodeError) {
        guard var f = frames[id] else { return }
        f.phase = .done
        frames[id] = f
        summary.framesAborted += 1
        if config.bugs.contains(.deliverAbortedBlock) {
            // The defect: the aborted frame's raw key goes to the store anyway.
            let raw = f.remaining.slice(0..<f.remaining.count / 2)
            try deposit(raw, keyID: Self.derivedKeyID(session: sessionID, frame: id))
        }
    }

    // MARK: Cascade

    private func aliceAnswer(_ batch: CascadeRequestBatch) throws(NodeError) {
        var replies = [CascadeReplyBatch.Entry]()
        var finishedFrames = [UInt64]()
        for entry in batch.entries {
            // Take the frame out of the table while it changes: a copy left behind would make every
            // mutation of the Cascade state copy its arrays.
            guard var f = frames.removeValue(forKey: entry.frame) else {
                throw .protocolViolation("parity queries for frame \(entry.frame), which is not being reconciled")
            }
            defer { frames[entry.frame] = f }
            guard f.phase == .reconciling, var responder = f.responder.take() else {
                throw .protocolViolation("parity queries for frame \(entry.frame), which is not being reconciled")
            }
            if entry.queries.isEmpty {
                f.parityBits = responder.disclosedParityBits
                f.responder = responder
                finishedFrames.append(entry.frame)
                continue
            }
            let request = CascadeRequest(round: entry.round, queries: entry.queries.map {
                ParityQuery(pass: Int($0.pass), start: Int($0.start), end: Int($0.end))
            })
            let reply: CascadeReply
            do { reply = try responder.answer(request) } catch {
                try? transmit(.error(ErrorReport(code: .unexpectedMessage, sequence: receiveSequence &- 1, message: error.description)))
                throw .protocolViolation(error.description)
            }
            f.responder = responder
            replies.append(.init(frame: entry.frame, round: reply.round, parities: BitString(bitCount: reply.parities.count, bytes: reply.parities.bytes)))
        }
        // Always answer, even with no entries: Bob's next batch waits for this reply.
        try transmit(.cascadeReply(CascadeReplyBatch(entries: replies)))
        for id in finishedFrames { try aliceSendVerification(id) }
    }

    private func bobReceiveReplies(_ batch: CascadeReplyBatch) throws(NodeError) {
        guard !lanesInFlight.isEmpty else { throw .protocolViolation("a Cascade reply when no request is outstanding") }
        let lane = lanesInFlight.removeFirst()
        requestInFlight[lane] = false
        for entry in batch.entries {
            guard var f = frames.removeValue(forKey: entry.frame) else {
                throw .protocolViolation("parity replies for frame \(entry.frame), which is not being reconciled")
            }
            defer { frames[entry.frame] = f }
            guard f.phase == .reconciling, var initiator = f.initiator.take() else {
                throw .protocolViolation("parity replies for frame \(entry.frame), which is not being reconciled")
            }
            guard let parities = BitKey(bytes: entry.parities.bytes, count: entry.parities.bitCount) else {
                throw .protocolViolation("malformed parity bits for frame \(entry.frame)")
            }
            let next: CascadeRequest?
            do { next = try initiator.receive(CascadeReply(round: entry.round, parities: parities)) } catch {
                try? transmit(.error(ErrorReport(code: .unexpectedMessage, sequence: receiveSequence &- 1, message: error.description)))
                throw .protocolViolation(error.description)
            }
            f.initiator = initiator
            if let next {
                pendingRequests[Self.lane(entry.frame)].append(.init(frame: entry.frame, round: next.round, queries: Self.wire(next.queries)))
            } else {
                f.parityBits = initiator.disclosedParityBits
                f.remaining = initiator.key
                f.phase = .verifying
                pendingRequests[Self.lane(entry.frame)].append(.init(frame: entry.frame, round: UInt32(initiator.rounds), queries: []))
            }
        }
        try flushRequests()
    }

    /// Sends each idle lane's pending queries in one message: the batching that keeps round trips
    /// shared across frames.
    private func flushRequests() throws(NodeError) {
        for lane in 0..<Self.cascadeLanes where !pendingRequests[lane].isEmpty && !requestInFlight[lane] {
            let entries = pendingRequests[lane]
            pendingRequests[lane].removeAll()
            requestInFlight[lane] = true
            lanesInFlight.append(lane)
            try transmit(.cascadeRequest(CascadeRequestBatch(entries: entries)))
        }
    }

    @inline(__always)
    static func lane(_ frame: UInt64) -> Int { Int(frame % UInt64(cascadeLanes)) }

    // MARK: Verification and privacy amplification

    private func aliceSendVerification(_ id: UInt64) throws(NodeError) {
        guard var f = frames[id] else { return }
        let epsilon = parameters?.epsilonCorrectness ?? config.parameters.epsilonCorrectness
        let t: Int
        do { t = try KeyVerification.instances(frameBits: f.remaining.count, epsilonCorrectness: epsilon) } catch {
            throw .postProcessing(error.description)
        }
        let v = KeyVerification(hashKeys: (0..<t).map { _ in UInt64.random(in: 0...UInt64.max) })
        f.verification = v
        f.phase = .verifying
        frames[id] = f
        try transmit(.verification(VerificationTags(frame: id, hashKeys: v.hashKeys, tags: v.tags(f.remaining))))
    }

    private func bobVerify(_ v: VerificationTags) throws(NodeError) {
        guard var f = frames[v.frame], f.phase == .verifying else {
            throw .protocolViolation("verification for frame \(v.frame), which is not reconciled")
        }
        let verification = KeyVerification(hashKeys: v.hashKeys)
        let match = verification.matches(f.remaining, aliceTags: v.tags) || config.bugs.contains(.skipVerification)
        f.verification = verification
        f.phase = match ? .amplifying : .done
        frames[v.frame] = f
        summary.disclosedBits += f.parityBits + verification.disclosedBits
        try transmit(.verificationResult(VerificationResult(frame: v.frame, match: match)))
        if !match {
            logger.notice("frame discarded: verification mismatch", metadata: ["frame": "\(v.frame)"])
            summary.framesDiscarded += 1
        }
    }

    private func aliceAmplify(_ r: VerificationResult) throws(NodeError) {
        guard var f = frames[r.frame], f.phase == .verifying, let verification = f.verification else {
            throw .protocolViolation("verification result for frame \(r.frame), which is not being verified")
        }
        summary.disclosedBits += f.parityBits + verification.disclosedBits
        guard r.match else {
            f.phase = .done
            frames[r.frame] = f
            summary.framesDiscarded += 1
            return
        }
        let length = finalLength(f, verificationBits: verification.disclosedBits)
        guard length > 0 else {
            f.phase = .done
            frames[r.frame] = f
            summary.framesDiscarded += 1
            try transmit(.privacyAmplification(PrivacyAmplificationParameters(
                frame: r.frame, finalBits: 0, toeplitzSeed: 0, keyID: [UInt8](repeating: 0, count: 16))))
            return
        }
        let toeplitzSeed = UInt64.random(in: 0...UInt64.max)
        let keyID = config.bugs.contains(.reuseKeyID) ? Self.derivedKeyID(session: sessionID, frame: 0) : UUID()
        do {
            let seed = FramePipeline.toeplitzSeed(bits: ToeplitzHash.seedBits(inputBits: f.remaining.count, outputBits: length),
                                                  frameSeed: toeplitzSeed)
            f.finalKey = try ToeplitzHash.hash(f.remaining, seed: seed, outputBits: length)
        } catch { throw .postProcessing(error.description) }
        f.keyID = keyID
        f.phase = .amplifying
        frames[r.frame] = f
        try transmit(.privacyAmplification(PrivacyAmplificationParameters(
            frame: r.frame, finalBits: UInt32(length), toeplitzSeed: toeplitzSeed, keyID: Self.bytes(keyID))))
    }

    /// ℓ from the finite-key bound with the leakage counted on this frame — or, with a bug knob,
    /// from the flawed formula that knob plants.
    func finalLength(_ f: FrameState, verificationBits: Int) -> Int {
        let p = parameters
        let threshold = p?.qberThreshold ?? config.parameters.qberThreshold
        let parity = config.bugs.contains(.uncountedLeakage) ? 0 : f.parityBits
        let leak = Double(parity + verificationBits)
        let n = f.remaining.count
        if config.bugs.contains(.overclaimKeyLength) {
            let q = Double(f.sampleErrors) / Double(max(1, sampleSize))
            return max(0, Int((Double(n) * (1 - ((try? binaryEntropy(min(0.5, q))) ?? 1)) - leak).rounded(.down)))
        }
        return (try? FiniteKeyLength(
            keyBits: n, sampleBits: sampleSize, toleratedQBER: threshold, leakedBits: leak,
            epsilonSecrecy: p?.epsilonSecrecy ?? config.parameters.epsilonSecrecy,
            epsilonCorrectness: p?.epsilonCorrectness ?? config.parameters.epsilonCorrectness
        ).secretKeyBits()) ?? 0
    }

    private func bobAmplify(_ p: PrivacyAmplificationParameters) throws(NodeError) {
        guard var f = frames[p.frame], f.phase == .amplifying else {
            throw .protocolViolation("privacy amplification for frame \(p.frame), which is not verified")
        }
        f.phase = .done
        frames[p.frame] = f
        guard p.finalBits > 0 else {
            summary.framesDiscarded += 1
            return
        }
        guard Int(p.finalBits) <= f.remaining.count, let keyID = Self.uuid(p.keyID) else {
            throw .protocolViolation("privacy amplification to \(p.finalBits) bits from \(f.remaining.count)")
        }
        let key: BitKey
        do {
            let seed = FramePipeline.toeplitzSeed(bits: ToeplitzHash.seedBits(inputBits: f.remaining.count, outputBits: Int(p.finalBits)),
                                                  frameSeed: p.toeplitzSeed)
            key = try ToeplitzHash.hash(f.remaining, seed: seed, outputBits: Int(p.finalBits))
        } catch { throw .postProcessing(error.description) }
        try deposit(key, keyID: keyID)
        summary.framesDelivered += 1
        try transmit(.keyConfirmation(KeyConfirmation(frame: p.frame, keyID: p.keyID, fingerprint: Self.fingerprint64(key))))
    }

    private func aliceConfirm(_ k: KeyConfirmation) throws(NodeError) {
        guard var f = frames[k.frame], f.phase == .amplifying, let key = f.finalKey, let keyID = f.keyID else {
            throw .protocolViolation("key confirmation for frame \(k.frame), which is not being amplified")
        }
        f.phase = .done
        f.finalKey = nil
        frames[k.frame] = f
        guard k.fingerprint == Self.fingerprint64(key) || config.bugs.contains(.skipVerification) else {
            logger.error("frame discarded: Bob's key fingerprint differs", metadata: ["frame": "\(k.frame)"])
            summary.framesDiscarded += 1
            return
        }
        try deposit(key, keyID: keyID)
        summary.framesDelivered += 1
        logger.debug("frame delivered", metadata: ["frame": "\(k.frame)", "t": "\(postProcessingSeconds)"])
    }

    private func deposit(_ key: BitKey, keyID: UUID) throws(NodeError) {
        do { try store.deposit(key, keyID: keyID) } catch { throw .postProcessing(error.description) }
        depositLog.append((keyID, key))
        summary.keys += 1
        summary.finalKeyBits += key.count
    }

    // MARK: Ending

    private func sendCloseIfBobDone() throws(NodeError) {
        guard config.role == .bob, quantumLayerEnded, ownBlocks.isEmpty, !sentClose, parameters != nil else { return }
        sentClose = true
        try transmit(.close(reason: "end of records"))
    }

    private func finishIfDone() throws(NodeError) {
        guard config.role == .alice, peerClosed, quantumLayerEnded, pendingBases.isEmpty, !finished,
              frames.values.allSatisfy({ $0.phase == .done }) else { return }
        summary.leftoverSiftedBits = siftBuffer.count
        try transmit(.close(reason: "session complete"))
        finished = true
    }

    /// Summary with the final counters filled in.
    public func finalSummary() -> NodeSummary {
        var s = summary
        s.leftoverSiftedBits = siftBuffer.count
        s.authenticationBitsConsumed = auth.pool.consumedBits
        s.postProcessingSeconds = postProcessingSeconds
        return s
    }

    // MARK: Sending

    private func transmit(_ message: Message) throws(NodeError) {
        try transmitFrame(type: message.type) { sequence in
            try Frame(sessionID: sessionID, sequence: sequence, message: message).encoded { b in
                try self.tagForSending(b, sequence: sequence)
            }
        }
    }

    /// Sends a payload encoded beforehand, numbered and tagged like any other frame.
    private func transmit(encoded payload: EncodedPayload) throws(NodeError) {
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

    // MARK: Helpers

    /// Starts drawing the session's Cascade shuffles in the background, once the parameters that
    /// fix them are agreed.
    private func preparePermutations() {
        guard let p = parameters, Int(p.frameBits) > sampleSize else { return }
        preparedPermutations = PreparedPermutations(
            frameBits: Int(p.frameBits) - sampleSize, passes: Self.variant(p.cascadeVariant).passes, seed: p.permutationSeed)
    }

    private func permutations(_ n: Int, _ variant: CascadeVariant) -> CascadePermutations {
        if let p = permutationCache[n], p.order.count >= variant.passes { return p }
        if let prepared = preparedPermutations, prepared.frameBits == n, prepared.passes >= variant.passes {
            let p = prepared.get()
            permutationCache[n] = p
            return p
        }
        let p = CascadePermutations(frameBits: n, passes: variant.passes, seed: parameters?.permutationSeed ?? 0)
        permutationCache[n] = p
        return p
    }

    /// Whether two offset lists are equal, compared as bytes (the element-wise `==` of arrays is
    /// slow for the half million offsets of a block).
    static func sameOffsets(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                guard let p = x.baseAddress, let q = y.baseAddress else { return true }  // both empty
                return memcmp(p, q, x.count) == 0
            }
        }
    }

    static func wire(_ queries: [ParityQuery]) -> [WireParityQuery] {
        queries.map { WireParityQuery(pass: $0.pass, start: $0.start, end: $0.end) }
    }

    static func code(_ v: CascadeVariant) -> UInt8 {
        switch v {
        case .original: return 0
        case .yanetal: return 1
        case .extended: return 2
        }
    }

    static func variant(_ code: UInt8) -> CascadeVariant {
        switch code {
        case 0: return .original
        case 1: return .yanetal
        default: return .extended
        }
    }

    /// Why Bob refuses Alice's parameters, or nil.
    static func check(_ p: SessionParameters) -> String? {
        if p.protocolID != 1 { return "protocol \(p.protocolID) is not supported (1 = decoy-state BB84)" }
        if p.frameBits < 1024 || p.frameBits > 1 << 24 { return "frame of \(p.frameBits) bits is outside 1024 ... 2^24" }
        if !(p.qberThreshold > 0 && p.qberThreshold <= 0.11) { return "QBER threshold \(p.qberThreshold) is outside (0, 0.11]" }
        if !(p.epsilonSecrecy > 0 && p.epsilonSecrecy < 1 && p.epsilonCorrectness > 0 && p.epsilonCorrectness < 1) {
            return "ε values must lie in (0, 1)"
        }
        if p.cascadeVariant > 2 { return "Cascade variant \(p.cascadeVariant) is unknown" }
        if !(p.sampleFraction > 0 && p.sampleFraction < 0.5) { return "sample fraction \(p.sampleFraction) is outside (0, 0.5)" }
        return nil
    }

    static func bytes(_ id: UUID) -> [UInt8] {
        withUnsafeBytes(of: id.uuid) { Array($0) }
    }

    static func uuid(_ bytes: [UInt8]) -> UUID? {
        guard bytes.count == 16 else { return nil }
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    static func derivedKeyID(session: UInt64, frame: UInt64) -> UUID {
        let d = SHA256.digest(Array("qkdspec key id".utf8) + withUnsafeBytes(of: session.bigEndian) { Array($0) }
                              + withUnsafeBytes(of: frame.bigEndian) { Array($0) })
        return uuid(Array(d.prefix(16))) ?? UUID()
    }

    static func fingerprint64(_ key: BitKey) -> UInt64 {
        UInt64(key.fingerprint, radix: 16) ?? 0
    }
}

extension Optional {
    /// Moves the value out, leaving nil: the value is then uniquely referenced and can be
    /// mutated without a copy.
    mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
