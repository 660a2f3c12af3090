import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stop that may be requested before the work it stops exists.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var cancel: (@Sendable () -> Void)?

    func request() {
        lock.lock()
        requested = true
        let c = cancel
        lock.unlock()
        c?()
    }

    /// Whether a stop was requested.
    var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    func attach<T>(_ task: Task<T, any Error>) {
        lock.lock()
        cancel = { task.cancel() }
        let already = requested
        lock.unlock()
        if already { task.cancel() }
    }
}

/// The write end of the signal pipe: all a signal handler may touch is a write(2) to it.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Runs a handler on SIGINT/SIGTERM instead of dying, so the node (or a run) can stop cleanly.
///
/// The C handler is installed with sigaction, which is in force for every thread as soon as it
/// returns — a dispatch signal source arms itself later, on another thread, and a signal that
/// arrives in between (a SIGTERM right after the node says it listens) would be lost. The handler
/// only writes the signal's number to a pipe; a thread of ours reads it and calls `handler`.
final class SignalTrap: @unchecked Sendable {
    private let signals: [Int32]
    private var fds: [Int32] = [-1, -1]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        signalPipeWriteEnd = fds[1]
        let readEnd = fds[0]
        let reader = Thread {
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) == 1 { handler(Int32(byte)) }
        }
        reader.start()
        for s in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                var b = UInt8(truncatingIfNeeded: signal)
                _ = write(signalPipeWriteEnd, &b, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(s, &action, nil)
        }
    }

    /// Stops trapping: the signals are ignored from here on (the process is on its way out).
    func cancel() {
        for s in signals { signal(s, SIG_IGN) }
    }
}
