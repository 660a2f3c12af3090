import Foundation
import Testing

/// Issue 12's hardening defects, each through the built executable as a user meets it.
@Suite("hardening: shims, interrupts, merge, reproduce lines, target files, outputs", .serialized)
struct HardeningTests {
    static let vectors = ReferenceTarget.repository.appendingPathComponent("vectors").path

    /// The reference target with `shim.command` replaced.
    static func target(shim: [String], in scratch: Scratch) throws -> String {
        var t = try ReferenceTarget.object()
        t["shim"] = ["command": shim]
        return try scratch.writeJSON(t, "target.json")
    }

    /// A target whose two nodes are `sleep` processes (they never listen): every session hangs.
    static func hangingTarget(marker: String, timeout: Double = 60, in scratch: Scratch) throws -> String {
        var t = try ReferenceTarget.object()
        for role in ["alice", "bob"] {
            var node = t[role] as? [String: Any] ?? [:]
            node["command"] = ["sleep", marker]
            t[role] = node
        }
        t["session_timeout_s"] = timeout
        return try scratch.writeJSON(t, "hang.json")
    }

    static func result(_ report: [String: Any], _ id: String) -> [String: Any]? {
        (report["results"] as? [[String: Any]])?.first { $0["id"] as? String == id }
    }

    // MARK: Shims

