import CPcap
import Foundation

/// Why a capture file cannot be read: always names the file and, where known, the byte offset.
package enum CaptureFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is missing, empty, or not a pcap/pcapng file (libpcap's own reason kept).
    case cannotOpen(path: String, offset: Int, reason: String)
    /// The file broke off or lies about a length after `offset` bytes of valid records.
    case damaged(path: String, offset: Int, packet: Int, reason: String)
    /// The BPF expression does not compile for this file's link type.
    case badFilter(expression: String, reason: String)

    package var description: String {
        switch self {
        case let .cannotOpen(p, o, r): return "\(p): cannot read the capture at byte \(o): \(r)"
        case let .damaged(p, o, n, r): return "\(p): damaged at byte \(o) (after packet \(n)): \(r)"
        case let .badFilter(e, r): return "filter \"\(e)\" does not compile: \(r)"
        }
    }
}

/// One packet as libpcap hands it over: valid only until the next call to ``PcapReader/next()``.
package struct CapturedPacket {
    /// 1-based, as Wireshark numbers them.
    package var number: Int
    /// Seconds since the epoch (microsecond or nanosecond resolution, whichever the file has).
    package var time: Double
    /// The captured bytes (possibly shorter than `wireLength`).
    package var bytes: UnsafeRawBufferPointer
    package var wireLength: Int
    /// Where `bytes` start in the file, when that is known by arithmetic (classic pcap, see
    /// ``PcapReader/recordedBytes()``); -1 otherwise (pcapng, standard input, packets built in
    /// memory).
    package var fileOffset = -1
}

