import Foundation
import Node

/// Which stack the network fuzzer attacks and how its sessions are cut short, as a reproducer
/// records it: the reference stack with its bug knobs, or a target file; the hang timeout; the
/// quantum-layer blocks per session. The same value builds the target for the campaign and for
/// the replay of a reproducer.
package struct FuzzTargetSpec: Sendable, Codable, Equatable {
    /// The reference stack's bug knobs (empty: the clean reference); nil when ``file`` is set.
    package var referenceBugs: [BugKnob]?
    /// A target file (absolute path, docs/targets.md); nil for the reference stack.
    package var file: String?
    /// A node still running this long after its session started hung (session_timeout_s).
    package var hangTimeoutSeconds: Double
    /// The reference nodes' --idle-timeout: how long they wait on a silent peer before giving
    /// up. Kept well under the hang timeout, so that a frame the fuzzer made vanish ends the
    /// session by the node's own rule, not as a hang.
    package var idleTimeoutSeconds: Int
    /// Quantum-layer blocks per session (fewer: faster sessions, fewer frames).
    package var blocks: Int
    /// What a node may hold before it is a resource blow-up.
    package var limits = ResourceLimits()

    package init(referenceBugs: [BugKnob]?, file: String?, hangTimeoutSeconds: Double, idleTimeoutSeconds: Int, blocks: Int) {
        self.referenceBugs = referenceBugs
        self.file = file
        self.hangTimeoutSeconds = hangTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.blocks = blocks
    }

    enum CodingKeys: String, CodingKey {
        case file, blocks, limits
        case referenceBugs = "reference_bugs", hangTimeoutSeconds = "hang_timeout_s", idleTimeoutSeconds = "idle_timeout_s"
    }

    /// How reports name the target.
    package var name: String {
        if let file { return file }
        let bugs = (referenceBugs ?? []).map(\.rawValue).sorted()
        return bugs.isEmpty ? "reference" : "reference with " + bugs.joined(separator: ", ")
    }

    /// The target, with its sessions bounded by the hang timeout; `executable` fills `{qkdspec}`
    /// and starts the reference nodes, sessions go under `workRoot`.
    package func makeTarget(executable: String, workRoot: String) throws -> ProcessTarget {
        var target: TargetFile
        if let file {
            target = try TargetFile.load(path: file)
        } else {
            target = ReferenceNodeCommand(executable: executable, bugs: Set(referenceBugs ?? [])).targetFile
            target.alice.command = target.alice.command.map(withIdleTimeout)
            target.bob.command = target.bob.command.map(withIdleTimeout)
            // ReferenceNodeCommand turns Swift's crash backtracer off: the fuzzer needs the death, not the backtrace.
        }
        target.sessionTimeoutSeconds = hangTimeoutSeconds
        target.blocks = blocks
        let t = try ProcessTarget(file: target, executable: executable, workRoot: workRoot)
        try t.preflight()
        return t
    }

    /// A reference node's command with the fuzzer's idle timeout.
    func withIdleTimeout(_ command: [String]) -> [String] {
        var c = command
        if let i = c.firstIndex(of: "--idle-timeout"), i + 1 < c.count { c[i + 1] = String(idleTimeoutSeconds) }
        return c
    }
}