    @Test("a shim that writes 20 KB to stderr per request still passes (its stderr is drained)")
    func shimStderrDrained() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let script = #"while IFS= read -r line; do head -c 20000 /dev/zero | tr '\000' x >&2; printf '%s\n' "$line" | "$0" shim; done"#
        let target = try Self.target(shim: ["sh", "-c", script, "{qkdspec}"], in: scratch)
        let r = try RunningQKDSpec.run(["run", "--target", target, "--case", "vectors/finite-key", "--vectors", Self.vectors, "--seed", "1",
                                        "--json", scratch.file("r.json")], within: 200)
        let report = try scratch.readJSON("r.json")
        let verdict = Self.result(report, "vectors/finite-key")?["verdict"] as? String
        #expect(r.status == 0 && verdict == "pass", "\(r.status) \(verdict ?? "-"): \(r.stdout)\(r.stderr)")
    }

    @Test("answer lines are read in linear time: an 8 MB line takes seconds, one past 16 MiB is 'line too long'")
    func longShimLines() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let script = #"n=0; while IFS= read -r line; do n=$((n+1)); if [ $n -eq 1 ]; then s=8000000; else s=17000000; fi; head -c $s /dev/zero | tr '\000' a; echo; done"#
        let target = try Self.target(shim: ["sh", "-c", script], in: scratch)
        let started = Date()
        let r = try RunningQKDSpec.run(["run", "--target", target, "--case", "vectors/finite-key", "--vectors", Self.vectors, "--seed", "1",
                                        "--json", scratch.file("r.json")], within: 100)
        let seconds = Date().timeIntervalSince(started)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let detail = Self.result(try scratch.readJSON("r.json"), "vectors/finite-key")?["detail"] as? String ?? ""
        #expect(detail.contains("line too long"), "\(detail)")
        #expect(seconds < 40, "took \(seconds) s")
    }

    @Test("a shim that exits 0 mid-run is a crash, with its ending and stderr as the reason")
    func shimExitZero() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let target = try Self.target(shim: ["sh", "-c", "read line; echo 'shim gave up' >&2; exit 0"], in: scratch)
        let r = try RunningQKDSpec.run(["run", "--target", target, "--case", "vectors/finite-key", "--vectors", Self.vectors, "--seed", "1",
                                        "--json", scratch.file("r.json")], within: 100)
        #expect(r.status == 1)
        let result = Self.result(try scratch.readJSON("r.json"), "vectors/finite-key") ?? [:]
        #expect(result["verdict"] as? String == "crash", "\(result)")
        let detail = result["detail"] as? String ?? ""
        #expect(detail.contains("exit 0") && detail.contains("shim gave up"), "\(detail)")
    }

    // MARK: Interrupts and child processes

    @Test("SIGINT while a session hangs: exit 130 at once, the reports marked interrupted, merge refuses them, no child left")
    func interruptHangingSession() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let marker = "4000.\(Int.random(in: 100_000...999_999))"
        let target = try Self.hangingTarget(marker: marker, in: scratch)
        let run = try RunningQKDSpec(["run", "--target", target, "--case", "bb84/keys/agreement", "--seed", "1", "--json", scratch.file("r.json"),
                                      "--junit", scratch.file("r.xml"), "--html", scratch.file("r.html")])
        var started = false
        for _ in 0..<250 where !started {
            started = processes(containing: marker).count == 2
            usleep(20_000)
        }
        #expect(started, "the nodes did not start")
        usleep(500_000)
        let t0 = Date()
        kill(run.process.processIdentifier, SIGINT)
        let status = run.finish(within: 30)
        #expect(status == 130, "\(run.stdout)\(run.stderr)")
        #expect(Date().timeIntervalSince(t0) < 8, "the interrupt waited for the session's deadline")
        #expect(processes(containing: marker).isEmpty)
        let report = try scratch.readJSON("r.json")
        #expect(report["interrupted"] as? Bool == true && report["exit_code"] as? Int == 130)
        let notRun = (report["not_run"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        #expect(notRun == ["bb84/keys/agreement"])
        let junit = try String(contentsOfFile: scratch.file("r.xml"), encoding: .utf8)
        #expect(junit.contains("<error") && junit.contains("interrupted"))
        let merged = try RunningQKDSpec.run(["merge", scratch.file("r.json"), "--json", scratch.file("m.json")])
        #expect(merged.status == 2 && merged.stderr.contains("interrupted"), "\(merged.stderr)")
    }

    @Test("a run killed with SIGKILL leaves no node behind (its children die with it)")
    func noOrphansAfterSIGKILL() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let marker = "4001.\(Int.random(in: 100_000...999_999))"
        let target = try Self.hangingTarget(marker: marker, in: scratch)
        let run = try RunningQKDSpec(["run", "--target", target, "--case", "bb84/keys/agreement", "--seed", "1"])
        var started = false
        for _ in 0..<250 where !started {
            started = processes(containing: marker).count == 2
            usleep(20_000)
        }
        #expect(started)
        kill(run.process.processIdentifier, SIGKILL)
        _ = run.finish(within: 10)
        var left = processes(containing: marker)
        for _ in 0..<100 where !left.isEmpty {
            usleep(50_000)
            left = processes(containing: marker)
        }
        for pid in left { kill(pid, SIGKILL) }
        #expect(left.isEmpty, "orphans: \(left)")
    }

    @Test("nodes start with no signal blocked or ignored, whatever the harness's own mask")
    func childrenStartClean() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var t = try ReferenceTarget.object()
        let masks = scratch.file("masks")
        for role in ["alice", "bob"] {
            var node = t[role] as? [String: Any] ?? [:]
            let command = node["command"] as? [String] ?? []
            // Record the signal state a program started from here gets (grep's own; the shell's
            // would show the mask dash holds while it forks), then become the node.
            node["command"] = ["sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status >> \(masks); exec \"$@\"", "sh"] + command
            t[role] = node
        }
        let target = try scratch.writeJSON(t, "wrapped.json")
        let r = try RunningQKDSpec.run(["run", "--target", target, "--case", "bb84/keys/agreement", "--repeat", "3", "--seed", "1"], within: 300)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = try String(contentsOfFile: masks, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 12)
        for line in lines {
            // Signals 1 … 31; 32 and up are the C library's own (NPTL) and real-time signals.
            let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? .max
            #expect(mask & 0x7FFF_FFFF == 0, "\(line)")
        }
    }

    @Test("session_timeout_s is the session's whole deadline: nothing is added to it")
    func sessionDeadline() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let target = try Self.hangingTarget(marker: "4002.\(Int.random(in: 100_000...999_999))", timeout: 3, in: scratch)
        let r = try RunningQKDSpec.run(["run", "--target", target, "--case", "bb84/keys/agreement", "--seed", "1", "--json", scratch.file("r.json")],
                                       within: 120)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let result = Self.result(try scratch.readJSON("r.json"), "bb84/keys/agreement") ?? [:]
        let seconds = result["seconds"] as? Double ?? 99
        #expect(seconds < 3 + 2.5, "the session took \(seconds) s for a 3 s deadline: \(result)")
    }

    // MARK: Merge

    @Test("merge refuses an incomplete set of shards, a profile mismatch, an unknown schema and absurd times")
    func mergeRefusals() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let args = ["run", "--target", "in-process", "--include", "vectors/toeplitz", "--include", "vectors/finite-key", "--seed", "3",
                    "--vectors", Self.vectors]
        for i in 1...2 {
            let r = try RunningQKDSpec.run(args + ["--shard", "\(i)/2", "--json", scratch.file("\(i).json")])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let whole = try RunningQKDSpec.run(["merge", scratch.file("1.json"), scratch.file("2.json"), "--json", scratch.file("all.json")])
        #expect(whole.status == 0, "\(whole.stderr)")
        let missing = try RunningQKDSpec.run(["merge", scratch.file("1.json")])
        #expect(missing.status == 2 && missing.stderr.contains("2/2 missing"), "\(missing.stderr)")

        let two = try scratch.readJSON("2.json")
        func variant(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
            var r = two
            change(&r)
            return try scratch.writeJSON(r, name)
        }
        let cases: [(String, String)] = [
            (try variant("profile.json") { $0["profile"] = "ci" }, "different profiles"),
            (try variant("schema.json") { $0["schema"] = 99 }, "schema 99"),
            (try variant("negative.json") { $0["seconds"] = -5 }, "negative or absurd"),
            (try variant("absurd.json") { r in
                var results = r["results"] as? [[String: Any]] ?? []
                results[0]["seconds"] = 1e12
                r["results"] = results
            }, "negative or absurd"),
        ]
        for (path, expected) in cases {
            let r = try RunningQKDSpec.run(["merge", scratch.file("1.json"), path])
            #expect(r.status == 2 && r.stderr.contains(expected), "\(path): \(r.status) \(r.stderr)")
        }
    }

    // MARK: Reproduce lines

    @Test("reproduce lines reproduce: a ci-only case, --vectors, --target, and each --repeat iteration, run from elsewhere")
    func reproduceLines() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileManager.default.copyItem(atPath: Self.vectors, toPath: scratch.file("vecs"))
        // From a directory without ./vectors, so a dropped --vectors shows (the case is skipped).
        let r = try RunningQKDSpec.run(["run", "--profile", "ci", "--target", "in-process", "--include", Self.ciOnlyCase, "--include", "vectors/toeplitz",
                                        "--repeat", "2", "--seed", "11", "--vectors", "vecs", "--json", "r.json"], directory: scratch.path)
        #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
        let results = try scratch.readJSON("r.json")["results"] as? [[String: Any]] ?? []
        #expect(results.count == 4)
        #expect(Set(results.compactMap { $0["seed"] as? Int }).count == 4, "each iteration has its own seed")
        for (i, result) in results.enumerated() {
            let line = try #require(result["reproduce"] as? String)
            #expect(line.hasPrefix("/") && !line.hasPrefix("qkdspec "), "\(line)")
            // A shell with a PATH that has no qkdspec, in another directory.
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "\(line) --json again-\(i).json --quiet"]
            p.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
            p.environment = ["PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            let again = try scratch.readJSON("again-\(i).json")["results"] as? [[String: Any]] ?? []
            #expect(again.count == 1, "\(line)")
            #expect(again.first?["verdict"] as? String == result["verdict"] as? String && again.first?["seed"] as? Int == result["seed"] as? Int
                    && again.first?["iteration"] as? Int == result["iteration"] as? Int, "\(line): \(again) vs \(result)")
            #expect(result["verdict"] as? String != "skipped")
        }
    }

    /// A quick case that only the ci and full profiles hold.
    static let ciOnlyCase = "auth/replayed-earlier-frame-rejected"

    // MARK: Target files

    @Test("a bad target file is exit 2 at load, naming the field: addresses, placeholders, numbers, unknown and duplicate fields, f < 1")
    func strictTargetFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        func changed(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
            var t = try ReferenceTarget.object()
            change(&t)
            return try scratch.writeJSON(t, name)
        }
        func node(_ t: inout [String: Any], _ role: String, _ key: String, _ value: Any) {
            var n = t[role] as? [String: Any] ?? [:]
            n[key] = value
            t[role] = n
        }
        let reference = try String(contentsOf: ReferenceTarget.repository.appendingPathComponent("examples/targets/reference.json"), encoding: .utf8)
        let duplicate = try scratch.writeText(reference.replacingOccurrences(of: #""session_timeout_s": 60"#,
                                                                            with: #""session_timeout_s": 60, "session_timeout_s": 5"#), "dup.json")
        let files: [(String, [String])] = [
            (try changed("qli.json") { node(&$0, "alice", "qli", "nonsense") }, ["alice.qli", "not an address"]),
            (try changed("open.json") { node(&$0, "bob", "qli", "127.0.0.1:{bob_qli_port") }, ["bob.qli", "unterminated"]),
            (try changed("port.json") { node(&$0, "alice", "qli", "127.0.0.1:99999") }, ["alice.qli", "65535"]),
            (try scratch.writeText(reference.replacingOccurrences(of: #""session_timeout_s": 60"#, with: #""session_timeout_s": 60, "blocks": 1e30"#), "huge.json"),
             ["'blocks'", "out of range"]),
            (try changed("half.json") { $0["blocks"] = 2.5 }, ["'blocks'", "whole number"]),
            (try changed("typo.json") { $0["session_timeout"] = 30 }, ["unknown field 'session_timeout'", "did you mean 'session_timeout_s'"]),
            (duplicate, ["'session_timeout_s' is given twice"]),
            (try changed("f.json") { t in
                var d = t["declared"] as? [String: Any] ?? [:]
                d["reconciliation_efficiency"] = 0.9
                t["declared"] = d
            }, ["reconciliation_efficiency"]),
        ]
        for (path, words) in files {
            let started = Date()
            let r = try RunningQKDSpec.run(["run", "--target", path, "--case", "bb84/keys/agreement", "--seed", "1"], within: 60)
            #expect(r.status == 2, "\(path): \(r.status) \(r.stdout)\(r.stderr)")
            #expect(words.allSatisfy { r.stderr.contains($0) }, "\(path): \(r.stderr)")
            #expect(Date().timeIntervalSince(started) < 5, "\(path) was not refused at load")
        }
    }

    // MARK: Outputs

    @Test("outputs are checked before any case runs; '-' is standard output; two outputs on one path are refused")
    func outputsCheckedFirst() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let failing = ["run", "--target", "in-process", "--reference-bug", "reuse-key-id", "--case", "keys/unique-key-ids", "--seed", "5"]
        let missingDir = try RunningQKDSpec.run(failing + ["--json", scratch.file("no-such-dir/r.json")], within: 60)
        #expect(missingDir.status == 2 && missingDir.stderr.contains("--json") && missingDir.stderr.contains("does not exist"), "\(missingDir.stderr)")
        #expect(!missingDir.stdout.contains("FAIL"), "a case ran before the output was checked")
        let directory = try RunningQKDSpec.run(failing + ["--html", scratch.path], within: 60)
        #expect(directory.status == 2 && directory.stderr.contains("is a directory") && !directory.stderr.contains("Domain"), "\(directory.stderr)")
        let twice = try RunningQKDSpec.run(failing + ["--json", scratch.file("x"), "--junit", scratch.file("x")], within: 60)
        #expect(twice.status == 2 && twice.stderr.contains("both write"), "\(twice.stderr)")
        let stdout = try RunningQKDSpec.run(["run", "--target", "in-process", "--case", "vectors/toeplitz", "--vectors", Self.vectors, "--seed", "5",
                                             "--json", "-"], within: 120)
        #expect(stdout.status == 0, "\(stdout.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(stdout.stdout.utf8)) as? [String: Any]
        #expect(object?["exit_code"] as? Int == 0, "\(stdout.stdout)")
        #expect(stdout.stderr.contains("vectors/toeplitz"), "the console goes to stderr")
    }

    @Test("a baseline written for another target is used with a warning naming both targets")
    func baselineOfAnotherTarget() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let baseline = try scratch.writeJSON(["tool": "qkdspec", "target": "some other stack", "expected_failures": [] as [Any]], "b.json")
        let r = try RunningQKDSpec.run(["run", "--target", "in-process", "--case", "vectors/toeplitz", "--vectors", Self.vectors, "--seed", "5",
                                        "--expected", baseline], within: 120)
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning") && r.stderr.contains("some other stack"), "\(r.stderr)")
    }
}

