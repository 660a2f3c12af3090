import ArgumentParser
import Foundation
import Wire

/// `qkdspec bench decode`: control-channel frame decoder throughput.
struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Frame decoder throughput in MB/s of well-formed frames.",
        discussion: """
            Decodes a stream of well-formed frames shaped like a reference session's traffic —
            sifting announcements of 4096 detections, Cascade request and reply batches of 64 frames,
            verification and key-confirmation frames — through the streaming decoder, --repeat times,
            and reports the median. The baseline in the same run is copying the same bytes.

            Example:
              qkdspec bench decode --format json
            """
    )

    @Option(help: "Megabytes of frames per run.")
    var megabytes = 64

    @Option(name: .customLong("repeat"), help: "Runs; the median is reported.")
    var repeatCount = 7

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    func validate() throws {
        guard megabytes >= 1, megabytes <= 4096 else { throw ValidationError("--megabytes must lie in 1 ... 4096") }
        guard repeatCount >= 1, repeatCount <= 1000 else { throw ValidationError("--repeat must lie in 1...1000") }
    }

    struct Result: Encodable {
        var benchmark = "decode"
        var build: String
        var bytes: Int
        var frames: Int
        var runs: Int
        var megabytesPerSecond: Double
        var framesPerSecond: Double
        var copyMegabytesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case benchmark, build, bytes, frames, runs
            case megabytesPerSecond = "megabytes_per_second", framesPerSecond = "frames_per_second"
            case copyMegabytesPerSecond = "copy_megabytes_per_second"
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
        var rates = [Double](), copyRates = [Double]()
        var decodedFrames = 0
        for _ in 0..<repeatCount {
            var decoder = FrameDecoder()
            decodedFrames = 0
            let seconds = try secondsTaken {
                decoder.append(stream)
                while let _ = try decoder.next() { decodedFrames += 1 }
            }
            rates.append(Double(stream.count) / seconds / 1e6)
            var copy = [UInt8]()
            let copySeconds = secondsTaken { copy.append(contentsOf: stream) }
            if copy.count != stream.count { throw UsageError("internal error: copy lost bytes") }
            copyRates.append(Double(stream.count) / copySeconds / 1e6)
        }
        guard decodedFrames == count else { throw UsageError("internal error: decoded \(decodedFrames) of \(count) frames") }
        let m = median(rates)
        let result = Result(build: buildConfiguration, bytes: stream.count, frames: count, runs: repeatCount, megabytesPerSecond: m,
                            framesPerSecond: m * 1e6 / Double(stream.count) * Double(count), copyMegabytesPerSecond: median(copyRates))
        switch format {
        case .json: try printJSON(result)
        case .text:
            print(String(format: "decode  %@ build  %d frames, %.1f MB  %.0f MB/s (median of %d, %.3g frames/s)  memory copy %.0f MB/s",
                         buildConfiguration, count, Double(stream.count) / 1e6, m, repeatCount, result.framesPerSecond, result.copyMegabytesPerSecond))
        }
    }
}
