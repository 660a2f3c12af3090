import Foundation

/// The capture file read again at a byte offset: where a direction's delivered bytes are found
/// when a retransmission has to be compared with them (``DirectionState``), instead of a copy
/// of every delivered byte kept in memory. Only a classic pcap file read from a regular file
/// has one (``PcapReader/recordedBytes()``): there each record's bytes lie at an offset known by
/// arithmetic, and libpcap hands a TCP payload over as it lies in the file.
///
/// Holds its own descriptor (a duplicate of the one libpcap reads through), so it stays valid
/// after the reader is gone, and reads with `pread`, which does not move the position libpcap's
/// stream reads from.
package final class RecordedBytes {
    private let descriptor: Int32

    /// nil when the descriptor cannot be duplicated.
    init?(duplicating descriptor: Int32) {
        let own = dup(descriptor)
        guard own >= 0 else { return nil }
        self.descriptor = own
    }

    deinit { close(descriptor) }

    /// Fills `buffer` with the file's bytes from `offset`. False when they cannot all be read (the
    /// file was cut short or replaced while it was read).
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress, offset >= 0 else { return buffer.isEmpty }
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }
}
