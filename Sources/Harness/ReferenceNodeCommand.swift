import Foundation
import Node
import PostProcessing
import Wire

/// The reference stack as a target file: two `qkdspec node` processes on loopback, Bob connecting
/// through the harness's proxy. `qkdspec run` with no `--target` runs this, so a bare run tests
/// real processes over real sockets; examples/targets/reference.json is the same as a file.
public struct ReferenceNodeCommand: Sendable {
    public var executable: String
    public var bugs: Set<BugKnob>
    public var frameBits = 32_768

    public init(executable: String, bugs: Set<BugKnob> = []) {
        self.executable = executable
        self.bugs = bugs
    }

    /// The pre-shared authentication key the reference target's nodes use (the harness writes it
    /// for every session, and knows it, so a fault can re-authenticate a frame it altered).
    public static let authenticationKey: BitKey = {
        var s = UInt64(0x5EED)
        var words = [UInt64]()
        for _ in 0..<(1 << 14) { s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; words.append(s) }
        return BitKey(words: words, count: words.count * 64)
    }()

    /// The key file's bytes (the node reads the key from a file, at least 1 KiB), written for
    /// every session: computed once.
    public static let authenticationKeyBytes: [UInt8] = Array(authenticationKey.bytes.prefix(1 << 17))

    /// `frame`, re-encoded with a valid tag under `key` for the direction it travels (Alice's by
    /// default): what an attacker holding the key could send, so that a fault reaches the check
    /// after authentication.
    public static func retagged(_ frame: Frame, key: BitKey = authenticationKey, from side: Role = .alice) -> [UInt8]? {
        guard let pool = try? AuthenticationKeyPool(material: key) else { return nil }
        var wc = WegmanCarter(pool: pool)
        let direction: AuthenticationKeyPool.Direction = side == .alice ? .aliceToBob : .bobToAlice
        return try? frame.encoded { bytes in try wc.tag(bytes, direction: direction, sequence: frame.sequence) }
    }

    var bugArguments: [String] { bugs.map(\.rawValue).sorted().flatMap { ["--bug", $0] } }

    public var name: String {
        bugs.isEmpty ? "reference" : "reference with " + bugs.map(\.rawValue).sorted().joined(separator: ", ")
    }

    /// The target file of the reference stack.
    public var targetFile: TargetFile {
        let common = ["--auth-key", "{auth_key}", "--frame-bits", String(frameBits), "--idle-timeout", "20", "--log-level", "error"]
        var declared = DeclaredParameters()
        declared.frameBits = frameBits
        declared.features = ["cascade", "wegman-carter", "toeplitz", Catalogue.referenceCascadeSchedule]
        var file = TargetFile(
            name: name, controlProtocol: .reference,
            alice: .init(command: [executable, "node", "--role", "alice", "--control-listen", "127.0.0.1:{alice_control_port}",
                                   "--qli-listen", "127.0.0.1:{alice_qli_port}", "--key-output", "{alice_keys}"] + common + bugArguments,
                         control: "127.0.0.1:{alice_control_port}", qli: "127.0.0.1:{alice_qli_port}", keyOutput: "{alice_keys}"),
            bob: .init(command: [executable, "node", "--role", "bob", "--control-connect", "127.0.0.1:{proxy_port}",
                                 "--qli-listen", "127.0.0.1:{bob_qli_port}", "--key-output", "{bob_keys}"] + common + bugArguments,
                       control: nil, qli: "127.0.0.1:{bob_qli_port}", keyOutput: "{bob_keys}"),
            declared: declared)
        file.shim = .init(command: [executable, "shim"])
        return file
    }
}
