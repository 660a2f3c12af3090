import Foundation
import PostProcessing
import Testing
@testable import Node

/// Values the node derives with SHA-256 and puts on the wire: known answers computed with
/// Python's hashlib, not by the code under test.
@Suite("Reference node: SHA-256-derived wire values")
struct WireMappingTests {
    @Test("a derived key ID is the first 16 bytes of SHA-256(\"qkdspec key id\" ‖ session ‖ frame), both big-endian")
    func derivedKeyID() {
        // hashlib.sha256(b"qkdspec key id" + (1).to_bytes(8, "big") + (2).to_bytes(8, "big")).hexdigest()[:32]
        #expect(UUID.derivedKeyID(session: 1, frame: 2).uuidString == "27E29DB4-70BE-ED04-64E5-091FA34AA043")
    }

    @Test("KEY_CONFIRMATION's fingerprint is the key's fingerprint as a u64")
    func fingerprint64() throws {
        let key = try #require(BitKey(bytes: Array(0..<32), count: 256))
        #expect(key.fingerprint64 == 0xef53_c830_2adf_63a4)
    }
}
