/// The bytes of a stream that are not yet a complete unit (frame or block). Consumed bytes are
/// dropped lazily — only once they are more than half the buffer — so appending stays cheap
/// without the buffer growing forever.
struct StreamBuffer: Sendable {
    private var bytes: [UInt8] = []
    private var start = 0

    mutating func append(_ more: some Sequence<UInt8>) {
        dropConsumed()
        // Callers in other modules reach this generic unspecialised: contiguous bytes (arrays,
        // slices, NIO's views) are appended as one copy instead of element by element.
        let copied: Void? = more.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if copied == nil { bytes.append(contentsOf: more) }
    }

    mutating func append(contiguous more: ArraySlice<UInt8>) {
        dropConsumed()
        bytes.append(contentsOf: more)
    }

    /// Drops the consumed bytes once they are more than half the buffer.
    private mutating func dropConsumed() {
        if start > 0 && start > bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
    }

    /// Bytes not yet consumed.
    var count: Int { bytes.count - start }

    /// The first `n` unconsumed bytes (n ≤ count).
    func prefix(_ n: Int) -> ArraySlice<UInt8> { bytes[start..<start + n] }

    mutating func consume(_ n: Int) { start += n }
}
