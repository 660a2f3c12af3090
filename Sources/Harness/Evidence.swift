import Foundation

/// Evidence for a case that did not pass (`--evidence DIR`): a directory per case with the
/// control channel's capture (pcap, opens in Wireshark with tools/wireshark/qkdspec.lua) with its
/// replay sidecar (control.pcap.replay.json, for `qkdspec replay`), the
/// decoded transcript, the nodes' logs, the seed, the result and a one-line reproduce command.
/// No key material: the transcript carries message summaries, never keys.
package struct EvidenceWriter: Sendable {
    package let root: String

    package init(root: String) throws {
        self.root = root
        do { try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true) } catch {
            throw HarnessError("cannot create the evidence directory \(root): \(FileProblem.reason(error))")
        }
    }

    /// Writes the evidence of `result` (with its session, when the case ran one); returns the directory.
    package func write(_ result: CaseResult, session: Session?) throws -> String {
        let name = result.id.replacingOccurrences(of: "/", with: "__") + (result.iteration > 1 ? "-\(result.iteration)" : "")
        let dir = "\(root)/\(name)"
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw HarnessError("cannot create \(dir): \(FileProblem.reason(error))")
        }
        func put(_ file: String, _ text: String) throws {
            do { try text.write(toFile: "\(dir)/\(file)", atomically: true, encoding: .utf8) } catch {
                throw HarnessError("cannot write \(dir)/\(file): \(FileProblem.reason(error))")
            }
        }
        try put("seed.txt", "\(result.seed)\n")
        try put("reproduce.sh", "#!/bin/sh\n# Reruns \(result.id) with the run's seed.\n\(result.reproduce)\n")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(result) { try put("result.json", String(decoding: data, as: UTF8.self)) }
        guard let session else { return dir }
        var transcript = "# from  sequence  type  bytes  summary\n"
        for e in session.wire.transcript {
            transcript += "\(e.from)\t\(e.sequence)\t\(e.type)\t\(e.bytes)\t\(e.summary)\n"
        }
        if session.wire.transcript.count >= WireObservation.transcriptLimit { transcript += "# … cut at \(WireObservation.transcriptLimit) frames\n" }
        for (side, why) in session.wire.undecodable { transcript += "# \(side == .alice ? "alice" : "bob") stopped decoding: \(why)\n" }
        try put("transcript.tsv", transcript)
        var summary = "alice: \(session.aliceKeys.count) keys, \(session.aliceEnding.map { "\($0)" } ?? "in process")\(session.aliceFailure.map { ", \($0)" } ?? "")\n"
        summary += "bob: \(session.bobKeys.count) keys, \(session.bobEnding.map { "\($0)" } ?? "in process")\(session.bobFailure.map { ", \($0)" } ?? "")\n"
        summary += "scenario: \(session.scenario.distanceKm) km, eavesdropper \(session.scenario.eavesdropper)\n"
        try put("session.txt", summary)
        if let capture = session.capturePath, fm.fileExists(atPath: capture) {
            try? fm.copyItem(atPath: capture, toPath: "\(dir)/control.pcap")
            // What `qkdspec replay control.pcap` needs to regenerate the session's records.
            if let seed = session.seed, let blocks = session.blocksFed, let pulses = session.blockPulses {
                let sidecar = ReplaySidecar(seed: seed, blocks: blocks, blockPulses: pulses,
                                            phases: session.phases.map { ReplaySidecar.Phase(fromBlock: $0.fromBlock, scenario: $0.scenario) },
                                            authenticationKey: session.referenceKey ? ReplaySidecar.referenceKeyName : nil, madeBy: result.reproduce)
                try? sidecar.write(to: ReplaySidecar.path(forCapture: "\(dir)/control.pcap"))
            }
            let sessionDir = (capture as NSString).deletingLastPathComponent
            for log in ["alice.log", "bob.log"] where fm.fileExists(atPath: "\(sessionDir)/\(log)") {
                try? fm.copyItem(atPath: "\(sessionDir)/\(log)", toPath: "\(dir)/\(log)")
            }
        }
        return dir
    }
}
