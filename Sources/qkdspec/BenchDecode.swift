import ArgumentParser
import Foundation
import Wire

/// `qkdspec bench decode`: control-channel frame decoder throughput.
struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Frame decoder throughput in MB/s of well-formed frames.",
        discussion: """
            Decodes a stream of well-formed frames shaped like a reference session's traffic — \
            sifting announcements of 4096 detections, Cascade request and reply batches of 64 frames, \
            verification and key-confirmation frames — through the streaming decoder, --repeat times, \
            alternating with the baseline (a memory copy of the same bytes), and reports \
            min / median / max and the ratio of the medians.

            Example:
              qkdspec bench decode --format json
            """
    )

    @Option(help: "Megabytes of frames per run.")
    var megabytes = 64

    @OptionGroup var options: BenchOptions

    func validate() throws {
        guard megabytes >= 1, megabytes <= 4096 else { throw ValidationError("--megabytes must lie in 1 ... 4096") }
    }

    struct Details: Encodable {
        var bytes: Int
        var frames: Int
        var framesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case bytes, frames
            case framesPerSecond = "frames_per_second"
        }
    }

    static func sampleFrames() -> [[UInt8]] {
        var frames = [[UInt8]]()
        var seq: UInt64 = 0
        func add(_ m: Message) { frames.append(Frame(sessionID: 7, sequence: seq, message: m, tag: seq &* 0x9E37).encoded()); seq += 1 }
        let d = 4096
        add(.siftingBases(SiftingBases(block: 1, offsets: (0..<d).map { UInt32($0 * 250) },
                                       bases: BitString(bits: (0..<d).map { UInt8($0 & 1) }))))
        add(.siftingResult(SiftingResult(block: 1, matches: BitString(bits: (0..<d).map { UInt8(($0 >> 1) & 1) }),
                                         classes: BitString(bits: [UInt8](repeating: 0, count: d)))))
        add(.cascadeRequest(CascadeRequestBatch(entries: (0..<64).map { f in
            .init(frame: UInt64(f), round: 3, queries: (0..<24).map { WireParityQuery(pass: 0, start: UInt32($0 * 40), end: UInt32($0 * 40 + 20)) })
        })))
        add(.cascadeReply(CascadeReplyBatch(entries: (0..<64).map { f in
            .init(frame: UInt64(f), round: 3, parities: BitString(bits: (0..<24).map { UInt8($0 & 1) }))
        })))
        add(.verification(VerificationTags(frame: 9, hashKeys: [1], tags: [2])))
        add(.keyConfirmation(KeyConfirmation(frame: 9, keyID: [UInt8](repeating: 7, count: 16), fingerprint: 3)))
        return frames
    }

    func run() throws {
        warnIfDebug()
        let samples = Self.sampleFrames()
        var stream = [UInt8]()
        var count = 0
        while stream.count < megabytes << 20 {
            for f in samples { stream.append(contentsOf: f); count += 1 }
        }
        var decodedFrames = 0
        let measured = BenchSubject(name: "frame_decoder", description: "streaming frame decoder", work: Double(stream.count)) {
            var decoder = FrameDecoder()
            decodedFrames = 0
            decoder.append(stream)
            while try decoder.next() != nil { decodedFrames += 1 }
            guard decodedFrames == count else { throw UsageError("internal error: decoded \(decodedFrames) of \(count) frames") }
        }
        let copy = BenchSubject(name: "memory_copy", description: "a copy of the same bytes into a new array", work: Double(stream.count)) {
            var copy = [UInt8]()
            copy.append(contentsOf: stream)
            if copy.count != stream.count { throw UsageError("internal error: copy lost bytes") }
        }
        let m = try alternateRuns(clock: options.clock, options.runs(default: 7), unit: "MB/s", scale: 1e6, measured: measured, baselines: [copy])
        let report = BenchReport(benchmark: "decode", measurement: m, details: Details(
            bytes: stream.count, frames: count, framesPerSecond: m.measured.median * 1e6 / Double(stream.count) * Double(count)))
        switch options.format {
        case .json: try printJSON(report)
        case .text:
            print(String(format: "decode  %@ build  %d frames, %.1f MB  %.3g frames/s (median)",
                         buildConfiguration, count, Double(stream.count) / 1e6, report.details.framesPerSecond))
            for line in m.lines() { print(line) }
        }
    }
}
