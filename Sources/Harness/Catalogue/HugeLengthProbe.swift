import Foundation

/// The input of the huge-lengths probe: bytes that announce a huge length in one of the framings
/// stacks commonly use, the layout drawn from the case's seed, so that runs under different seeds
/// reach length fields at different places. Every layout fills the rest with seeded random bytes
/// up to `size`, so a parser that reads past its length field finds no well-formed structure.
struct HugeLengthProbe {
    /// The framings, each with the field a parser would read first. None announces less than
    /// 2¹⁵ − 1 (u16) or 2³¹ − 1 bytes (wider fields).
    enum Layout: CaseIterable {
        /// All ones from the first byte: huge as u16, u32 or u64, big- or little-endian, and as
        /// every signed width read as unsigned.
        case allOnesAtStart
        /// A header of 1 to 8 bytes (type, version or magic) before an all-ones length field.
        case allOnesAfterHeader
        /// The largest positive signed values (0x7F…), big-endian then little-endian: a parser
        /// that refuses −1 as a length still meets a positive huge one.
        case largestSigned
        /// A varint (protobuf, QUIC-style continuation bits) announcing 2⁶³ after a one-byte tag.
        case varint
        /// An ASN.1 DER SEQUENCE with a four-byte long-form length of 2³¹ − 1.
        case derLongForm
        /// A TLS-style record header: type, version 3.3, u16 length 0xFFFF, then a u24 handshake
        /// length 0xFFFFFF.
        case recordHeader
    }

    let layout: Layout
    let bytes: [UInt8]
    /// What was drawn, for the case's detail.
    let layoutDescription: String

    init(random: inout CaseRandom, size: Int = 96) {
        layout = Layout.allCases[random.int(in: 0...(Layout.allCases.count - 1))]
        var b: [UInt8]
        switch layout {
        case .allOnesAtStart:
            b = [UInt8](repeating: 0xFF, count: 8)
            layoutDescription = "all-ones length fields from byte 0"
        case .allOnesAfterHeader:
            let header = random.int(in: 1...8)
            b = (0..<header).map { _ in UInt8(truncatingIfNeeded: random.next()) } + [UInt8](repeating: 0xFF, count: 8)
            layoutDescription = "a \(header)-byte header, then all-ones length fields"
        case .largestSigned:
            b = [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
            layoutDescription = "the largest positive signed lengths, big-endian then little-endian"
        case .varint:
            // Field 1 … 15 with wire type 2 (length-delimited), then 2^63 in nine 0x80 groups and 0x01.
            b = [UInt8(random.int(in: 1...15) << 3 | 2)] + [UInt8](repeating: 0x80, count: 9) + [0x01]
            layoutDescription = "a varint announcing 2^63 after a one-byte tag"
        case .derLongForm:
            b = [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF]
            layoutDescription = "an ASN.1 DER length of 2^31 - 1"
        case .recordHeader:
            b = [0x16, 0x03, 0x03, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0xFF]
            layoutDescription = "a record header announcing 65535 bytes and a 2^24 - 1-byte body"
        }
        while b.count < size { b.append(UInt8(truncatingIfNeeded: random.next())) }
        bytes = b
    }
}
