import ArgumentParser
import Foundation
import Harness
import KeyDelivery

/// What `qkdspec run --profile etsi014` runs against: the KME pair of a target file, or the
/// reference KME pair started in this process on loopback (free ports, a temporary PKI).
enum ETSI014Run {
    /// Whether a target file also names nodes (docs/targets.md): then the cross-layer cases run.
    static func fileHasNodes(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return root["alice"] != nil && root["bob"] != nil
    }

    /// The target and, for the reference pair, the pair to stop afterwards.
    static func target(path: String?, strict: Bool, bugs: [String], nodes: (any SessionTarget)?) async throws -> (KMESessionTarget, ReferenceKMEPair?) {
        let knobs = try KMEServeCommand.knobs(bugs)
        if let path {
            guard knobs.isEmpty else { throw UsageError("--kme-bug applies to the reference KME pair only; leave out --target") }
            do {
                guard var kme = try KMETarget.load(path: path) else {
                    throw UsageError("\(path): the etsi014 profile needs a kme object (docs/etsi014.md)")
                }
                kme.strict = strict
                return (KMESessionTarget(kme: kme, nodes: nodes), nil)
            } catch let e as KeyDeliveryError { throw UsageError("\(e)") }
        }
        let pair: ReferenceKMEPair
        do { pair = try await ReferenceKMEPair.start(bugs: knobs) } catch {
            FileHandle.standardError.write(Data("error: the reference KME pair did not start: \(error)\n".utf8))
            throw ExitCode(ExitStatus.harnessFailure)
        }
        var kme = pair.target
        kme.strict = strict
        return (KMESessionTarget(kme: kme, nodes: nodes), pair)
    }
}
