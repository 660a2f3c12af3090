import Foundation
import KeyDelivery

/// The ETSI GS QKD 014 fuzzer (`qkdspec fuzz --etsi014`): valid requests to a KME pair mutated
/// structure-aware (``KMEMutation``), scheduled toward new behaviour (``KMEFuzzScheduler``),
/// judged by ``KMERequestOracle``. A request that shows a finding not reported yet is minimised
/// (mutations dropped, values shrunk), rerun, and — when every rerun shows it — saved as a
/// reproducer: reproducer.json (seed, mutations, the exact request) and reproduce.sh.
package struct KMEFuzzer: Sendable {
    package struct Options: Sendable {
        package var spec: KMEFuzzTargetSpec
        package var seed: UInt64
        package var duration: Duration
        package var maxFindings: Int?
        package var maxRequests: Int?
        package var findingsDirectory: String
        package var reruns = 3
        /// Requests minimisation may spend on one finding.
        package var minimiseBudget = 40

        package init(spec: KMEFuzzTargetSpec, seed: UInt64, duration: Duration, findingsDirectory: String) {
            self.spec = spec
            self.seed = seed
            self.duration = duration
            self.findingsDirectory = findingsDirectory
        }
    }

    /// How the campaign is doing, for the progress line.
    package struct Progress: Sendable {
        package var requests: Int
        package var seconds: Double
        package var behaviours: Int
        package var findings: Int
        package var phase: String
        package var requestsPerSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
    }

    package let options: Options
    let reproduceLine: @Sendable (String) -> String

    package init(options: Options, reproduceLine: @escaping @Sendable (String) -> String) {
        self.options = options
        self.reproduceLine = reproduceLine
    }

    package func run(progress: @Sendable (Progress) -> Void = { _ in }, found: @Sendable (KMEFinding) -> Void = { _ in }) async throws -> KMEFuzzReport {
        let started = ContinuousClock.now, startedAt = Date()
        progress(Progress(requests: 0, seconds: 0, behaviours: 0, findings: 0, phase: "calibrating"))
        let connection = try await KMEFuzzConnection.open(options.spec)
        let declared = connection.declared
        var scheduler = KMEFuzzScheduler(seed: options.seed, declared: declared)
        var requests = 0, reported = Set<String>(), findings: [KMEFinding] = [], unconfirmed: [String] = [], harnessErrors: [String] = []
        var interrupted = false, stoppedServing = false
        func elapsed() -> Double { NetworkFuzzer.seconds(ContinuousClock.now - started) }
        func report(_ phase: String) {
            progress(Progress(requests: requests, seconds: elapsed(), behaviours: scheduler.behaviours, findings: findings.count, phase: phase))
        }
        do {
            while ContinuousClock.now - started < options.duration {
                if Task.isCancelled { interrupted = true; break }
                if let max = options.maxRequests, requests >= max { break }
                if let max = options.maxFindings, findings.count >= max { break }
                let (base, mutations) = scheduler.next()
                let request = base.request(mutations, declared: declared)
                let sent: (request: KMEFuzzRequest, outcome: KMEOutcome, keyIDs: [String])
                do { sent = try await connection.send(request) } catch {
                    if Task.isCancelled { interrupted = true; break }
                    harnessErrors.append("\(error)")
                    if harnessErrors.count >= 5 { throw HarnessError("the harness could not send 5 requests; the last: \(error)") }
                    continue
                }
                if Task.isCancelled { interrupted = true; break }
                requests += 1
                _ = scheduler.record(KMEFuzzScheduler.signature(sent.request, sent.outcome), base: base, mutations: mutations)
                if requests % 16 == 0 { report("fuzzing") }
                guard let suspect = KMERequestOracle.judge(sent.request, sent.outcome, declared: declared, keyIDs: sent.keyIDs),
                      !reported.contains(suspect.key), unconfirmed.filter({ $0.hasPrefix(suspect.key + " ") }).count < 3
                else { continue }
                let foundAt = elapsed(), foundIn = requests
                report("minimising \(suspect.key)")
                var detail = suspect.detail
                if suspect.kind == .crash || suspect.kind == .hang {
                    // Does the KME still serve? A valid status request right after says.
                    do { try await connection.sanity(); detail += "; a valid GET status right after was answered 200" } catch {
                        detail += "; a valid GET status right after FAILED (\(error)): the KME stopped serving"
                        // A KME that is gone cannot be minimised or rerun (every request would
                        // "show" it, and the fuzzer cannot restart a target file's KME): the
                        // finding is saved as found, and the campaign ends.
                        var finding = KMEFinding(kind: suspect.kind, endpoint: suspect.endpoint,
                                                 detail: detail + "; not minimised or rerun, the campaign stopped here", base: base.rawValue,
                                                 mutations: mutations, request: request, foundWith: mutations, reproduced: 0, reruns: 0,
                                                 secondsToFind: foundAt, requestNumber: foundIn, directory: nil, reproduce: "")
                        finding = try save(finding, index: findings.count + 1, declared: declared)
                        findings.append(finding)
                        found(finding)
                        stoppedServing = true
                        break
                    }
                }
                let minimal = await minimise(base: base, mutations, suspect: suspect, connection: connection)
                report("reproducing \(suspect.key)")
                var reproduced = 0
                for _ in 0..<options.reruns {
                    if let again = try? await connection.send(base.request(minimal, declared: declared)),
                       let s = KMERequestOracle.judge(again.request, again.outcome, declared: declared, keyIDs: again.keyIDs), s.key == suspect.key {
                        reproduced += 1
                    }
                }
                guard reproduced == options.reruns else {
                    unconfirmed.append("\(suspect.key) at request \(foundIn) showed in \(reproduced) of \(options.reruns) reruns: \(suspect.detail)")
                    continue
                }
                reported.insert(suspect.key)
                let minimalRequest = base.request(minimal, declared: declared)
                var finding = KMEFinding(kind: suspect.kind, endpoint: suspect.endpoint, detail: detail, base: base.rawValue, mutations: minimal,
                                         request: minimalRequest, foundWith: mutations, reproduced: reproduced, reruns: options.reruns,
                                         secondsToFind: foundAt, requestNumber: foundIn, directory: nil, reproduce: "")
                if minimal != mutations { finding.detail += "; minimised to \(minimalRequest.summary)" }
                finding = try save(finding, index: findings.count + 1, declared: declared)
                findings.append(finding)
                found(finding)
                report("fuzzing")
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return KMEFuzzReport(target: options.spec.name, seed: options.seed, startedAt: ISO8601DateFormatter().string(from: startedAt),
                             seconds: elapsed(), durationSeconds: NetworkFuzzer.seconds(options.duration), requests: requests,
                             behaviours: scheduler.behaviours, declared: declared, findings: findings, unconfirmed: unconfirmed,
                             harnessErrors: harnessErrors + (stoppedServing ? ["the KME stopped serving; the campaign ended at request \(requests)"] : []),
                             interrupted: interrupted)
    }

    /// The smallest variant that still shows `suspect` (same kind, same endpoint): each
    /// mutation dropped in turn, then each one's count or value shrunk, within the budget.
    func minimise(base: KMEFuzzBase, _ mutations: [KMEMutation], suspect: KMESuspect, connection: KMEFuzzConnection) async -> [KMEMutation] {
        var best = mutations, budget = options.minimiseBudget
        let declared = connection.declared
        func shows(_ candidate: [KMEMutation]) async -> Bool {
            guard budget > 0, candidate != best else { return false }
            budget -= 1
            guard let sent = try? await connection.send(base.request(candidate, declared: declared)) else { return false }
            return KMERequestOracle.judge(sent.request, sent.outcome, declared: declared, keyIDs: sent.keyIDs)?.key == suspect.key
        }
        var i = best.count - 1
        while i >= 0 {
            var fewer = best
            fewer.remove(at: i)
            // An empty list is the valid request itself; it can still show a finding (a KME
            // that answers every valid request wrongly).
            if await shows(fewer) { best = fewer }
            i -= 1
        }
        for i in best.indices {
            for simpler in Self.simplifications(of: best[i], declared: declared) {
                var candidate = best
                candidate[i] = simpler
                if await shows(candidate) { best = candidate }
            }
        }
        return best
    }

    /// Simpler forms of one mutation, most drastic first: counts to 1 or halved, long values
    /// cut, numbers moved to the boundary just past the declared limit.
    static func simplifications(of m: KMEMutation, declared d: KMEDeclaration) -> [KMEMutation] {
        var out: [KMEMutation] = []
        func with(_ change: (inout KMEMutation) -> Void) {
            var c = m
            change(&c)
            if c != m, !out.contains(c) { out.append(c) }
        }
        switch m.kind {
        case .jsonNest, .keyIDList, .truncateBody:
            with { $0.count = 1 }
            with { $0.count = m.count / 2 }
            if m.kind == .keyIDList { with { $0.count = d.maxKeyPerRequest + 1 } }
        case .saeID where m.value.utf8.count > 64:
            with { $0.value = String(m.value.prefix(64)) }
        case .jsonField, .queryValue, .jsonDuplicate:
            if let v = Int(m.value) {
                // Toward the boundary: one past max_key_per_request or max_key_size, or 0.
                if m.field == "number", v > d.maxKeyPerRequest { with { $0.value = String(d.maxKeyPerRequest + 1) } }
                if m.field == "size", v > d.maxKeySize { with { $0.value = String(d.maxKeySize + 8) } }
                if v < 0 { with { $0.value = "-1" } }
            }
        case .body where m.value.count > 16:
            with { $0.value = String(m.value.prefix(2)) }
        default: break
        }
        return out
    }

    /// Writes a finding's reproducer directory.
    func save(_ finding: KMEFinding, index: Int, declared: KMEDeclaration) throws -> KMEFinding {
        var f = finding
        let dir = "\(options.findingsDirectory)/etsi014-\(index)-\(f.kind.rawValue)-\(f.endpoint)"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let r = KMEFuzzReproducer(target: options.spec, campaignSeed: options.seed, base: f.base, mutations: f.mutations, request: f.request,
                                      declared: declared, expectedKind: f.kind, expectedEndpoint: f.endpoint, detail: f.detail)
            let file = "\(dir)/reproducer.json"
            try r.data().write(to: URL(fileURLWithPath: file))
            f.directory = dir
            f.reproduce = reproduceLine(file)
            try Data("#!/bin/sh\n# Replays ETSI 014 finding \(index) (\(f.kind.rawValue) on \(f.endpoint)); exits 1 when it reproduces.\n\(f.reproduce)\n".utf8)
                .write(to: URL(fileURLWithPath: "\(dir)/reproduce.sh"))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/reproduce.sh")
        } catch {
            throw HarnessError("cannot write the reproducer in \(dir): \(FileProblem.reason(error))")
        }
        return f
    }

    /// Replays a reproducer's request once on a fresh connection to its target: what it
    /// showed (nil: nothing) and whether that is the finding recorded.
    package static func replay(_ r: KMEFuzzReproducer) async throws -> (finding: (kind: KMEFinding.Kind, endpoint: String, detail: String)?, matches: Bool) {
        let connection = try await KMEFuzzConnection.open(r.target)
        let sent: (request: KMEFuzzRequest, outcome: KMEOutcome, keyIDs: [String])
        do { sent = try await connection.send(r.request) } catch {
            await connection.close()
            throw error
        }
        let suspect = KMERequestOracle.judge(sent.request, sent.outcome, declared: connection.declared, keyIDs: sent.keyIDs)
        await connection.close()
        guard let s = suspect else { return (nil, false) }
        return ((s.kind, s.endpoint, s.detail), s.kind == r.expectedKind && s.endpoint == r.expectedEndpoint)
    }
}
