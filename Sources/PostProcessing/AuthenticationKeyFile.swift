import Foundation

extension AuthenticationKeyPool {
    /// Reads pre-shared authentication key material from a file: hex text (whitespace ignored)
    /// or raw bytes. At least 64 bytes (the hash key and the first pads), at most 64 MiB.
    public static func loadKey(path: String) throws(PostProcessingError) -> BitKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidParameter(name: path, reason: "cannot read the authentication key file")
        }
        guard data.count <= 64 << 20 else {
            throw .invalidParameter(name: path, reason: "authentication key files are limited to 64 MiB")
        }
        // Hex text if every byte is a hex digit or whitespace; raw bytes otherwise.
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        let raw = Array(data)
        let digits = raw.filter { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }
        var bytes: [UInt8]
        if !digits.isEmpty, digits.count % 2 == 0, digits.allSatisfy({ nibble($0) != nil }) {
            bytes = stride(from: 0, to: digits.count, by: 2).map { (nibble(digits[$0]) ?? 0) << 4 | (nibble(digits[$0 + 1]) ?? 0) }
        } else {
            bytes = raw
        }
        guard bytes.count >= 64 else {
            throw .invalidParameter(name: path, reason: "the authentication key must hold at least 64 bytes (it has \(bytes.count))")
        }
        return BitKey(bytes: bytes, count: 8 * bytes.count) ?? BitKey(count: 0)
    }
}
