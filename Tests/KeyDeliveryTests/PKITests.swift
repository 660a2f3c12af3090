import Foundation
import Testing
import X509
@testable import KeyDelivery

@Suite struct PKITests {
    static func load(_ dir: String, _ name: String) throws -> Certificate {
        try Certificate(pemEncoded: String(contentsOfFile: (dir as NSString).appendingPathComponent(name), encoding: .utf8))
    }

    @Test func writesTheCertificatesTheKMEsAndSAEsNeed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestPKI().write(to: dir)
        let ca = try Self.load(dir, "ca.pem"), other = try Self.load(dir, "other-ca.pem")
        // Private keys are readable by their owner only.
        for stem in ["ca", "other-ca", "kme-master", "kme-slave", "sae1", "sae2", "saex", "rogue"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(dir)/\(stem).key")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(stem).key")
        }
        // SAE IDs in the subject CN; every leaf signed by the CA it names.
        for (file, cn, issuer) in [("sae1.pem", "SAE_1", ca), ("sae2.pem", "SAE_2", ca), ("saex.pem", "SAE_X", ca),
                                   ("kme-master.pem", "KME_A", ca), ("kme-slave.pem", "KME_B", ca), ("rogue.pem", "SAE_1", other)] {
            let cert = try Self.load(dir, file)
            #expect(TestPKI.commonName(derEncoded: try Array(cert.serializeAsPEM().derBytes)) == cn, "\(file)")
            #expect(cert.issuer == issuer.subject, "\(file)")
            #expect(issuer.publicKey.isValidSignature(cert.signature, for: cert), "\(file) is not signed by its CA")
        }
        // The rogue certificate does not verify under the KMEs' CA.
        let rogue = try Self.load(dir, "rogue.pem")
        #expect(!ca.publicKey.isValidSignature(rogue.signature, for: rogue))
        // KME server certificates name 127.0.0.1 and localhost.
        let kme = try Self.load(dir, "kme-master.pem")
        let san = try #require(try kme.extensions.subjectAlternativeNames)
        #expect(san.contains(.dnsName("localhost")))
        #expect(san.contains { if case .ipAddress(let ip) = $0 { return Array(ip.bytes) == [127, 0, 0, 1] } else { return false } })
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
    }
}
