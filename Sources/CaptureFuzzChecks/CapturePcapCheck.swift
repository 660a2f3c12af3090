import CFuzzerSupport
import Capture
import Foundation
import TargetFiles
import Wire

/// What the capture fuzz target runs on every input: the bytes as a pcap or pcapng file, read
/// through ``PcapReader`` (libpcap's `pcap_open_offline`) from an in-memory file
/// (`memfd_create`, opened as /proc/self/fd/N: the reader takes a path, and this way its own
/// checks are fuzzed too), then ``CaptureAnalyzer`` over every packet — dissection, TCP
/// reassembly, control-stream and QLI decoding, the message list — and the offline
/// ``SessionAuditor`` over every frame; inputs of odd length with a declared framing as well (the
/// opaque-message path of `inspect --target`). At most ``maximumPackets`` packets per input.
///
/// Checked, besides "no crash, no sanitizer report": a file libpcap refuses or that breaks off
/// is a ``CaptureFileError`` (never a trap); the summary's counts add up (every packet is
/// counted once, as TCP or as one of the reasons it is not); every frame handed on re-encodes to
/// the bytes it was decoded from.
package enum CapturePcapCheck {
    package static let maximumPackets = 512

    /// The in-memory file, made once per process (nil if the kernel has no memfd).
    nonisolated(unsafe) private static var memoryFile: (fd: Int32, path: String)? = {
        let fd = qkdspec_memory_file("qkdspec-fuzz-capture")
        return fd >= 0 ? (fd, "/proc/self/fd/\(fd)") : nil
    }()

    package static func check(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let file = memoryFile else { preconditionFailure("memfd_create failed: this target needs Linux's in-memory files") }
        guard ftruncate(file.fd, 0) == 0, pwriteAll(file.fd, bytes) else { preconditionFailure("cannot write the in-memory file") }
        let reader: PcapReader
        do { reader = try PcapReader(path: file.path) } catch { return }  // refused with a typed error: fine
        let analyzer = CaptureAnalyzer(limits: StreamReassemblyCheck.limits)
        analyzer.keepMessages = true
        // As `read` does: retransmissions compared with the bytes read back from the file.
        analyzer.readRetransmissionsBack(from: reader)
        // Inputs of odd length are read with a declared framing too (`inspect --target`), so the
        // opaque-message path is fuzzed: directions that are neither protocol become messages.
        if bytes.count % 2 == 1 { analyzer.framing = opaqueFraming }
        let auditor = SessionAuditor(declaration: AuditDeclaration(qberThreshold: 0.11, epsilonSecrecy: 1e-10, epsilonCorrectness: 1e-12))
        analyzer.onFrame = { observed in
            let encoded = observed.decoded.frame.encoded()
            precondition(encoded.dropLast(Frame.tagBytes).elementsEqual(observed.decoded.authenticatedBytes),
                         "a frame from the capture does not re-encode to its bytes")
            auditor.observe(observed)
        }
        var packets = 0
        do {
            while packets < maximumPackets, let packet = try reader.next() {
                packets += 1
                analyzer.add(packet, linkType: reader.linkType)
            }
        } catch {
            _ = error.description  // a damaged record: a typed error naming the offset
        }
        analyzer.finish()
        let s = analyzer.summary
        precondition(s.packets == packets, "\(packets) packets read, \(s.packets) counted")
        let sorted = s.tcpPackets + s.nonTCPPackets + s.nonIPPackets + s.unsupportedLinkPackets + s.fragments + s.truncatedPackets
        precondition(sorted == packets, "\(packets) packets, \(sorted) sorted into kinds")
        precondition(s.messageList.count == s.messages, "\(s.messages) messages, \(s.messageList.count) listed")
        _ = auditor.verdicts()
    }

    /// A small framing (a 2-byte length at byte 2, counting the rest, a 4-byte tag after it) that
    /// random TCP payloads follow for a while before they break it.
    static let opaqueFraming = MessageFraming(lengthOffset: 2, lengthSize: 2, byteOrder: .little, counts: .rest, extraBytes: 4, tagBytes: 4,
                                              maxMessageBytes: 1024)

    private static func pwriteAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var written = 0
        while written < bytes.count {
            let n = pwrite(fd, bytes.baseAddress!.advanced(by: written), bytes.count - written, off_t(written))
            guard n > 0 else { return false }
            written += n
        }
        return true
    }
}
