import PostProcessing
import Wire

/// The pre-shared authentication key the harness writes for every session whose target file
/// names none (`{auth_key}`), and which the reference target's nodes use. The harness knows it,
/// so a fault can re-authenticate a frame it altered.
package enum DefaultAuthenticationKey {
    /// The key: 2^20 bits from a fixed linear congruential sequence (a test key, not a secret).
    package static let key: BitKey = {
        var s = UInt64(0x5EED)
        var words = [UInt64]()
        for _ in 0..<(1 << 14) { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; words.append(s) }
        return BitKey(words: words, count: words.count * 64)
    }()

    /// The key file's bytes (a node reads the key from a file, at least 1 KiB), written for
    /// every session: computed once.
    package static let fileBytes: [UInt8] = Array(key.bytes.prefix(1 << 17))

    /// `frame`, re-encoded with a valid tag under `key` for the direction it travels (Alice's by
    /// default): what an attacker holding the key could send, so that a fault reaches the check
    /// after authentication.
    package static func retagged(_ frame: Frame, key: BitKey = key, from side: Role = .alice) -> [UInt8]? {
        guard let pool = try? AuthenticationKeyPool(material: key) else { return nil }
        var wc = WegmanCarter(pool: pool)
        let direction: AuthenticationKeyPool.Direction = side == .alice ? .aliceToBob : .bobToAlice
        return try? frame.encoded { bytes in try wc.tag(bytes, direction: direction, sequence: frame.sequence) }
    }
}
