/// The bytes of a stream that are not yet a complete unit (frame or block). Consumed bytes are
/// dropped lazily — only once they are more than half the buffer — so appending stays cheap
/// without the buffer growing forever.
struct StreamBuffer: Sendable {
    private var bytes: [UInt8] = []
    private var start = 0

    mutating func append(_ more: some Sequence<UInt8>) {
        if start > 0 && start > bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// Bytes not yet consumed.
    var count: Int { bytes.count - start }

    /// The first `n` unconsumed bytes (n ≤ count).
    func prefix(_ n: Int) -> ArraySlice<UInt8> { bytes[start..<start + n] }

    mutating func consume(_ n: Int) { start += n }
}
