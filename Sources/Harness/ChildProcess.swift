import CSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process the harness starts (a node, a shim, the demo's nodes): the one wrapper every
/// child goes through, so every child starts in the same clean state and can be stopped at once.
///
/// - The child leads a process group of its own: ``kill()`` kills the group, so a shell script
///   that starts the real program does not leave it behind.
/// - It starts with every signal at its default disposition and none blocked (the harness traps
///   SIGINT and SIGTERM; Foundation's `Process` passes the calling thread's mask on, and a child
///   started with SIGTERM blocked ignores `kill`).
/// - On Linux it dies with the harness (PR_SET_PDEATHSIG): a harness killed with SIGKILL leaves
///   no orphan. Children are therefore started from one thread that lives as long as the process.
/// - Its standard error may be drained continuously (``Output/tail(bytes:)``): a chatty child
///   never blocks on a full pipe.
/// - ``stopAll()`` kills every live child at once (an interrupted run).
package final class ChildProcess: @unchecked Sendable {
    /// Where the child's standard input comes from.
    package enum Input: Sendable {
        case null
        /// A pipe the harness writes with ``write(_:)``.
        case pipe
    }

    /// Where a child's standard output or error goes.
    package enum Output: Sendable, Equatable {
        case null
        /// Appended to this file (created if needed); output and error may share one.
        case file(String)
        /// Read as lines, in order, with ``nextLine(until:)``; a line longer than `maximum` bytes
        /// ends the reading (``LineWait/tooLong``).
        case lines(maximum: Int)
        /// Drained continuously; only the last `bytes` are kept (``errorTail``).
        case tail(bytes: Int)
    }

    /// What waiting for a line of output gave.
    package enum LineWait: Sendable, Equatable {
        case line(String)
        /// The output closed (the child ended or closed it).
        case ended
        case timedOut
        /// The child wrote a line longer than the limit.
        case tooLong
    }

    package let pid: pid_t
    package let command: [String]
    /// The file standard error goes to, when it goes to one.
    package let errorsPath: String?
    private let lock = NSCondition()
    private var reaped: ProcessEnding?
    private var stopped = false
    private var inputFD: Int32 = -1
    // Line reading (standard output).
    private var lines: [String] = []
    private var outputEnded = false
    private var lineTooLong = false
    // The tail of standard error.
    private var tail: [UInt8] = []
    private var tailLimit = 0

    /// Starts `command` (argv; a first element without `/` is looked up on PATH) with the
    /// harness's environment plus `environment`.
    package init(command: [String], environment: [String: String] = [:], input: Input = .null, output: Output = .null,
                errors: Output = .null) throws {
        guard let first = command.first, !first.isEmpty else { throw HarnessError("the command is empty") }
        guard !Self.registry.isStopping else { throw HarnessError("the run was interrupted: '\(first)' was not started") }
        Self.ignoreSIGPIPE
        self.command = command
        if case .file(let path) = errors { errorsPath = path } else { errorsPath = nil }
        var toClose: [Int32] = []
        defer { for fd in toClose { close(fd) } }
        func open(_ o: Output, forStandardError: Bool) throws -> (child: Int32, parent: Int32?) {
            switch o {
            case .null:
                let fd = Glibc.open("/dev/null", O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { throw HarnessError("cannot open /dev/null: \(Self.errnoText())") }
                toClose.append(fd)
                return (fd, nil)
            case .file(let path):
                let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw HarnessError("cannot open \(path) for the output of '\(first)': \(Self.errnoText())") }
                toClose.append(fd)
                return (fd, nil)
            case .lines, .tail:
                var fds: [Int32] = [-1, -1]
                guard qkdspec_pipe_cloexec(&fds) == 0 else { throw HarnessError("cannot create a pipe: \(Self.errnoText())") }
                toClose.append(fds[1])
                return (fds[1], fds[0])
            }
        }
        let stdinFD: Int32
        switch input {
        case .null:
            stdinFD = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard stdinFD >= 0 else { throw HarnessError("cannot open /dev/null: \(Self.errnoText())") }
            toClose.append(stdinFD)
        case .pipe:
            var fds: [Int32] = [-1, -1]
            guard qkdspec_pipe_cloexec(&fds) == 0 else { throw HarnessError("cannot create a pipe: \(Self.errnoText())") }
            toClose.append(fds[0])
            stdinFD = fds[0]
            inputFD = fds[1]
        }
        let out = try open(output, forStandardError: false)
        let err: (child: Int32, parent: Int32?)
        if case .file(let a) = output, case .file(let b) = errors, a == b { err = (out.child, nil) } else {
            err = try open(errors, forStandardError: true)
        }
        let path = CommandPath.resolve(first)
        let environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let started = Self.spawner.run { () -> (pid_t, Int32) in
            let pid = Self.withCStrings(command) { argv in
                Self.withCStrings(environment) { envp in qkdspec_spawn(path, argv, envp, stdinFD, out.child, err.child) }
            }
            return (pid, errno)
        }
        guard started.0 > 0 else {
            if inputFD >= 0 { close(inputFD) }
            for fd in [out.parent, err.parent].compactMap({ $0 }) { close(fd) }
            throw HarnessError("cannot start '\(command.joined(separator: " "))': \(String(cString: strerror(started.1)))")
        }
        pid = started.0
        Self.registry.add(pid)
        if let fd = out.parent {
            if case .lines(let maximum) = output { readLines(fd, maximum: maximum) } else { drain(fd, keep: Self.tailSize(output)) }
        }
        if let fd = err.parent {
            if case .lines(let maximum) = errors { readLines(fd, maximum: maximum) } else { drain(fd, keep: Self.tailSize(errors)) }
        }
    }

    deinit {
        if inputFD >= 0 { close(inputFD) }
    }

    private static func tailSize(_ o: Output) -> Int {
        if case .tail(let bytes) = o { return max(0, bytes) }
        return 0
    }

    // MARK: Ending

    /// Whether the child is still running (reaps it when it has ended).
    package var isRunning: Bool { poll() == nil }

    /// How the child ended, once it has (nil while it runs).
    package var ending: ProcessEnding? { poll() }

    private func poll() -> ProcessEnding? {
        lock.lock()
        defer { lock.unlock() }
        if let reaped { return reaped }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { reaped = Self.decode(status) } else if r < 0 && errno == ECHILD { reaped = .exited(-1) }
        return reaped
    }

    static func decode(_ status: Int32) -> ProcessEnding {
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .crashed(signal: signal)
    }

    /// Waits for the child to end; at `deadline` (or when the task is cancelled) kills it and
    /// says `.timedOut`.
    package func wait(until deadline: ContinuousClock.Instant) async -> ProcessEnding {
        while ContinuousClock.now < deadline && !Task.isCancelled {
            if let e = poll() { return e }
            try? await Task.sleep(for: .milliseconds(5))
        }
        if let e = poll() { return e }
        kill()
        return .timedOut
    }

    /// ``wait(until:)`` for callers that are not async.
    package func waitBlocking(until deadline: ContinuousClock.Instant) -> ProcessEnding {
        while ContinuousClock.now < deadline {
            if let e = poll() { return e }
            usleep(5_000)
        }
        if let e = poll() { return e }
        kill()
        return .timedOut
    }

    /// Kills the child's process group (the child and whatever it started) and reaps the child.
    /// Safe to call more than once, and after the child ended by itself.
    package func kill() {
        lock.lock()
        if !stopped {
            stopped = true
            // The group outlives its leader while members remain, and its ID is not reused meanwhile.
            _ = killpg(pid, SIGKILL)
            if inputFD >= 0 {
                close(inputFD)
                inputFD = -1
            }
        }
        if reaped == nil {
            var status: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
            reaped = r == pid ? Self.decode(status) : .exited(-1)
        }
        lock.unlock()
        Self.registry.remove(pid)
    }

    /// Whether the harness killed the child (``kill()``, or a deadline passed).
    package var killedByHarness: Bool { lock.withLock { stopped } }

    /// Asks the child to stop (SIGTERM to its group), then kills it after `grace`.
    package func terminate(grace: Duration = .milliseconds(500)) {
        lock.lock()
        let live = !stopped && reaped == nil
        lock.unlock()
        if live { _ = killpg(pid, SIGTERM) }
        _ = waitBlocking(until: .now + grace)
        kill()
    }

    // MARK: Standard input

    /// Writes `data` to the child's standard input (``Input/pipe``); throws when the child closed it.
    package func write(_ data: Data) throws {
        lock.lock()
        let fd = inputFD
        lock.unlock()
        guard fd >= 0 else { throw HarnessError("the child's standard input is closed") }
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw HarnessError("writing to '\(command[0])' failed: \(Self.errnoText())")
                }
                offset += n
            }
        }
    }

    /// Closes the child's standard input (it sees end of file).
    package func closeInput() {
        lock.lock()
        if inputFD >= 0 {
            close(inputFD)
            inputFD = -1
        }
        lock.unlock()
    }

    // MARK: Standard output and error

    /// The next line the child wrote (``Output/lines(maximum:)``), waiting until `deadline`.
    package func nextLine(until deadline: Date) -> LineWait {
        lock.lock()
        defer { lock.unlock() }
        while lines.isEmpty {
            if lineTooLong { return .tooLong }
            if outputEnded { return .ended }
            if !lock.wait(until: deadline) { return lines.isEmpty ? .timedOut : .line(lines.removeFirst()) }
        }
        return .line(lines.removeFirst())
    }

    /// The last bytes the child wrote to a drained output (``Output/tail(bytes:)``), as text.
    package var errorTail: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: tail, as: UTF8.self)
    }

    /// Reads `fd` to its end on a thread of its own, splitting lines as they come: each byte is
    /// looked at once, so a long line costs time in proportion to its length.
    private func readLines(_ fd: Int32, maximum: Int) {
        Thread.detachNewThread { [self] in
            defer { close(fd) }
            var pending: [UInt8] = []
            var scanned = 0
            var discarding = false
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                if discarding { continue }
                pending.append(contentsOf: chunk[0..<n])
                var start = 0
                var found: [String] = []
                while let newline = pending[scanned...].firstIndex(of: 0x0A) {
                    found.append(String(decoding: pending[start..<newline], as: UTF8.self))
                    start = newline + 1
                    scanned = start
                }
                scanned = pending.count
                if start > 0 {
                    pending.removeFirst(start)
                    scanned -= start
                }
                let tooLong = pending.count > maximum || found.contains { $0.utf8.count > maximum }
                lock.lock()
                lines.append(contentsOf: found.filter { $0.utf8.count <= maximum })
                if tooLong { lineTooLong = true }
                lock.broadcast()
                lock.unlock()
                if tooLong {
                    discarding = true
                    pending = []
                    scanned = 0
                }
            }
            lock.lock()
            outputEnded = true
            lock.broadcast()
            lock.unlock()
        }
    }

    /// Reads `fd` to its end on a thread of its own, keeping only the last `keep` bytes.
    private func drain(_ fd: Int32, keep: Int) {
        lock.lock()
        tailLimit = keep
        lock.unlock()
        Thread.detachNewThread { [self] in
            defer { close(fd) }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                guard keep > 0 else { continue }
                lock.lock()
                tail.append(contentsOf: chunk[0..<n])
                if tail.count > 2 * keep { tail.removeFirst(tail.count - keep) }
                lock.unlock()
            }
            lock.lock()
            if tail.count > keep { tail.removeFirst(tail.count - keep) }
            lock.unlock()
        }
    }

    // MARK: Every child at once

    /// Kills every live child's process group, and refuses to start new ones from now on (an
    /// interrupted run stops its sessions and shims at once instead of waiting for deadlines).
    package static func stopAll() {
        for pid in registry.stop() { _ = killpg(pid, SIGKILL) }
    }

    /// The pids of live children, for ``stopAll()``.
    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var pids = Set<pid_t>()
        private var stopping = false
        var isStopping: Bool { lock.withLock { stopping } }
        func add(_ pid: pid_t) {
            lock.withLock { _ = pids.insert(pid) }
            // A child started while stopAll ran is stopped too.
            if isStopping { _ = killpg(pid, SIGKILL) }
        }
        func remove(_ pid: pid_t) { lock.withLock { _ = pids.remove(pid) } }
        func stop() -> Set<pid_t> { lock.withLock { stopping = true; return pids } }
    }

    private static let registry = Registry()

    // MARK: Spawning

    /// The one thread that starts children: PR_SET_PDEATHSIG fires when the *thread* that started
    /// a child ends, and pool threads come and go.
    private final class Spawner: @unchecked Sendable {
        private let condition = NSCondition()
        private var jobs: [() -> Void] = []

        init() {
            let thread = Thread { [self] in
                while true {
                    condition.lock()
                    while jobs.isEmpty { condition.wait() }
                    let job = jobs.removeFirst()
                    condition.unlock()
                    job()
                }
            }
            thread.name = "qkdspec-spawner"
            thread.start()
        }

        func run(_ body: @escaping () -> (pid_t, Int32)) -> (pid_t, Int32) {
            let box = Box()
            condition.lock()
            jobs.append {
                box.value = body()
                box.done.signal()
            }
            condition.signal()
            condition.unlock()
            box.done.wait()
            return box.value
        }

        private final class Box: @unchecked Sendable {
            var value: (pid_t, Int32) = (-1, 0)
            let done = DispatchSemaphore(value: 0)
        }
    }

    private static let spawner = Spawner()

    /// A write to a child that has gone must be an error, not a SIGPIPE that ends the harness.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// This executable's path, to start child nodes from the same build and to write reproduce lines.
    package static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
