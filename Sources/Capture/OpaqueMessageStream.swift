import TargetFiles

/// One direction of a connection that speaks a protocol qkdspec does not know, cut into messages
/// by the framing its target file declares (`framing`, docs/targets.md): `capture inspect
/// --target` counts and lists those messages, and says where the stream stops following the
/// declaration. The bytes are not interpreted beyond the length field.
struct OpaqueMessageStream {
    private var splitter: MessageSplitter
    /// Stream offset of the next message's first byte.
    private(set) var offset: Int64 = 0
    /// The stream broke the declared framing: nothing after that point can be placed.
    private(set) var failed = false

    init(framing: MessageFraming) { splitter = MessageSplitter(framing: framing) }

    /// Appends a direction's next bytes and hands over every message they complete, with its
    /// stream offset. Returns the framing problem (and its offset) that stops the stream, once.
    mutating func feed(_ bytes: [UInt8], message: (_ bytes: [UInt8], _ offset: Int64) -> Void) -> (problem: FramingProblem, offset: Int64)? {
        guard !failed else { return nil }
        splitter.append(bytes)
        while true {
            do {
                guard let next = try splitter.next() else { return nil }
                message(next, offset)
                offset += Int64(next.count)
            } catch {
                failed = true
                return (error, offset)
            }
        }
    }
}
