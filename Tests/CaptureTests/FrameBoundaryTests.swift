import Capture
import Testing
import Wire

/// The capture decoder finds frame boundaries with its own quick header check
/// (`FrameBoundary.plausibleHeader`), which tells known message types from two words of bits
/// rather than through `MessageType`. The protocol's catalogue is the reference it must match.
@Suite struct FrameBoundaryTests {
    @Test("a header is plausible for exactly the type bytes the protocol's catalogue knows, for all 256")
    func knownTypesMatchTheCatalogue() {
        var header = Frame(sessionID: 1, sequence: 0, message: .keepalive(nonce: 0), tag: 0).encoded()
        var known = 0
        for t in 0...255 {
            header[5] = UInt8(t)
            let plausible = header.withUnsafeBytes { FrameBoundary.plausibleHeader($0) }
            let inCatalogue = MessageType(rawValue: UInt8(t)) != nil
            #expect(plausible == inCatalogue, "type byte 0x\(String(t, radix: 16))")
            if inCatalogue { known += 1 }
        }
        // docs/protocol.md lists 18 message types.
        #expect(known == 18)
    }
}
