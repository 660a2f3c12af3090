import ArgumentParser
import Foundation
import Harness
import KeyDelivery

/// `qkdspec fuzz --etsi014`: the ETSI GS QKD 014 request fuzzer against a KME pair.
extension FuzzCommand {
    /// The KME pair as the campaign and its reproducers name it.
    func kmeSpec() throws -> KMEFuzzTargetSpec {
        if let target {
            let path = RunCommand.absolute(target)
            do {
                guard try KMETarget.load(path: path) != nil else {
                    throw UsageError("\(target): --etsi014 needs a kme object in the target file (docs/etsi014.md)")
                }
            } catch let e as KeyDeliveryError { throw UsageError("\(e)") }
            return KMEFuzzTargetSpec(referenceBugs: nil, file: path, requestTimeoutSeconds: requestTimeout)
        }
        let knobs = try KMEServeCommand.knobs(kmeBugs)
        return KMEFuzzTargetSpec(referenceBugs: knobs.sorted { $0.rawValue < $1.rawValue }, file: nil, requestTimeoutSeconds: requestTimeout)
    }

    func runKME() async throws {
        let outputs = ReportFiles(json: json, junit: junit, html: html, sarif: sarif)
        try outputs.check()
        if outputs.usesStandardOutput { ReportFiles.moveConsoleToStandardError() }
        let spec = try kmeSpec()
        let findingsDir = RunCommand.absolute(findings)
        let probe = FileManager.default.fileExists(atPath: findingsDir) ? "\(findingsDir)/reproducer.json" : findingsDir
        if let why = FileProblem.unwritable(probe) { throw UsageError("--findings \(findings) cannot be written: \(why)") }
        let runSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var options = KMEFuzzer.Options(spec: spec, seed: runSeed, duration: try Self.parseDuration(duration), findingsDirectory: findingsDir)
        options.maxFindings = maxFindings
        options.maxRequests = maxRequests
        options.reruns = reruns
        options.minimiseBudget = minimiseBudget ?? 40
        let me = ChildProcess.selfExecutable
        let fuzzer = KMEFuzzer(options: options) { file in [me, "fuzz", "--reproduce", file].map(ShellWord.quote).joined(separator: " ") }
        print("qkdspec fuzz --etsi014: target \(spec.name), seed \(runSeed), duration \(duration), request timeout \(requestTimeout) s")
        print("  rerun this campaign: \(campaignLine(seed: runSeed))")
        let line = FuzzProgressLine(enabled: !quiet)
        let stop = StopRequest()
        let signals = SignalTrap(signals: [SIGINT, SIGTERM]) { _ in stop.request() }
        let task = Task { () throws -> KMEFuzzReport in
            try await fuzzer.run(progress: { p in line.update(p) }, found: { f in
                line.clear()
                print("FINDING etsi014 \(f.kind.rawValue) (\(f.endpoint)): \(f.detail)")
                print("  request: \(f.request.summary)")
                print("  mutations: \(f.mutations.isEmpty ? "none (the valid \(f.base) request)" : f.mutations.map(\.description).joined(separator: "; "))")
                print("  reproduced \(f.reproduced)/\(f.reruns); reproducer: \(f.directory ?? "-")")
                print("  reproduce: \(f.reproduce)")
            })
        }
        stop.attach(task)
        let report: KMEFuzzReport
        do { report = try await task.value } catch let e as HarnessError {
            line.clear()
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(ExitStatus.harnessFailure)
        }
        signals.cancel()
        line.clear()
        var final = report
        if stop.isRequested { final.interrupted = true }
        let d = final.declared
        print("the KMEs declare: key_size \(d.keySize), min/max_key_size \(d.minKeySize)/\(d.maxKeySize), max_key_per_request \(d.maxKeyPerRequest), max_SAE_ID_count \(d.maxSAEIDCount), multiples of 8 only: \(d.multiplesOf8Only)")
        print("\(final.findings.isEmpty ? "no finding" : "\(final.findings.count) finding\(final.findings.count == 1 ? "" : "s")") in \(final.requests) requests (\(String(format: "%.1f", final.requestsPerSecond)) requests/s, \(final.behaviours) distinct behaviours, \(String(format: "%.0f", final.seconds)) s)\(final.interrupted ? " — interrupted" : "")")
        for u in final.unconfirmed { print("  not reproduced: \(u)") }
        try outputs.write(kmeFuzz: final)
        if final.exitCode != 0 { throw ExitCode(final.exitCode) }
    }

    /// `--reproduce FILE` for an ETSI 014 reproducer: sends its request once; exit 1 when the finding shows.
    func replayKME(_ path: String) async throws {
        if pcap != nil { throw UsageError("--pcap records a node session's control channel; an ETSI 014 reproducer has none (the KME speaks TLS)") }
        let r: KMEFuzzReproducer
        do { r = try KMEFuzzReproducer.load(path: path) } catch { throw UsageError("\(error)") }
        print("replaying etsi014 \(r.expectedKind.rawValue) (\(r.expectedEndpoint)) on \(r.target.name): \(r.request.summary)")
        let outcome: (finding: (kind: KMEFinding.Kind, endpoint: String, detail: String)?, matches: Bool)
        do { outcome = try await KMEFuzzer.replay(r) } catch let e as HarnessError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(ExitStatus.harnessFailure)
        }
        if let f = outcome.finding {
            print(outcome.matches ? "REPRODUCED \(f.kind.rawValue) (\(f.endpoint)): \(f.detail)"
                  : "not reproduced as recorded; the request showed \(f.kind.rawValue) (\(f.endpoint)) instead: \(f.detail)")
            throw ExitCode(ExitStatus.conformanceFailure)
        }
        print("not reproduced: the KME answered as the standard asks")
    }
}

extension ReportFiles {
    /// The reports of an ETSI 014 fuzz campaign (`qkdspec fuzz --etsi014`).
    func write(kmeFuzz report: KMEFuzzReport) throws {
        let files: [(String?, String, () throws -> Data)] = [
            (json, "JSON report", { try report.json() }), (junit, "JUnit report", { Data(report.junit().render().utf8) }),
            (html, "HTML report", { Data(report.html().utf8) }),
        ]
        for (path, what, data) in files {
            guard let path else { continue }
            do { try Self.put(data(), path) } catch {
                throw UsageError("cannot write the \(what) to \(path): \(FileProblem.reason(error))")
            }
        }
        try writeSARIF(report.sarif(version: QKDSpecVersion.current))
    }
}
