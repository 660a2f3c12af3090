extension FrameDecoder {
    /// Decodes exactly one complete frame from bytes borrowed for the duration of the call (a
    /// capture's packet, or a window of a reassembly buffer), strictly and with the same result
    /// as ``decode(slice:)``: the same message, or the same error at the same offset. Nothing is
    /// copied or retained: no slice, no authenticated-bytes slice (a reader that verifies tags
    /// uses ``decode(slice:)``), and the payload is read where it lies. The bytes are not read
    /// after the call returns.
    ///
    /// A frame whose header is not well formed, or whose length disagrees with `bytes`, is
    /// handed to ``decode(slice:)`` on a copy, so every error comes from the one place that
    /// defines it.
    public static func decodeFrame(borrowing bytes: UnsafeRawBufferPointer) throws(WireError) -> Frame {
        let n = bytes.count
        guard n >= Frame.headerBytes else { return try decode(slice: ArraySlice(bytes)).frame }
        // 28 bytes are there (checked above).
        let (magic, version, header) = headerFields(bytes)
        let type = header.type, flags = header.flags, length = header.length
        guard magic == Frame.magic, version == Frame.version, flags & ~Frame.ignorableFlag == 0, length <= Frame.maximumPayload,
              n == Frame.headerBytes + length + Frame.tagBytes
        else { return try decode(slice: ArraySlice(bytes)).frame }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[Frame.headerBytes..<Frame.headerBytes + length])
        let message: Message
        if let known = MessageType(rawValue: type) {
            // The reader lives in this call only, while `bytes` is valid (the caller's borrow).
            var r = ByteReader(borrowing: payload, base: Frame.headerBytes)
            message = try PayloadCodec.decode(type: known, &r)
        } else if flags & Frame.ignorableFlag != 0 {
            message = .ignored(type: type, payload: [UInt8](payload))
        } else {
            return try decode(slice: ArraySlice(bytes)).frame  // an unknown type without IGNORABLE: its error
        }
        // n == 28 + length + 8 (checked above): the tag is the last eight bytes.
        let tag = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: Frame.headerBytes + length, as: UInt64.self))
        return Frame(sessionID: header.sessionID, sequence: header.sequence, flags: flags, message: message, tag: tag)
    }
}
