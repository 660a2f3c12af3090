import ArgumentParser
import Foundation
import Harness

/// `qkdspec merge`: shard reports into one.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the JSON reports of a sharded run into one report (JSON, JUnit, HTML).",
        discussion: """
            The shards must test the same target with the same --seed and --profile (so each case's seed is the one a single run would use), and be every shard of one split (1/N … N/N, each once); a case may appear in one shard only. Refused, with exit 2: an incomplete or repeated set of shards, a mix of shards and whole runs, differing targets, seeds or profiles, a report of another schema, negative or absurd times, and an interrupted report (rerun that shard: an interrupted run proves nothing about the cases it did not run). The exit code is otherwise the merged run's: 0, 1 or 3 as for qkdspec run.

            Example:
              for i in 1 2 3 4; do qkdspec run --shard $i/4 --seed 7 --json shard$i.json; done
              qkdspec merge shard1.json shard2.json shard3.json shard4.json --json all.json --html all.html
            """)

    @Argument(help: "JSON reports written by qkdspec run --json.")
    var reports: [String]

    @Option(help: "Write the merged JSON report here ('-' for standard output).")
    var json: String?

    @Option(help: "Write the merged JUnit XML report here.")
    var junit: String?

    @Option(help: "Write the merged HTML report here.")
    var html: String?

    func run() throws {
        guard !reports.isEmpty else { throw UsageError("give the JSON reports to merge") }
        let outputs = ReportFiles(json: json, junit: junit, html: html)
        try outputs.check()
        if outputs.usesStandardOutput { ReportFiles.moveConsoleToStandardError() }
        let merged: RunReport
        do { merged = try RunReport.merged(try reports.map(ReportFiles.readReport), names: reports) } catch let e as UsageError { throw e } catch {
            throw UsageError("cannot merge: \(error)")
        }
        try outputs.write(merged)
        Console(quiet: false, verbose: false).summary(merged)
        if merged.exitCode != 0 { throw ExitCode(merged.exitCode) }
    }
}
