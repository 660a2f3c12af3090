import ArgumentParser
import Foundation
import KeyDelivery

/// `qkdspec pki`: the test PKI for a KME pair and its SAEs.
struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki", abstract: "Make the test PKI of a KME pair (ETSI GS QKD 014).",
        subcommands: [PKIInitCommand.self])
}

struct PKIInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a CA, KME server certificates, SAE client certificates and a second CA's certificate into DIR.",
        discussion: """
            ECDSA P-256 keys and SHA-256 signatures, made with swift-certificates and swift-crypto. \
            Files (keys mode 0600):
              ca.pem, ca.key
                  the CA both KMEs trust and every SAE certificate chains to
              kme-master.pem/.key, kme-slave.pem/.key
                  KME server certificates: CN = KME ID, SAN 127.0.0.1 and localhost
              sae1.pem/.key, sae2.pem/.key
                  the master and slave SAEs: CN = SAE ID (the reference KME reads it there)
              saex.pem/.key
                  a valid SAE certificate of an SAE attached to neither KME
              other-ca.pem/.key, rogue.pem/.key
                  a second CA, and a certificate it signed with the master SAE's CN
              kme.json
                  a `qkdspec kme serve --config` file for this PKI (simulated link)
              target.json
                  a `qkdspec run --profile etsi014 --target` file for that pair

            Example:
              qkdspec pki init pki/ && qkdspec kme serve --config pki/kme.json &
              qkdspec run --profile etsi014 --target pki/target.json
            """)

    @Argument(help: "Directory to write into (created if needed).")
    var directory: String

    @Option(help: "The master SAE's ID (subject CN of sae1.pem).")
    var masterSAE = "SAE_1"
    @Option(help: "The slave SAE's ID (subject CN of sae2.pem).")
    var slaveSAE = "SAE_2"
    @Option(help: "The unattached SAE's ID (subject CN of saex.pem).")
    var unattachedSAE = "SAE_X"
    @Option(help: "Days the certificates are valid.")
    var days = 30
    @Option(help: "Ports the kme.json and target.json name for the master and slave KMEs.")
    var ports = "8443,8444"

    func run() async throws {
        guard (1...3650).contains(days) else { throw UsageError("--days must lie in 1 ... 3650") }
        let p = ports.split(separator: ",").compactMap { Int($0) }
        guard p.count == 2, p.allSatisfy({ (1...65535).contains($0) }) else { throw UsageError("--ports takes MASTER,SLAVE, as in 8443,8444") }
        for id in [masterSAE, slaveSAE, unattachedSAE] where id.isEmpty || id.utf8.count > 64 {
            throw UsageError("an SAE ID must have 1 to 64 bytes (it is a certificate's CN)")
        }
        var pki = TestPKI()
        pki.masterSAEID = masterSAE
        pki.slaveSAEID = slaveSAE
        pki.unattachedSAEID = unattachedSAE
        pki.validity = TimeInterval(days) * 86_400
        do { try pki.write(to: directory) } catch { throw UsageError("cannot write the PKI into \(directory): \(error)") }
        let config: [String: Any] = [
            "ca": TestPKI.File.ca,
            "master": ["kme_id": pki.masterKMEID, "sae_id": masterSAE, "listen": "127.0.0.1:\(p[0])", "cert": "kme-master.pem", "key": "kme-master.key"],
            "slave": ["kme_id": pki.slaveKMEID, "sae_id": slaveSAE, "listen": "127.0.0.1:\(p[1])", "cert": "kme-slave.pem", "key": "kme-slave.key"],
            "simulated_keys": ["count": 1000, "bits": 8192],
        ]
        let target: [String: Any] = ["kme": [
            "master": ["url": "https://127.0.0.1:\(p[0])", "sae_id": masterSAE, "cert": "sae1.pem", "key": "sae1.key", "ca": "ca.pem"],
            "slave": ["url": "https://127.0.0.1:\(p[1])", "sae_id": slaveSAE, "cert": "sae2.pem", "key": "sae2.key", "ca": "ca.pem"],
            "unauthorized": ["sae_id": unattachedSAE, "cert": "saex.pem", "key": "saex.key"],
            "declared": ["multiples_of_8_only": true],
        ]]
        for (name, object) in [("kme.json", config), ("target.json", target)] {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try data.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
        }
        print("wrote the test PKI, kme.json and target.json to \(directory)")
    }
}
