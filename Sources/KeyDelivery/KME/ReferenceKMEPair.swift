import Foundation
import Logging

/// The reference KME pair started in this process on loopback: a fresh test PKI in a temporary
/// directory, free ports (bound as 0, read back), keys from `sources` (a simulated link by
/// default). `target` is what the etsi014 suite runs against; `stop()` ends both servers.
package final class ReferenceKMEPair: Sendable {
    package let target: KMETarget
    package let link: KMELink
    package let directory: String
    private let task: Task<Void, any Error>

    /// Starts the pair and waits until both KMEs listen (at most `timeout`).
    package static func start(bugs: Set<KMEBugKnob> = [], limits: KMELimits = KMELimits(),
                             sources: (master: any KeySource, slave: any KeySource)? = nil,
                             simulatedKeys: (count: Int, bits: Int) = (256, 8192), timeout: Duration = .seconds(60)) async throws -> ReferenceKMEPair {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-kme-\(UUID().uuidString)").path
        let pki = TestPKI()
        try pki.write(to: dir)
        func p(_ f: String) -> String { (dir as NSString).appendingPathComponent(f) }
        let src = sources ?? {
            let pair = SimulatedLink.pair(keys: simulatedKeys.count, bits: simulatedKeys.bits)
            return (pair.master, pair.slave)
        }()
        let link = KMELink(identity: .init(masterKMEID: pki.masterKMEID, slaveKMEID: pki.slaveKMEID, masterSAEID: pki.masterSAEID,
                                           slaveSAEID: pki.slaveSAEID),
                           limits: limits, bugs: bugs, masterSource: src.master, slaveSource: src.slave)
        let server = KMEPairServer(
            link: link,
            master: KMEEndpointConfiguration(certificatePath: p(TestPKI.File.cert(TestPKI.masterKME)), keyPath: p(TestPKI.File.key(TestPKI.masterKME))),
            slave: KMEEndpointConfiguration(certificatePath: p(TestPKI.File.cert(TestPKI.slaveKME)), keyPath: p(TestPKI.File.key(TestPKI.slaveKME))),
            caPath: p(TestPKI.File.ca), logger: Self.quietLogger)
        let task = Task { try await server.run() }
        let deadline = ContinuousClock.now + timeout
        while server.ports == nil {
            if ContinuousClock.now > deadline {
                task.cancel()
                throw KeyDeliveryError.transport("the reference KME pair did not start listening within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let ports = server.ports!
        let ca = p(TestPKI.File.ca)
        let target = KMETarget(
            master: .init(url: "https://127.0.0.1:\(ports.master)", saeID: pki.masterSAEID, cert: p(TestPKI.File.cert(TestPKI.masterSAE)),
                          key: p(TestPKI.File.key(TestPKI.masterSAE)), ca: ca),
            slave: .init(url: "https://127.0.0.1:\(ports.slave)", saeID: pki.slaveSAEID, cert: p(TestPKI.File.cert(TestPKI.slaveSAE)),
                         key: p(TestPKI.File.key(TestPKI.slaveSAE)), ca: ca),
            unauthorized: (pki.unattachedSAEID, p(TestPKI.File.cert(TestPKI.unattachedSAE)), p(TestPKI.File.key(TestPKI.unattachedSAE))),
            multiplesOf8Only: limits.multiplesOf8Only,
            name: bugs.isEmpty ? "reference KME pair" : "reference KME pair with \(bugs.map(\.rawValue).sorted().joined(separator: ", "))")
        return ReferenceKMEPair(target: target, link: link, directory: dir, task: task)
    }

    /// The in-process pair logs only what would stop it (cancellation at stop is not news).
    static let quietLogger: Logger = {
        var l = Logger(label: "qkdspec.kme")
        l.logLevel = .critical
        return l
    }()

    private init(target: KMETarget, link: KMELink, directory: String, task: Task<Void, any Error>) {
        self.target = target
        self.link = link
        self.directory = directory
        self.task = task
    }

    /// Stops both KMEs and removes the temporary PKI.
    package func stop() async {
        task.cancel()
        _ = await task.result
        try? FileManager.default.removeItem(atPath: directory)
    }
}
