import Foundation
import Wire

/// The most a node process held during a session: resident memory and open file descriptors,
/// sampled from /proc (Linux). The process the harness started is the one measured: a node
/// started through a wrapper script is measured as the script.
package struct NodeResources: Sendable, Codable, Equatable {
    /// Peak resident set (VmRSS), KiB.
    package var peakResidentKiB = 0
    /// Peak entries in /proc/PID/fd.
    package var peakOpenFiles = 0
    /// Samples taken (0: /proc could not be read, e.g. not Linux).
    package var samples = 0

    package init() {}

    /// VmRSS of `pid` in KiB, from /proc/PID/status; nil when it cannot be read.
    package static func residentKiB(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// Open file descriptors of `pid` (entries of /proc/PID/fd); nil when they cannot be listed.
    package static func openFiles(of pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }
}

/// Samples the node processes of one session every `interval` until stopped.
final class ResourceSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peaks: [Role: NodeResources] = [:]
    private var task: Task<Void, Never>?

    init(pids: [(Role, Int32)], interval: Duration = .milliseconds(50)) {
        task = Task.detached { [weak self] in
            while !Task.isCancelled {
                // Gone: nobody will stop this sampler, so it stops itself.
                guard let self else { return }
                for (role, pid) in pids { self.sample(role, pid) }
                try? await Task.sleep(for: interval)
            }
        }
    }

    private func sample(_ role: Role, _ pid: Int32) {
        let rss = NodeResources.residentKiB(of: pid), fds = NodeResources.openFiles(of: pid)
        guard rss != nil || fds != nil else { return }
        lock.withLock {
            var r = peaks[role] ?? NodeResources()
            r.peakResidentKiB = max(r.peakResidentKiB, rss ?? 0)
            r.peakOpenFiles = max(r.peakOpenFiles, fds ?? 0)
            r.samples += 1
            peaks[role] = r
        }
    }

    deinit { task?.cancel() }

    /// Stops sampling; the peaks per node.
    func stop() -> [Role: NodeResources] {
        task?.cancel()
        return lock.withLock { peaks }
    }
}
