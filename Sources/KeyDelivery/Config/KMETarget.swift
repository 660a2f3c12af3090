import Foundation

/// A KME pair under test, as a target file's `kme` object gives it (docs/etsi014.md):
/// the master and slave KMEs with their SAEs' credentials, an SAE attached to neither, and what
/// the KMEs declare. Paths are relative to the target file.
package struct KMETarget: Sendable {
    package struct SAE: Sendable {
        package var url: String
        package var saeID: String
        package var cert: String
        package var key: String
        package var ca: String
    }

    package var master: SAE
    package var slave: SAE
    /// An SAE with a valid certificate that is not attached (for the 401 cases).
    package var unauthorized: (saeID: String, cert: String, key: String)
    /// Whether the KMEs serve only sizes that are multiples of 8 (clause 6.2).
    package var multiplesOf8Only: Bool
    /// `--strict`: SHOULD findings fail.
    package var strict = false
    /// How reports name the target.
    package var name: String

    package init(master: SAE, slave: SAE, unauthorized: (saeID: String, cert: String, key: String), multiplesOf8Only: Bool, name: String) {
        self.master = master
        self.slave = slave
        self.unauthorized = unauthorized
        self.multiplesOf8Only = multiplesOf8Only
        self.name = name
    }

    /// The master SAE's credentials for the master KME.
    package var masterCredentials: SAECredentials {
        SAECredentials(baseURL: master.url, caPath: master.ca, certificatePath: master.cert, keyPath: master.key)
    }

    package var slaveCredentials: SAECredentials {
        SAECredentials(baseURL: slave.url, caPath: slave.ca, certificatePath: slave.cert, keyPath: slave.key)
    }

    /// The unattached SAE's credentials for the KME at `url`.
    package func unauthorizedCredentials(url: String, ca: String) -> SAECredentials {
        SAECredentials(baseURL: url, caPath: ca, certificatePath: unauthorized.cert, keyPath: unauthorized.key)
    }

    /// Reads the `kme` object of a target file; errors name the field. Returns nil when the file
    /// has no `kme` object.
    package static func load(path: String) throws(KeyDeliveryError) -> KMETarget? {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .configuration("cannot read the target file \(path): \(error.localizedDescription)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .configuration("\(path): not a JSON object")
        }
        guard let kmeAny = root["kme"] else { return nil }
        guard let kme = kmeAny as? [String: Any] else { throw .configuration("kme: must be an object") }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p) }
        func field(_ o: [String: Any], _ name: String, _ at: String) throws(KeyDeliveryError) -> String {
            guard let v = o[name] else { throw .configuration("\(at).\(name): is required") }
            guard let s = v as? String, !s.isEmpty else { throw .configuration("\(at).\(name): must be a non-empty string") }
            return s
        }
        func sae(_ name: String) throws(KeyDeliveryError) -> SAE {
            guard let o = kme[name] as? [String: Any] else { throw .configuration("kme.\(name): is required and must be an object") }
            let at = "kme.\(name)"
            let url = try field(o, "url", at)
            guard url.hasPrefix("https://") else { throw .configuration("\(at).url: must be an https:// URL (clause 5.1)") }
            return SAE(url: url.hasSuffix("/") ? String(url.dropLast()) : url, saeID: try field(o, "sae_id", at),
                       cert: resolve(try field(o, "cert", at)), key: resolve(try field(o, "key", at)), ca: resolve(try field(o, "ca", at)))
        }
        let master = try sae("master"), slave = try sae("slave")
        guard let u = kme["unauthorized"] as? [String: Any] else { throw .configuration("kme.unauthorized: is required and must be an object") }
        let unauthorized = (try field(u, "sae_id", "kme.unauthorized"), resolve(try field(u, "cert", "kme.unauthorized")),
                            resolve(try field(u, "key", "kme.unauthorized")))
        var multiples = false
        if let d = kme["declared"] {
            guard let declared = d as? [String: Any] else { throw .configuration("kme.declared: must be an object") }
            if let m = declared["multiples_of_8_only"] {
                guard let b = m as? Bool else { throw .configuration("kme.declared.multiples_of_8_only: must be true or false") }
                multiples = b
            }
        }
        for p in [master.cert, master.key, master.ca, slave.cert, slave.key, slave.ca, unauthorized.1, unauthorized.2]
        where !FileManager.default.fileExists(atPath: p) {
            throw .configuration("\(p): no such file (paths in a target file are relative to the file)")
        }
        return KMETarget(master: master, slave: slave, unauthorized: unauthorized, multiplesOf8Only: multiples, name: path)
    }
}
