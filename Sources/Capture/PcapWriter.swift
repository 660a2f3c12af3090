import CPcap
import Foundation

/// Writes classic pcap files through libpcap (`pcap_open_dead` + `pcap_dump`), Ethernet link
/// type, so Wireshark, tshark and the project's dissector open them.
package final class PcapWriter: @unchecked Sendable {
    private let handle: OpaquePointer
    private let dumper: OpaquePointer
    private let lock = NSLock()
    private var closed = false

    package enum Error: Swift.Error, CustomStringConvertible {
        case cannotOpen(String)
        package var description: String {
            switch self {
            case .cannotOpen(let m): return "cannot write the capture: \(m)"
            }
        }
    }

    package init(path: String, snapLength: Int32 = 262_144) throws {
        guard let h = pcap_open_dead(DLT_EN10MB, snapLength) else { throw Error.cannotOpen("pcap_open_dead failed") }
        guard let d = pcap_dump_open(h, path) else {
            let message = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw Error.cannotOpen("\(path): \(message)")
        }
        handle = h
        dumper = d
    }

    /// Appends one link-layer frame with the given timestamp.
    package func write(_ frame: [UInt8], at time: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        var header = pcap_pkthdr()
        let t = time.timeIntervalSince1970
        header.ts.tv_sec = Int(t)
        header.ts.tv_usec = Int((t - floor(t)) * 1e6)
        header.caplen = bpf_u_int32(frame.count)
        header.len = bpf_u_int32(frame.count)
        frame.withUnsafeBufferPointer { bytes in
            withUnsafePointer(to: &header) { h in
                pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), h, bytes.baseAddress)
            }
        }
    }

    package func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        pcap_dump_flush(dumper)
        pcap_dump_close(dumper)
        pcap_close(handle)
    }

    deinit { close() }
}