@Suite("test helpers")
struct TestHelperTests {
    @Test("the tests' pre-shared key file is readable by its owner only")
    func pskPrivate() throws {
        let path = try NodeProcessTests.pskFile()
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

@Suite("hardening: an interrupt while a shim hangs", .serialized)
struct ShimInterruptTests {
    @Test("SIGINT while the shim never answers: exit 130 at once, not after the 30 s answer deadline")
    func interruptHangingShim() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let marker = "4003.\(Int.random(in: 100_000...999_999))"
        let target = try HardeningTests.target(shim: ["sh", "-c", "read line; sleep \(marker)"], in: scratch)
        let run = try RunningQKDSpec(["run", "--target", target, "--case", "vectors/finite-key", "--vectors", HardeningTests.vectors,
                                      "--seed", "1", "--json", scratch.file("r.json")])
        var started = false
        for _ in 0..<250 where !started {
            started = !processes(containing: marker).isEmpty
            usleep(20_000)
        }
        #expect(started)
        let t0 = Date()
        kill(run.process.processIdentifier, SIGINT)
        #expect(run.finish(within: 40) == 130, "\(run.stdout)\(run.stderr)")
        #expect(Date().timeIntervalSince(t0) < 8)
        #expect(processes(containing: marker).isEmpty)
        #expect(try scratch.readJSON("r.json")["interrupted"] as? Bool == true)
    }
}
