import Crypto
import Foundation
import SwiftASN1
import X509

/// A test PKI for a KME pair and its SAEs, made with swift-certificates and swift-crypto
/// (ECDSA P-256, SHA-256): a CA, one server certificate per KME (SAN 127.0.0.1 and localhost,
/// the KME ID in the subject CN), one client certificate per SAE (the SAE ID in the subject CN,
/// which is where the reference KME reads it), and a second, unrelated CA with a client
/// certificate of its own for the negative cases. Private keys are written mode 0600.
package struct TestPKI: Sendable {
    /// File names inside the PKI directory.
    package enum File {
        package static let ca = "ca.pem", caKey = "ca.key"
        package static let otherCA = "other-ca.pem", otherCAKey = "other-ca.key"
        package static func cert(_ name: String) -> String { "\(name).pem" }
        package static func key(_ name: String) -> String { "\(name).key" }
    }

    package var masterKMEID = "KME_A"
    package var slaveKMEID = "KME_B"
    package var masterSAEID = "SAE_1"
    package var slaveSAEID = "SAE_2"
    /// An SAE with a valid certificate of this CA that neither KME has attached.
    package var unattachedSAEID = "SAE_X"
    /// How long the certificates are valid.
    package var validity: TimeInterval = 30 * 86_400

    package init() {}

    /// Certificate/key file stems: `kme-master`, `kme-slave`, `sae1`, `sae2`, `saex`, `rogue`
    /// (the master SAE's ID under the other CA).
    package static let masterKME = "kme-master", slaveKME = "kme-slave", masterSAE = "sae1", slaveSAE = "sae2", unattachedSAE = "saex",
                      rogue = "rogue"

    /// Writes the PKI into `directory` (created if needed). Existing files are replaced.
    package func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let now = Date()
        let (caCert, caKey) = try Self.makeCA(name: "qkdspec test CA", now: now, validity: validity)
        try write(caCert, caKey, stem: "ca", in: directory)
        let (otherCert, otherKey) = try Self.makeCA(name: "qkdspec other CA (not trusted by the KMEs)", now: now, validity: validity)
        try write(otherCert, otherKey, stem: "other-ca", in: directory)
        for (stem, kmeID) in [(Self.masterKME, masterKMEID), (Self.slaveKME, slaveKMEID)] {
            let (c, k) = try Self.makeLeaf(commonName: kmeID, server: true, issuer: caCert, issuerKey: caKey, now: now, validity: validity)
            try write(c, k, stem: stem, in: directory)
        }
        for (stem, saeID) in [(Self.masterSAE, masterSAEID), (Self.slaveSAE, slaveSAEID), (Self.unattachedSAE, unattachedSAEID)] {
            let (c, k) = try Self.makeLeaf(commonName: saeID, server: false, issuer: caCert, issuerKey: caKey, now: now, validity: validity)
            try write(c, k, stem: stem, in: directory)
        }
        let (rogue, rogueKey) = try Self.makeLeaf(commonName: masterSAEID, server: false, issuer: otherCert, issuerKey: otherKey, now: now,
                                                  validity: validity)
        try write(rogue, rogueKey, stem: Self.rogue, in: directory)
    }

    private func write(_ certificate: Certificate, _ key: P256.Signing.PrivateKey, stem: String, in directory: String) throws {
        let certPath = (directory as NSString).appendingPathComponent(File.cert(stem))
        let keyPath = (directory as NSString).appendingPathComponent(File.key(stem))
        try certificate.serializeAsPEM().pemString.write(toFile: certPath, atomically: true, encoding: .utf8)
        try Self.writeSecret(key.pemRepresentation, to: keyPath)
    }

    /// Writes `text` to a new file that only its owner can read (0600 from the start: the key is
    /// never readable by others, not even for a moment).
    static func writeSecret(_ text: String, to path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyDeliveryError.configuration("cannot write the private key \(path)")
        }
    }

    static func makeCA(name: String, now: Date, validity: TimeInterval) throws -> (Certificate, P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let dn = try DistinguishedName { OrganizationName("qkdspec"); CommonName(name) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
            issuer: dn, subject: dn, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(key))
        return (cert, key)
    }

    static func makeLeaf(commonName: String, server: Bool, issuer: Certificate, issuerKey: P256.Signing.PrivateKey, now: Date,
                         validity: TimeInterval) throws -> (Certificate, P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { OrganizationName("qkdspec"); CommonName(commonName) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage(server ? [.serverAuth] : [.clientAuth])
            if server {
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            }
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
            issuer: issuer.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(issuerKey))
        return (cert, key)
    }

    /// The subject common name of a DER certificate: where the reference KME reads an SAE ID.
    package static func commonName(derEncoded der: [UInt8]) -> String? {
        guard let cert = try? Certificate(derEncoded: der) else { return nil }
        for rdn in cert.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let s = String(attribute.value) { return s }
            }
        }
        return nil
    }
}
