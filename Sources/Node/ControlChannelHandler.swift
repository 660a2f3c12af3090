import Capture
import Logging
import NIOCore

/// The control channel on the engine's own event loop: bytes read go straight into the engine and
/// frames the engine sends go straight onto the socket, with no task, queue or thread in between.
/// A Cascade round trip is a pair of socket reads; anything more per message multiplies by the
/// hundreds of round trips a frame needs.
final class ControlChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: NodeEngine
    private let capturePath: String?
    private var recorder: TCPStreamRecorder?
    /// Whether this node is the TCP client (Bob connects, Alice accepts), for the capture.
    private let isClient: Bool
    private let ended: EventLoopPromise<Void>
    private let idleTimeout: Duration
    private let frameTimeout: Duration
    /// When the first byte of the frame being read arrived (nil between frames).
    private var frameStarted: NIODeadline?
    private var framesCompleted = 0
    private let logger: Logger
    private var lastActivity = NIODeadline.now()
    private var watchdog: RepeatedTask?
    private var lastWrite: EventLoopFuture<Void>?
    private var active = false
    private var done = false

    /// `ended` completes when the session does: succeeded when it ran to its end, failed with
    /// the ``NodeError`` that stopped it.
    init(engine: NodeEngine, capturePath: String?, isClient: Bool, ended: EventLoopPromise<Void>, idleTimeout: Duration,
         frameTimeout: Duration = .seconds(10), logger: Logger) {
        self.frameTimeout = frameTimeout
        self.engine = engine
        self.capturePath = capturePath
        self.isClient = isClient
        self.ended = ended
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        active = true
        lastActivity = .now()
        let channel = context.channel
        let me = NIOLoopBound(self, eventLoop: context.eventLoop)
        let isClient = isClient
        do {
            if let capturePath {
                // The capture shows Bob as the TCP client, on the ports the nodes really use.
                let (local, remote) = (channel.localAddress?.port ?? 0, channel.remoteAddress?.port ?? 0)
                let (clientPort, serverPort) = isClient ? (local, remote) : (remote, local)
                recorder = TCPStreamRecorder(writer: try PcapWriter(path: capturePath),
                                             client: .init(address: (127, 0, 0, 2), port: UInt16(truncatingIfNeeded: clientPort)),
                                             server: .init(address: (127, 0, 0, 1), port: UInt16(truncatingIfNeeded: serverPort)))
            }
            try engine.assumeIsolated { engine in
                try engine.connected { bytes in
                    me.value.recorder?.record(fromClient: isClient, bytes)
                    // The engine runs on this loop, so the write happens here and now, in call order.
                    me.value.lastWrite = channel.writeAndFlush(ByteBuffer(bytes: bytes))
                }
            }
        } catch {
            finish(error, context: context)
            return
        }
        let timeout = idleTimeout, idleAmount = TimeAmount(idleTimeout)
        let frameLimit = frameTimeout, frameAmount = TimeAmount(frameTimeout)
        let engine = engine
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { _ in
            let handler = me.value
            guard !handler.done else { return }
            if let started = handler.frameStarted, NIODeadline.now() - started > frameAmount {
                // Bytes keep coming, so the idle timer never fires, but the frame never ends.
                handler.finish(engine.assumeIsolated { $0.frameDeadlinePassed(frameLimit) }, channel: channel)
                return
            }
            guard NIODeadline.now() - handler.lastActivity > idleAmount else { return }
            handler.finish(NodeError.timeout("the peer sent nothing for \(timeout)"), channel: channel)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        lastActivity = .now()
        let buffer = unwrapInboundIn(data)
        let bytes = Array(buffer.readableBytesView)
        recorder?.record(fromClient: !isClient, bytes)
        do {
            if try engine.assumeIsolated({ try $0.receiveControl(bytes) }) {
                finish(nil, context: context)
                return
            }
            // The frame deadline runs from the first byte of each frame: restarted when a frame
            // completed in this read and another began, cleared between frames.
            let (pending, completed) = engine.assumeIsolated { ($0.pendingFrameBytes, $0.summary.messagesReceived) }
            if pending == 0 {
                frameStarted = nil
            } else if frameStarted == nil || completed != framesCompleted {
                frameStarted = .now()
            }
            framesCompleted = completed
        } catch {
            finish(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        watchdog?.cancel()
        recorder?.finish()
        recorder = nil
        guard active, !done else { return }
        done = true
        // The peer closed first: the engine decides whether that ended the session or cut it short
        // (and the hang-on-truncated-frame knob hangs here, which is why this one call is async).
        let engine = engine, ended = ended
        Task {
            do {
                try await engine.controlClosed()
                ended.succeed()
            } catch {
                ended.fail(error)
            }
        }
        context.fireChannelInactive()
    }

    /// A socket error (a reset, typically) ends the connection like a close does: the engine then
    /// judges whether the session was complete or cut short.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("control channel error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func finish(_ error: (any Error)?, context: ChannelHandlerContext) {
        finish(error, channel: context.channel)
    }

    /// Ends the session: every frame already written (the last CLOSE, an ERROR or ABORT) leaves
    /// before the connection closes and the waiter hears the outcome.
    private func finish(_ error: (any Error)?, channel: any Channel) {
        guard !done else { return }
        done = true
        watchdog?.cancel()
        let ended = ended
        let me = NIOLoopBound(self, eventLoop: channel.eventLoop)
        let flushed = lastWrite ?? channel.eventLoop.makeSucceededVoidFuture()
        flushed.whenComplete { _ in
            me.value.recorder?.finish()
            me.value.recorder = nil
            channel.close(promise: nil)
            if let error { ended.fail(error) } else { ended.succeed() }
        }
    }
}
