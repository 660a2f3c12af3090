import Foundation
import Wire

// MARK: Robustness: malformed input to a node in its own process, between two sanity sessions

extension Catalogue {
    /// A robustness case: a clean session proves the stack works, the probe sends Alice's node the
    /// malformed input (a crash or a hang is a verdict, not the end of the run), and a second clean
    /// session proves the stack survived.
    static func robustness(id: String, title: String, requirement: String, bytes: [UInt8], closeAfter: Bool) -> ConformanceCase {
        ConformanceCase(id: id, title: title, requirement: requirement, level: .must, reference: "docs/protocol.md (limits, strict decoding)",
                        tags: ["robustness"]) { ctx in
            guard let probe = try ctx.target.probe() else {
                return .unimplemented("the target's Alice is not started by the harness, so it cannot be probed on its own")
            }
            let before = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: nil)
            if let o = survival(before) { return o }
            guard !before.bobKeys.isEmpty else {
                return CaseOutcome(holds: false, detail: "the sanity session before the probe delivered no agreed key (\(describe(before))): robustness cannot be judged",
                                   verdict: .error, session: before)
            }
            let (ending, log) = try probe.probe(sending: bytes, closeAfter: closeAfter, seconds: 10)
            let verdictOfProbe: CaseOutcome?
            switch ending {
            case .crashed(let signal):
                verdictOfProbe = CaseOutcome(holds: false, detail: "the node died of signal \(signal)", verdict: .crash)
            case .stillRunning:
                verdictOfProbe = CaseOutcome(holds: false, detail: "the node neither refused the input nor ended the session within 10 s", verdict: .timeout)
            case .exited(let status) where status == 0:
                verdictOfProbe = CaseOutcome(holds: false, detail: "the node ended the session with exit 0, as if nothing were wrong")
            case .exited:
                verdictOfProbe = nil
            }
            if let verdictOfProbe { return verdictOfProbe }
            let after = try await ctx.target.run(scenario: honest(), seed: ctx.seed &+ 1, fault: nil)
            if let o = survival(after) { return o }
            let reason = log.split(separator: "\n").last(where: { $0.hasPrefix("error:") }).map(String.init) ?? "no error message"
            let survived = !after.bobKeys.isEmpty
            return CaseOutcome(
                holds: survived,
                detail: "clean session before: \(before.bobKeys.count) keys; the node refused the input (\(ending)): \(reason); clean session after: \(after.bobKeys.count) keys",
                session: after)
        }
    }

    /// A frame header announcing a 2 GiB payload (the limit is 16 MiB).
    static let oversizedHeader: [UInt8] = [0x51, 0x4b, 0x44, 0x57, 1, 0x70, 0, 0] + [UInt8](repeating: 0, count: 16) + [0x7f, 0, 0, 0]

    static let oversizedFrame = robustness(
        id: "robustness/oversized-frame", title: "A frame over the size limit is refused without harm",
        requirement: "A frame whose header announces more than the protocol's limit must be refused with an error before anything is allocated; the node must neither crash nor hang, and the stack must still work afterwards.",
        bytes: oversizedHeader, closeAfter: false)

    static let truncatedFrame = robustness(
        id: "robustness/truncated-frame", title: "A connection cut inside a frame ends the session cleanly",
        requirement: "When the control connection closes in the middle of a frame, the node must end the session with an error; it must neither crash nor hang, and the stack must still work afterwards.",
        bytes: Array(oversizedHeader.prefix(12)), closeAfter: true)
}
