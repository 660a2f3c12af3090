import ArgumentParser
import Capture
import Foundation
import Harness

/// `qkdspec capture`: read recorded control channels (pcap/pcapng, through libpcap).
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Inspect and audit pcap/pcapng captures of the reference control channel.",
        discussion: """
            Examples:
              qkdspec capture inspect captures/demo-clean.pcap
              qkdspec capture inspect session.pcapng --filter "tcp port 9000" --format json --messages
              qkdspec capture check captures/demo-clean.pcap --auth-key captures/demo.authkey
              qkdspec capture inspect vendor.pcap --target vendor.json --messages

            Exit codes: 0 success (inspect) or every check passed (check), 1 a check failed, \
            2 usage error or a file that cannot be read.
            """,
        subcommands: [CaptureInspectCommand.self, CaptureCheckCommand.self]
    )
}

/// `qkdspec capture inspect FILE`.
struct CaptureInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Reassemble and decode every TCP connection: packets, flows, sessions, messages, gaps, overlaps, decode errors."
    )

    @Argument(help: "A pcap or pcapng file.")
    var file: String

    @Option(help: "A BPF filter expression (compiled by libpcap), e.g. \"tcp port 9000\".")
    var filter: String?

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    @Flag(help: "List every message (packet, time, direction, type, sequence, length, summary).")
    var messages = false

    @Option(help: ArgumentHelp(
        "A target file whose `framing` cuts a protocol qkdspec does not know into messages.",
        discussion: """
            Connections that are neither qkdspec-wire/1 nor QLI are then counted and listed as             "opaque" messages, and a length that breaks the declaration is a decode error naming             its packet and stream offset. Without it such bytes show as decode errors.
            """))
    var target: String?

    func run() throws {
        let analyzer = CaptureAnalyzer()
        if let target {
            let file: TargetFile
            do { file = try TargetFile.load(path: target) } catch { exitWithError("\(error)", code: ExitStatus.usage) }
            guard let framing = file.framing else {
                exitWithError("the target file \(target) declares no `framing`: capture inspect knows qkdspec-wire/1 and QLI without one, "
                                  + "and needs it to cut another protocol into messages (docs/targets.md, \"Declaring an opaque protocol's framing\")",
                              code: ExitStatus.usage)
            }
            analyzer.framing = framing
        }
        analyzer.keepMessages = messages && format == .json
        if messages && format == .text {
            print("packet  time               flow from                  session           type                   seq  length  summary")
            analyzer.onFrame = { f in
                let line = MessageLine(packet: f.packet, time: f.time, flow: f.flow, from: f.direction,
                                       session: CaptureAnalyzer.hex(f.decoded.frame.sessionID),
                                       type: CaptureAnalyzer.typeName(f.decoded.frame.message.type), sequence: f.decoded.frame.sequence,
                                       length: f.decoded.authenticatedBytes.count + 8, summary: MessageSummary.line(f.decoded.frame.message))
                print(CaptureText.messageLine(line))
            }
            analyzer.onOpaqueMessage = { print(CaptureText.messageLine($0)) }
        }
        let summary = try CaptureRun.analyze(file: file, filter: filter, analyzer: analyzer)
        switch format {
        case .json: try printJSON(summary)
        case .text: print(CaptureText.summary(summary), terminator: "")
        }
    }
}

/// Opening and reading a capture with the project's exit codes: a file that cannot be read is a
/// usage error (2), with its name and the offset.
enum CaptureRun {
    static func analyze(file: String, filter: String?, analyzer: CaptureAnalyzer) throws -> CaptureSummary {
        do {
            let reader = try PcapReader(path: file, filter: filter)
            try analyzer.read(reader)
        } catch {
            exitWithError(error.description, code: ExitStatus.usage)
        }
        return analyzer.summary
    }
}

/// The text form of inspect's report.
enum CaptureText {
    static func messageLine(_ m: MessageLine) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        return pad(String(m.packet), 8) + pad(String(format: "%.6f", m.time), 19) + pad(String(m.flow), 5) + pad(m.from, 22)
            + pad(m.session, 18) + pad(m.type, 20) + pad(String(m.sequence), 7) + pad(String(m.length), 8) + m.summary
    }

    static func summary(_ s: CaptureSummary) -> String {
        var out = "\(s.file): \(s.packets) packets (\(s.linkType)), \(s.tcpPackets) TCP"
        if s.packetsFiltered > 0 { out += ", \(s.packetsFiltered) filtered out" }
        out += "\n"
        let other = [("not TCP", s.nonTCPPackets), ("not IP", s.nonIPPackets), ("unsupported link type", s.unsupportedLinkPackets),
                     ("IP fragments (not reassembled)", s.fragments), ("truncated headers", s.truncatedPackets)].filter { $0.1 > 0 }
        for (name, n) in other { out += "  \(n) \(name)\n" }
        out += String(format: "  %.3f s, %.0f packets/s\n", s.seconds, s.packetsPerSecond)
        out += "flows: \(s.flows.count)\n"
        for f in s.flows.prefix(50) {
            out += "  \(f.id): \(f.client) -> \(f.server), \(f.packets) packets\n"
            for d in f.directions {
                out += "      from \(d.from): \(d.kind.rawValue), \(d.bytes) bytes, \(d.frames) \(d.kind == .opaque ? "messages" : "frames")"
                if d.qliBlocks > 0 { out += ", \(d.qliBlocks) QLI blocks" }
                if d.retransmissions > 0 { out += ", \(d.retransmissions) retransmitted" }
                if d.outOfOrder > 0 { out += ", \(d.outOfOrder) out of order" }
                if !d.sawSYN && d.segments > 0 { out += ", no SYN (picked up mid-stream)" }
                if d.sawRST { out += ", RST" }
                out += "\n"
            }
        }
        if s.flows.count > 50 { out += "  … \(s.flows.count - 50) more (see --format json)\n" }
        out += "sessions: \(s.sessions.count)\n"
        for x in s.sessions.prefix(50) {
            out += "  \(x.id): \(x.frames) frames, flows \(x.flows.map(String.init).joined(separator: ",")), packets \(x.firstPacket)-\(x.lastPacket), \(x.keysConfirmed) keys confirmed, \(x.aborts) aborts\n"
        }
        out += "messages: \(s.messages)\n"
        for (type, byDirection) in s.messagesByType.sorted(by: { $0.key < $1.key }) {
            out += "  \(type): " + byDirection.sorted(by: { $0.key < $1.key }).map { "\($0.value) from \($0.key)" }.joined(separator: ", ") + "\n"
        }
        out += "gaps: \(s.gaps.count)\n"
        for g in s.gaps.prefix(20) {
            out += "  flow \(g.flow) from \(g.direction): \(g.length) bytes missing at stream offset \(g.streamOffset), between packets \(g.afterPacket) and \(g.beforePacket)\n"
        }
        out += "conflicting overlaps: \(s.overlaps.count)\n"
        for o in s.overlaps.prefix(20) {
            out += "  flow \(o.flow) from \(o.direction): packet \(o.packet) re-sends \(o.length) bytes at stream offset \(o.streamOffset) with different content\n"
        }
        for l in s.limitsExceeded.prefix(20) { out += "  limit: \(l)\n" }
        for r in s.resynchronisations.prefix(20) { out += "  \(r)\n" }
        out += "decode errors: \(s.decodeErrorCount)\n"
        for e in s.decodeErrors.prefix(20) {
            out += "  packet \(e.packet), flow \(e.flow) from \(e.direction), stream offset \(e.streamOffset): \(e.message)\n"
        }
        return out
    }
}
