import Foundation

/// `qkdspec kme serve --config FILE`: the reference KME pair's configuration (docs/etsi014.md).
/// Paths are relative to the file.
package struct KMEServeConfiguration: Sendable {
    package struct Side: Sendable {
        package var kmeID: String
        package var saeID: String
        package var endpoint: KMEEndpointConfiguration
        /// The node's key output file, or nil with a simulated link.
        package var keyOutput: String?
    }

    package var ca: String
    package var master: Side
    package var slave: Side
    package var limits: KMELimits
    /// A simulated link instead of node key outputs: how many keys of how many bits.
    package var simulatedKeys: (count: Int, bits: Int)?

    package init(ca: String, master: Side, slave: Side, limits: KMELimits, simulatedKeys: (count: Int, bits: Int)?) {
        self.ca = ca
        self.master = master
        self.slave = slave
        self.limits = limits
        self.simulatedKeys = simulatedKeys
    }

    package static func load(path: String) throws(KeyDeliveryError) -> KMEServeConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .configuration("cannot read \(path): \(error.localizedDescription)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw .configuration("\(path): not a JSON object") }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p) }
        func string(_ o: [String: Any], _ name: String, _ at: String) throws(KeyDeliveryError) -> String {
            guard let s = o[name] as? String, !s.isEmpty else { throw .configuration("\(at)\(name): is required and must be a non-empty string") }
            return s
        }
        func side(_ name: String) throws(KeyDeliveryError) -> Side {
            guard let o = root[name] as? [String: Any] else { throw .configuration("\(name): is required and must be an object") }
            let at = "\(name)."
            let listen = try string(o, "listen", at)
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw .configuration("\(at)listen: must be HOST:PORT, as in 127.0.0.1:8443")
            }
            let keyOutput = (o["key_output"] as? String).map(resolve)
            return Side(kmeID: try string(o, "kme_id", at), saeID: try string(o, "sae_id", at),
                        endpoint: KMEEndpointConfiguration(host: String(listen[..<colon]), port: port, certificatePath: resolve(try string(o, "cert", at)),
                                                           keyPath: resolve(try string(o, "key", at))),
                        keyOutput: keyOutput)
        }
        let master = try side("master"), slave = try side("slave")
        var limits = KMELimits()
        if let l = root["limits"] {
            guard let obj = l as? [String: Any], let json = try? JSONSerialization.data(withJSONObject: obj),
                  let decoded = try? JSONDecoder().decode(KMELimits.self, from: json)
            else { throw .configuration("limits: must be an object of integers (and multiples_of_8_only: true/false)") }
            limits = decoded
        }
        try limits.validate()
        var simulated: (Int, Int)?
        if let s = root["simulated_keys"] {
            guard let o = s as? [String: Any], let count = o["count"] as? Int, let bits = o["bits"] as? Int,
                  (0...1_000_000).contains(count), (1...1_048_576).contains(bits)
            else { throw .configuration("simulated_keys: must be {\"count\": 0...1000000, \"bits\": 1...1048576}") }
            simulated = (count, bits)
        }
        guard simulated != nil || (master.keyOutput != nil && slave.keyOutput != nil) else {
            throw .configuration("master.key_output and slave.key_output (the nodes' key output files) are required without simulated_keys")
        }
        return KMEServeConfiguration(ca: resolve(try string(root, "ca", "")), master: master, slave: slave, limits: limits, simulatedKeys: simulated)
    }

    /// The link these settings describe.
    package func makeLink(bugs: Set<KMEBugKnob>) -> KMELink {
        let sources: (any KeySource, any KeySource)
        if let simulatedKeys {
            let pair = SimulatedLink.pair(keys: simulatedKeys.count, bits: simulatedKeys.bits)
            sources = (pair.master, pair.slave)
        } else {
            sources = (KeyOutputFileSource(path: master.keyOutput ?? ""), KeyOutputFileSource(path: slave.keyOutput ?? ""))
        }
        return KMELink(identity: .init(masterKMEID: master.kmeID, slaveKMEID: slave.kmeID, masterSAEID: master.saeID, slaveSAEID: slave.saeID),
                       limits: limits, bugs: bugs, masterSource: sources.0, slaveSource: sources.1)
    }
}
