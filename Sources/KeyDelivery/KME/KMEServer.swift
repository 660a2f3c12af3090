import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// One KME's TLS identity and where it listens.
package struct KMEEndpointConfiguration: Sendable {
    package var host: String
    /// 0: any free port (the bound one is reported once the server runs).
    package var port: Int
    package var certificatePath: String
    package var keyPath: String

    package init(host: String = "127.0.0.1", port: Int = 0, certificatePath: String, keyPath: String) {
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

/// The reference KME pair: a master KME serving the master SAE from Alice's node keys and a
/// slave KME serving the slave SAE from Bob's, each a Hummingbird 2 server over TLS 1.2+ with
/// mutual authentication against one CA, sharing a ``KMELink``.
package final class KMEPairServer: Sendable {
    package let link: KMELink
    private let master: KMEEndpointConfiguration
    private let slave: KMEEndpointConfiguration
    private let caPath: String
    private let logger: Logger
    private let state = PortsBox()

    package init(link: KMELink, master: KMEEndpointConfiguration, slave: KMEEndpointConfiguration, caPath: String,
                logger: Logger = Logger(label: "qkdspec.kme")) {
        self.link = link
        self.master = master
        self.slave = slave
        self.caPath = caPath
        self.logger = logger
    }

    /// The TLS configuration of one KME: its certificate, the CA its SAEs must chain to, TLS 1.2
    /// at least, client certificates required (clause 5.1). Bug knobs loosen exactly one thing.
    func tlsConfiguration(_ endpoint: KMEEndpointConfiguration, bugs: Set<KMEBugKnob>) throws -> TLSChannelConfiguration {
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, ca: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(endpoint.certificatePath)
            key = try NIOSSLPrivateKey(file: endpoint.keyPath, format: .pem)
            ca = try NIOSSLCertificate.fromPEMFile(caPath)
        } catch {
            throw KeyDeliveryError.configuration("cannot load the KME's TLS files (\(endpoint.certificatePath), \(endpoint.keyPath), \(caPath)): \(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = bugs.contains(.tls10Allowed) ? .tlsv1 : .tlsv12
        tls.trustRoots = .certificates(ca)
        tls.certificateVerification = bugs.contains(.noClientCertificate) ? .none : .noHostnameVerification
        if bugs.contains(.tls10Allowed) {
            // BoringSSL's default cipher list has suites for TLS 1.0 with ECDSA; keep it.
            tls.cipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
        }
        if bugs.contains(.anyClientCertificate) {
            return TLSChannelConfiguration(tlsConfiguration: tls, customAsyncVerificationCallback: { _ in .certificateVerified })
        }
        return TLSChannelConfiguration(tlsConfiguration: tls)
    }

    /// Runs both KMEs until the task is cancelled. `onReady` gets the bound ports once both listen.
    package func run(onReady: @escaping @Sendable (_ masterPort: Int, _ slavePort: Int) -> Void = { _, _ in }) async throws {
        let identity = link.identity
        let bugs = link.bugs
        let masterTLS = try tlsConfiguration(master, bugs: bugs)
        let slaveTLS = try tlsConfiguration(slave, bugs: bugs)
        let state = state
        func app(_ role: KMELink.Role, _ endpoint: KMEEndpointConfiguration, _ tls: TLSChannelConfiguration) throws -> Application<KMEResponder> {
            let responder = KMEResponder(link: link, role: role, anonymousSAE: role == .master ? identity.masterSAEID : identity.slaveSAEID)
            return Application(
                responder: responder, server: try .tls(.http1(), configuration: tls),
                configuration: .init(address: .hostname(endpoint.host, port: endpoint.port), serverName: nil, backlog: 256),
                onServerRunning: { channel in
                    if let p = channel.localAddress?.port, let both = state.set(role, p) { onReady(both.0, both.1) }
                }, eventLoopGroupProvider: .shared(KeyDeliveryEventLoops.group), logger: logger)
        }
        let a = try app(.master, master, masterTLS), b = try app(.slave, slave, slaveTLS)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await a.run() }
            group.addTask { try await b.run() }
            // Either server stopping (an error, or cancellation) stops the pair.
            try await group.next()
            group.cancelAll()
        }
    }

    /// The bound ports, once both servers listen.
    package var ports: (master: Int, slave: Int)? { state.both }
}

/// The two bound ports, set from the servers' event loops.
final class PortsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var master: Int?, slave: Int?

    /// Records a port; returns both once both are known (once).
    func set(_ role: KMELink.Role, _ port: Int) -> (Int, Int)? {
        lock.lock()
        defer { lock.unlock() }
        let wasComplete = master != nil && slave != nil
        if role == .master { master = port } else { slave = port }
        guard !wasComplete, let m = master, let s = slave else { return nil }
        return (m, s)
    }

    var both: (master: Int, slave: Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard let m = master, let s = slave else { return nil }
        return (m, s)
    }
}