/// A pcap or pcapng file opened through libpcap (`pcap_open_offline`), read one packet at a time
/// (`pcap_next_ex`), so memory does not grow with the file. Owns its `pcap_t` and closes it once.
package final class PcapReader {
    private let handle: OpaquePointer
    private let filter: bpf_program?
    package let path: String
    /// The file's link type (DLT_ value; libpcap 1.10 gives one per file, also for pcapng).
    package let linkType: Int32
    package let snapshotLength: Int
    package var packetsRead: Int { cursor.packetsRead }
    /// Packets the `--filter` expression rejected.
    package var packetsFiltered: Int { cursor.packetsFiltered }
    /// What ``next()`` changes per packet, in one value: read once and written once per call
    /// (each access to a class's stored property costs a run-time exclusivity check).
    private var cursor: Cursor

    private struct Cursor {
        var packetsRead = 0
        /// Classic pcap in the standard layout: the offset of the next record, kept by
        /// arithmetic (16-byte record header + captured bytes) instead of asking the file
        /// position per packet (`ftell` is an `lseek` system call each time). nil for pcapng and
        /// for the variants whose record headers are longer (those ask the file position).
        var recordOffset: Int?
        var packetsFiltered = 0
    }

    /// Opens `path`. A file libpcap refuses (empty, wrong magic, truncated header, a pcapng
    /// block that lies about its length) is a ``CaptureFileError/cannotOpen``.
    package init(path: String, filter expression: String? = nil) throws(CaptureFileError) {
        self.path = path
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size else { throw .cannotOpen(path: path, offset: 0, reason: "no such file") }
        guard size > 0 else { throw .cannotOpen(path: path, offset: 0, reason: "the file is empty (zero bytes)") }
        var buffer: UnsafeMutableRawPointer?
        let opened = Self.open(path, buffer: &buffer, errbuf: &errbuf)
        guard let h = opened else {
            buffer?.deallocate()
            let reason = String(cString: errbuf)
            throw .cannotOpen(path: path, offset: Self.headerOffset(reason: reason, size: size), reason: reason)
        }
        handle = h
        readBuffer = buffer
        cursor = Cursor(recordOffset: Self.classicHeaderEnd(h))
        hasRecordOffsets = cursor.recordOffset != nil
        linkType = pcap_datalink(h)
        snapshotLength = Int(pcap_snapshot(h))
        if let expression, !expression.isEmpty {
            var program = bpf_program()
            guard pcap_compile(h, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let reason = String(cString: pcap_geterr(h))
                pcap_close(h)
                buffer?.deallocate()  // the object is not complete: no deinit frees it
                throw .badFilter(expression: expression, reason: reason)
            }
            filter = program
        } else {
            filter = nil
        }
    }

    /// The stdio buffer libpcap reads the file through (nil when libpcap opened the file itself):
    /// freed after `pcap_close` has closed the stream that uses it.
    private let readBuffer: UnsafeMutableRawPointer?
    /// 256 KiB: libpcap reads each record with two `fread` calls; with the default stdio buffer
    /// (one page) that is a `read` system call per few records, with this one per about a
    /// thousand. Not larger: the kernel copies each refill into the buffer and `fread` copies
    /// the records out of it, and the smaller the buffer, the more of it is still in the core's
    /// cache for the second copy, beside the flows' state (1 MiB took about 6 % more CPU time
    /// on the million-packet bench capture, in alternate runs).
    private static let readBufferBytes = 1 << 18

    /// Opens `path` for libpcap: the file is opened here and given a large stdio buffer before
    /// libpcap reads a byte of it (`setvbuf` must come first), then handed to
    /// `pcap_fopen_offline`, which owns the stream from then on (`pcap_close` closes it). "-"
    /// (libpcap's standard input) and a file `fopen` refuses go to `pcap_open_offline` as before,
    /// which gives its own error for the latter.
    private static func open(_ path: String, buffer: inout UnsafeMutableRawPointer?, errbuf: inout [CChar]) -> OpaquePointer? {
        let precision = UInt32(PCAP_TSTAMP_PRECISION_NANO)
        guard path != "-", let file = fopen(path, "rb") else {
            return pcap_open_offline_with_tstamp_precision(path, precision, &errbuf)
        }
        let b = UnsafeMutableRawPointer.allocate(byteCount: readBufferBytes, alignment: 64)
        buffer = b
        setvbuf(file, b.assumingMemoryBound(to: CChar.self), _IOFBF, readBufferBytes)
        // The stream is libpcap's alone, read on one thread at a time: no lock per `fread`.
        qkdspec_stdio_single_owner(file)
        _ = posix_fadvise(fileno(file), 0, 0, POSIX_FADV_SEQUENTIAL)
        guard let h = pcap_fopen_offline_with_tstamp_precision(file, precision, &errbuf) else {
            fclose(file)  // not libpcap's on failure
            return nil
        }
        return h
    }

    /// Where a header problem sits: libpcap reports none, so the byte is the first one past what
    /// a header needs when the file is shorter than that, else 0 (the magic).
    private static func headerOffset(reason: String, size: Int) -> Int {
        reason.contains("truncated") || reason.contains("only got") ? size : 0
    }

    /// True when each packet's offset in the file is known (``CapturedPacket/fileOffset``).
    private let hasRecordOffsets: Bool

    /// The file, to read a packet's bytes again by their ``CapturedPacket/fileOffset`` (a
    /// retransmission compared with what was delivered before); nil when packets come without
    /// offsets or the descriptor cannot be duplicated.
    package func recordedBytes() -> RecordedBytes? {
        guard hasRecordOffsets, let f = pcap_file(handle) else { return nil }
        return RecordedBytes(duplicating: fileno(f))
    }

    /// The byte offset libpcap has read up to (the end of the last complete record).
    package var fileOffset: Int {
        guard let f = pcap_file(handle) else { return 0 }
        return ftell(f)
    }

    /// 24 (the end of the file header) when `h` reads classic pcap whose records are a 16-byte
    /// header and the captured bytes (magic a1b2c3d4 or a1b23c4d, either byte order, and libpcap
    /// just past the file header); nil otherwise (pcapng, the patched formats with longer record
    /// headers), where offsets come from the file position.
    private static func classicHeaderEnd(_ h: OpaquePointer) -> Int? {
        guard let f = pcap_file(h), ftell(f) == 24 else { return nil }
        var magic: UInt32 = 0
        guard pread(fileno(f), &magic, 4, 0) == 4 else { return nil }
        let standard: Set<UInt32> = [0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1]
        return standard.contains(magic) ? 24 : nil
    }

    /// The next packet that passes the filter; nil at the end of the file. A truncated or lying
    /// record throws ``CaptureFileError/damaged`` with the offset where it starts.
    package func next() throws(CaptureFileError) -> CapturedPacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var c = cursor
        defer { cursor = c }
        while true {
            let before = c.recordOffset ?? fileOffset
            let status = pcap_next_ex(handle, &header, &data)
            if status == 1, let header, let data {
                c.packetsRead += 1
                let h = header.pointee
                if c.recordOffset != nil {
                    // libpcap cuts a record longer than the snapshot length to that length and
                    // skips the rest: then the captured length no longer says where the next
                    // record starts, and the file position is asked.
                    c.recordOffset = Int(h.caplen) < snapshotLength ? before + 16 + Int(h.caplen) : fileOffset
                }
                if var program = filter {
                    guard pcap_offline_filter(&program, header, data) != 0 else { c.packetsFiltered += 1; continue }
                }
                let time = Double(h.ts.tv_sec) + Double(h.ts.tv_usec) * 1e-9
                // A record's bytes follow its 16-byte header (libpcap keeps the first `caplen`).
                return CapturedPacket(number: c.packetsRead, time: time,
                                      bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)), wireLength: Int(h.len),
                                      fileOffset: hasRecordOffsets ? before + 16 : -1)
            }
            if status == PCAP_ERROR_BREAK { return nil }
            let reason = String(cString: pcap_geterr(handle))
            throw .damaged(path: path, offset: before, packet: c.packetsRead, reason: reason)
        }
    }

    deinit {
        if var program = filter { pcap_freecode(&program) }
        pcap_close(handle)
        readBuffer?.deallocate()  // after the stream that read through it is closed
    }
}
