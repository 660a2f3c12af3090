import Foundation
import Wire

/// A defect the network fuzzer found, reproduced and minimised.
package struct NetworkFinding: Sendable, Codable {
    package enum Kind: String, Sendable, Codable, CaseIterable {
        /// A node process died of a signal (or the stack failed a clean session right after).
        case crash
        /// A node neither finished nor gave up within the hang timeout.
        case hang
        /// A node completed its session although it received a frame it must refuse (its tag no
        /// longer verified, its header or framing was broken, it was out of sequence), or the two
        /// ends delivered different bits under one key ID.
        case wrongAcceptance = "wrong-acceptance"
        /// A node's resident memory or open file descriptors went past the campaign's limit.
        case resourceBlowUp = "resource-blow-up"

        /// The SARIF rule ID.
        package var ruleID: String { "qkdspec.fuzz/\(rawValue)" }

        package var title: String {
            switch self {
            case .crash: return "A node crashed on a mutated control-channel frame"
            case .hang: return "A node hung on a mutated control-channel frame"
            case .wrongAcceptance: return "A node accepted a control-channel frame it must refuse"
            case .resourceBlowUp: return "A node's memory or open descriptors grew past the limit on mutated frames"
            }
        }
    }

    package var kind: Kind
    /// The node that crashed, hung or accepted ("alice" or "bob").
    package var node: String
    /// What happened, in words (the ending, the frame the mutation landed on, the sanity session).
    package var detail: String
    /// The minimised mutations that reproduce it.
    package var mutations: [WireMutation]
    /// The mutations of the session that first showed it.
    package var foundWith: [WireMutation]
    /// The seed of the session's simulated photons.
    package var sessionSeed: UInt64
    /// Reruns of the minimised mutations that showed it again, of ``reruns``.
    package var reproduced: Int
    package var reruns: Int
    /// Seconds from the campaign's start to the session that first showed it, and that session's number.
    package var secondsToFind: Double
    package var session: Int
    /// The reproducer directory: reproducer.json, session.pcap, reproduce.sh.
    package var directory: String?
    /// One line that replays it.
    package var reproduce: String

    enum CodingKeys: String, CodingKey {
        case kind, node, detail, mutations, reproduced, reruns, session, directory, reproduce
        case foundWith = "found_with", sessionSeed = "session_seed", secondsToFind = "seconds_to_find"
    }
}

/// What a session suggests before it is reproduced.
struct FuzzSuspect: Sendable, Equatable {
    var kind: NetworkFinding.Kind
    var node: Role
    var detail: String

    /// Findings of one kind at one node are one finding (the campaign reports each once).
    var key: String { "\(kind.rawValue)/\(node == .alice ? "alice" : "bob")" }

    /// Judges a session: a node that died or hung, a frame that had to be refused and was not.
    static func judge(_ s: Session, landed: [MutationFaults.Landing], limits: ResourceLimits = ResourceLimits()) -> FuzzSuspect? {
        for (role, ending) in [(Role.alice, s.aliceEnding), (Role.bob, s.bobEnding)] {
            let name = role == .alice ? "Alice" : "Bob"
            if case .crashed(let signal)? = ending {
                return FuzzSuspect(kind: .crash, node: role, detail: "\(name)'s node died of signal \(signal)\(after(landed))")
            }
            if ending == .timedOut {
                return FuzzSuspect(kind: .hang, node: role, detail: "\(name)'s node was still running at the hang timeout (then killed)\(after(landed))")
            }
        }
        for landing in landed where landing.mutation.mustBeRefused {
            let receiver: Role = landing.mutation.side == .alice ? .bob : .alice
            let ending = receiver == .alice ? s.aliceEnding : s.bobEnding
            if ending == .exited(0) {
                let name = receiver == .alice ? "Alice" : "Bob"
                return FuzzSuspect(kind: .wrongAcceptance, node: receiver,
                                   detail: "\(name)'s node completed its session (exit 0) although it received a frame it must refuse: \(landing.mutation) (on \(landing.frame))")
            }
        }
        for (role, used) in [(Role.alice, s.aliceResources), (Role.bob, s.bobResources)] {
            guard let used else { continue }
            let name = role == .alice ? "Alice" : "Bob"
            if used.peakResidentKiB > limits.residentMiB * 1024 {
                return FuzzSuspect(kind: .resourceBlowUp, node: role,
                                   detail: "\(name)'s node held \(used.peakResidentKiB / 1024) MiB resident (limit \(limits.residentMiB) MiB)\(after(landed))")
            }
            if used.peakOpenFiles > limits.openFiles {
                return FuzzSuspect(kind: .resourceBlowUp, node: role,
                                   detail: "\(name)'s node held \(used.peakOpenFiles) open file descriptors (limit \(limits.openFiles))\(after(landed))")
            }
        }
        // Keys both ends hold under one ID with different bits (a key at Alice alone is the
        // documented confirmation window when the session was cut, not a wrong acceptance).
        if s.differingKeys > 0 {
            return FuzzSuspect(kind: .wrongAcceptance, node: .bob,
                               detail: "\(s.differingKeys) keys differ between Alice and Bob under the same key ID\(after(landed))")
        }
        return nil
    }

    static func after(_ landed: [MutationFaults.Landing]) -> String {
        landed.isEmpty ? " (no mutation landed)" : " after " + landed.map { "\($0.mutation) (on \($0.frame))" }.joined(separator: "; ")
    }
}

/// How much a node may hold before the fuzzer calls it a resource blow-up.
package struct ResourceLimits: Sendable, Codable, Equatable {
    /// Resident memory, MiB.
    package var residentMiB = 1024
    /// Open file descriptors.
    package var openFiles = 256

    package init(residentMiB: Int = 1024, openFiles: Int = 256) {
        self.residentMiB = residentMiB
        self.openFiles = openFiles
    }

    enum CodingKeys: String, CodingKey { case residentMiB = "resident_mib", openFiles = "open_files" }
}
