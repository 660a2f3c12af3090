import Crypto
import Foundation
import PostProcessing
import Wire

// How the node's values travel in qkdspec-wire/1 (docs/protocol.md): Cascade variants as codes,
// key IDs as 16 bytes, fingerprints as u64, parity queries as wire entries.

extension CascadeVariant {
    /// The PARAMETERS code: 0 original, 1 yanetal, 2 extended.
    var wireCode: UInt8 {
        switch self {
        case .original: return 0
        case .yanetal: return 1
        case .extended: return 2
        }
    }

    /// The variant for a PARAMETERS code (Bob refuses codes above 2 before any frame exists).
    init(wireCode: UInt8) {
        switch wireCode {
        case 0: self = .original
        case 1: self = .yanetal
        default: self = .extended
        }
    }
}

extension UUID {
    /// The 16 bytes of a key ID on the wire.
    var wireBytes: [UInt8] { withUnsafeBytes(of: uuid) { Array($0) } }

    /// A key ID from its 16 wire bytes, or nil if there are not 16.
    init?(wireBytes b: [UInt8]) {
        guard b.count == 16 else { return nil }
        self.init(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// A key ID derived from the session and frame numbers (SHA-256 of a domain tag and both,
    /// big-endian, first 16 bytes): what a stack gets when it names keys by their position.
    static func derivedKeyID(session: UInt64, frame: UInt64) -> UUID {
        let d = SHA256.hash(data: Array("qkdspec key id".utf8) + withUnsafeBytes(of: session.bigEndian) { Array($0) }
                                + withUnsafeBytes(of: frame.bigEndian) { Array($0) })
        return UUID(wireBytes: Array(d.prefix(16))) ?? UUID()
    }
}

extension BitKey {
    /// The KEY_CONFIRMATION fingerprint: the first 8 bytes of the key's fingerprint, as a u64.
    var fingerprint64: UInt64 { UInt64(fingerprint, radix: 16) ?? 0 }
}

extension Array where Element == ParityQuery {
    /// Parity queries as CASCADE_REQUEST entries carry them.
    var wire: [WireParityQuery] { map { WireParityQuery(pass: $0.pass, start: $0.start, end: $0.end) } }
}
