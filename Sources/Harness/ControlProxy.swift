import Capture
import Foundation
import NIOCore
import NIOPosix
import Wire

/// The man in the middle of a control channel over real TCP: Bob connects to the proxy, the proxy
/// connects to Alice, and every byte passes through it. For the reference protocol it cuts each
/// side's stream into frames, hands each to the ledger and to that direction's fault, and sends
/// on what the fault says; for an opaque (vendor) protocol it does the same with the chunks as
/// they arrive. It records what Bob and Alice actually received to a pcap file.
package final class ControlProxy: @unchecked Sendable {
    package let kind: ControlChannelKind
    private let upstream: (host: String, port: Int)
    private let aliceFault: ChannelFault?
    private let bobFault: ChannelFault?
    private let ledger = WireLedger()
    private let capturePath: String?
    /// A capture shared with other recorders of the session (the quantum-layer feeds); when
    /// given, the relayed connection is recorded into it instead of a file of its own.
    private let captureWriter: PcapWriter?
    /// An opaque protocol's declared framing: faults then see its messages, not byte chunks.
    private let framing: MessageFraming?
    private let loop: any EventLoop
    private var server: (any Channel)?
    private let done: EventLoopPromise<Void>
    private let lock = NSLock()
    private var connections = 0
    private var connectError: String?

    /// The port Bob connects to.
    package private(set) var port = 0

    package init(kind: ControlChannelKind, upstream: (host: String, port: Int), aliceFault: ChannelFault?, bobFault: ChannelFault? = nil,
                capturePath: String?, captureWriter: PcapWriter? = nil, framing: MessageFraming? = nil) {
        self.kind = kind
        self.framing = kind == .opaque ? framing : nil
        self.captureWriter = captureWriter
        self.upstream = upstream
        self.aliceFault = aliceFault
        self.bobFault = bobFault
        self.capturePath = capturePath
        loop = MultiThreadedEventLoopGroup.singleton.next()
        done = loop.makePromise(of: Void.self)
    }

    /// Listens on `host:port` (0: a free port).
    package func start(host: String = "127.0.0.1", port: Int = 0) async throws {
        let proxy = self
        let channel = try await ServerBootstrap(group: loop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelInitializer { bob in
                bob.eventLoop.makeCompletedFuture { try proxy.accept(bob) }
            }
            .bind(host: host, port: port).get()
        server = channel
        self.port = channel.localAddress?.port ?? port
    }

    /// What the ledger decoded (reference protocol) so far.
    package var observation: WireObservation { ledger.snapshot() }

    /// Why the proxy could not reach Alice, if it could not.
    package var upstreamFailure: String? { lock.withLock { connectError } }

    /// Completes when the relayed connection has closed on both sides.
    package func finished(timeout: Duration) async -> Bool {
        let timer = loop.scheduleTask(in: TimeAmount(max(timeout, .zero))) {}
        let result = loop.makePromise(of: Bool.self)
        done.futureResult.whenComplete { _ in result.succeed(true) }
        timer.futureResult.whenComplete { _ in result.succeed(false) }
        defer { timer.cancel() }
        return (try? await result.futureResult.get()) ?? false
    }

    package func stop() async {
        try? await server?.close()
        done.succeed()
    }

    // MARK: Relaying

    /// Bob connected: connect to Alice, then relay in both directions.
    private func accept(_ bob: any Channel) throws {
        let first = lock.withLock { () -> Bool in
            connections += 1
            return connections == 1
        }
        // One session per proxy: a second connection is turned away.
        guard first else {
            bob.close(promise: nil)
            return
        }
        let writer = try captureWriter ?? capturePath.map { try PcapWriter(path: $0) }
        let recorder = writer.map { writer in
            TCPStreamRecorder(writer: writer,
                              client: .init(address: (127, 0, 0, 2), port: UInt16(truncatingIfNeeded: bob.remoteAddress?.port ?? 50_000)),
                              server: .init(address: (127, 0, 0, 1), port: UInt16(truncatingIfNeeded: upstream.port)))
        }
        let state = RelayState(recorder: recorder)
        let bobHandler = DirectionRelay(side: .bob, state: state, ledger: ledger, fault: bobFault, kind: kind, framing: framing)
        try bob.pipeline.syncOperations.addHandler(bobHandler)
        connectToAlice(bob: bob, state: state, deadline: .now() + .seconds(10))
    }

    private func connectToAlice(bob: any Channel, state: RelayState, deadline: NIODeadline) {
        let proxy = self, ledger = ledger, fault = aliceFault, kind = kind, framing = framing
        ClientBootstrap(group: bob.eventLoop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { alice in
                alice.eventLoop.makeCompletedFuture {
                    try alice.pipeline.syncOperations.addHandler(
                        DirectionRelay(side: .alice, state: state, ledger: ledger, fault: fault, kind: kind, framing: framing, peer: bob))
                }
            }
            .connect(host: upstream.host, port: upstream.port)
            .whenComplete { result in
                switch result {
                case .success(let alice):
                    state.alice = alice
                    state.bob = bob
                    bob.read()  // start relaying Bob's bytes now that Alice is there
                    bob.closeFuture.and(alice.closeFuture).whenComplete { _ in
                        state.recorder?.finish()
                        proxy.done.succeed()
                    }
                case .failure(let error):
                    if NIODeadline.now() < deadline {
                        bob.eventLoop.scheduleTask(in: .milliseconds(50)) { proxy.connectToAlice(bob: bob, state: state, deadline: deadline) }
                    } else {
                        proxy.lock.withLock { proxy.connectError = "cannot reach Alice's control channel at \(proxy.upstream.host):\(proxy.upstream.port): \(error)" }
                        bob.close(promise: nil)
                        proxy.done.succeed()
                    }
                }
            }
    }
}

/// The two connections of one relayed session (touched on their shared event loop only).
final class RelayState: @unchecked Sendable {
    var alice: (any Channel)?
    var bob: (any Channel)?
    let recorder: TCPStreamRecorder?
    init(recorder: TCPStreamRecorder?) { self.recorder = recorder }

    func peer(of side: Role) -> (any Channel)? { side == .alice ? bob : alice }
}

/// One direction of the relay: what `side` sends is cut into frames (or taken chunk by chunk, for
/// an opaque protocol), each goes to the ledger and through that direction's fault, and the
/// resulting actions run in order — a delay holds back everything after it. Alice's relay is
/// created once Bob is there; Bob's before Alice is, but his reads only start once she is.
final class DirectionRelay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let side: Role
    private let state: RelayState
    private let ledger: WireLedger
    private let fault: ChannelFault?
    private var framer = FrameDecoder()
    /// Bytes not yet cut into a frame, forwarded as they are if the side closes mid-frame.
    private var carry: [UInt8] = []
    private var framing: Bool
    /// An opaque protocol's messages, by its declared framing (nil once the stream broke it).
    private var splitter: MessageSplitter?
    private var index = 0
    private var queue: [FaultAction] = []
    private var waiting = false
    private var closed = false
    private let fixedPeer: (any Channel)?

    init(side: Role, state: RelayState, ledger: WireLedger, fault: ChannelFault?, kind: ControlChannelKind, framing declared: MessageFraming? = nil,
         peer: (any Channel)? = nil) {
        self.side = side
        self.state = state
        self.ledger = ledger
        self.fault = fault
        framing = kind == .reference
        splitter = kind == .opaque ? declared.map(MessageSplitter.init) : nil
        fixedPeer = peer
    }

    private var peer: (any Channel)? { fixedPeer ?? state.peer(of: side) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        ledger.observe(from: side, bytes)
        guard fault != nil else {
            // Nothing to alter: relay as it comes.
            send(bytes)
            return
        }
        var units: [[UInt8]] = []
        if framing {
            framer.append(bytes)
            carry += bytes
            do {
                while let raw = try framer.nextRaw() { units.append(Array(raw.bytes)) }
                if !units.isEmpty { carry.removeFirst(carry.count - framer.pendingBytes) }
            } catch {
                // Not our protocol after all (or broken): pass the rest through as it comes.
                framing = false
                units.append(carry)
                carry = []
            }
        } else if splitter != nil {
            // Mutated in place through the optional: a local copy would copy its buffer on every read.
            splitter?.append(bytes)
            do {
                while let message = try splitter?.next() ?? nil { units.append(message) }
            } catch {
                // The stream does not follow its declared framing: the rest goes as it comes.
                units.append(splitter?.pendingBytes ?? [])
                splitter = nil
            }
        } else {
            units.append(bytes)
        }
        for unit in units {
            queue += fault?(index, unit) ?? [.send(unit)]
            index += 1
        }
        pump(context.eventLoop)
    }

    private func send(_ bytes: [UInt8]) {
        state.recorder?.record(fromClient: side == .bob, bytes)
        peer?.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }

    private func pump(_ loop: any EventLoop) {
        guard !waiting else { return }
        while !queue.isEmpty, !closed {
            switch queue.removeFirst() {
            case .send(let b):
                send(b)
            case .delay(let d):
                waiting = true
                let me = NIOLoopBound(self, eventLoop: loop)
                loop.scheduleTask(in: TimeAmount(d)) {
                    me.value.waiting = false
                    me.value.pump(loop)
                }
                return
            case .close:
                closed = true
                state.alice?.close(promise: nil)
                state.bob?.close(promise: nil)
                peer?.close(promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Bob's side reads on demand (his reads wait for Alice); keep it reading.
        if side == .bob { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // This side went away: the other gets what is still queued, then the close (half a
        // connection is no connection).
        if framing, fault != nil, !carry.isEmpty { queue.append(.send(carry)) }
        if let rest = splitter?.pendingBytes, fault != nil, !rest.isEmpty { queue.append(.send(rest)) }
        let peer = peer
        if waiting {
            queue.append(.close)
        } else {
            pump(context.eventLoop)
            peer?.writeAndFlush(ByteBuffer(), promise: nil)
            peer?.close(promise: nil)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
