import Foundation
import PostProcessing
import Wire

/// A target file (`qkdspec run --target FILE`, JSON): how to start or reach the two nodes of a QKD
/// stack, and what the stack declares of itself. docs/targets.md documents every field.
///
/// Strings may hold placeholders the harness fills for every session: `{alice_control_port}`,
/// `{alice_qli_port}`, `{bob_qli_port}`, `{proxy_port}` (where Bob must connect: the harness's
/// man in the middle), `{auth_key}` (the pre-shared key file), `{alice_keys}`, `{bob_keys}` (where
/// the nodes write their keys), `{work_dir}`, `{qkdspec}` (this executable) and `{seed}`.
package struct TargetFile: Sendable, Codable, Equatable {
    /// How one node is started (or reached).
    package struct NodeSpec: Sendable, Codable, Equatable {
        /// argv of the node; absent when the node is already running.
        package var command: [String]?
        /// Alice only: her control-channel address, which the proxy connects to.
        package var control: String?
        /// The node's quantum-layer interface address (docs/protocol.md, QLI).
        package var qli: String
        /// Where the node writes its delivered keys: JSON lines {"key_id", "hex", "bits"}.
        package var keyOutput: String
        /// Extra environment variables for the command.
        package var environment: [String: String]?

        enum CodingKeys: String, CodingKey {
            case command, control, qli, environment
            case keyOutput = "key_output"
        }

        package init(command: [String]?, control: String?, qli: String, keyOutput: String, environment: [String: String]? = nil) {
            self.command = command
            self.control = control
            self.qli = qli
            self.keyOutput = keyOutput
            self.environment = environment
        }
    }

    /// How the harness reaches the stack's implementation with known-answer vectors.
    package struct ShimSpec: Sendable, Codable, Equatable {
        /// argv of the shim; it reads JSON requests on stdin and answers on stdout, a line each.
        package var command: [String]

        package init(command: [String]) { self.command = command }
    }

    package var name: String
    /// "qkdspec-wire/1" (the reference protocol, decoded by the proxy) or "opaque" (a vendor's own).
    package var controlProtocol: ControlChannelKind
    package var alice: NodeSpec
    package var bob: NodeSpec
    /// Where the proxy listens for Bob; default `127.0.0.1:{proxy_port}`.
    package var proxyListen: String?
    /// The pre-shared authentication key file; default: the harness writes one per session.
    package var authKey: String?
    package var declared: DeclaredParameters
    /// Seconds a session may take before the nodes are stopped and the case times out.
    package var sessionTimeoutSeconds: Double?
    /// Quantum-layer blocks per session and slots per block.
    package var blocks: Int?
    package var blockPulses: Int?
    package var shim: ShimSpec?
    /// How an opaque protocol cuts its stream into messages (nil: undeclared; faults then work on
    /// byte chunks). Refused for qkdspec-wire/1, whose framing the harness knows.
    package var framing: MessageFraming?

    enum CodingKeys: String, CodingKey {
        case name, alice, bob, declared, blocks, shim, framing
        case controlProtocol = "control_protocol", proxyListen = "proxy_listen", authKey = "auth_key"
        case sessionTimeoutSeconds = "session_timeout_s", blockPulses = "block_pulses"
    }

    package init(name: String, controlProtocol: ControlChannelKind, alice: NodeSpec, bob: NodeSpec, declared: DeclaredParameters) {
        self.name = name
        self.controlProtocol = controlProtocol
        self.alice = alice
        self.bob = bob
        self.declared = declared
    }

    package static let placeholders = ["alice_control_port", "alice_qli_port", "bob_qli_port", "proxy_port", "auth_key",
                                      "alice_keys", "bob_keys", "work_dir", "qkdspec", "seed"]

    /// Reads and checks a target file; every problem is a ``HarnessError`` naming the field.
    package static func load(path: String) throws -> TargetFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw HarnessError("cannot read the target file \(path): \(FileProblem.reason(error))")
        }
        guard data.count <= 1 << 20 else { throw HarnessError("the target file \(path) is over 1 MiB; is it the right file?") }
        return try parse(data, path: path)
    }

    /// Checks a target file's bytes (`path` names it in errors): the part of ``load(path:)`` after
    /// the read, which the fuzz target runs on untrusted bytes.
    package static func parse(_ data: Data, path: String) throws -> TargetFile {
        guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
            throw HarnessError("target file \(path): not valid JSON")
        }
        try StrictJSON.check(data, fields: fields, integers: ["blocks", "block_pulses", "declared.frame_bits", "declared.sample_bits", "framing.length_offset", "framing.length_size", "framing.extra_bytes", "framing.tag_bytes", "framing.max_message_bytes"], what: "target file \(path)")
        let file: TargetFile
        do { file = try JSONDecoder().decode(TargetFile.self, from: data) } catch let DecodingError.keyNotFound(key, context) {
            throw HarnessError("target file \(path): missing field '\(Self.path(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw HarnessError("target file \(path): '\(Self.path(context.codingPath))' has the wrong type (\(context.debugDescription))")
        } catch let DecodingError.dataCorrupted(context) {
            let field = Self.path(context.codingPath)
            throw HarnessError("target file \(path): \(field.isEmpty ? "not valid JSON" : "'\(field)' is invalid") (\(context.debugDescription))")
        } catch {
            throw HarnessError("target file \(path): \(error)")
        }
        try file.check()
        return file
    }

    /// The fields a target file may have, per object (docs/targets.md); `environment` maps are free.
    package static let fields: StrictJSON.Fields = {
        let node: Set = ["command", "control", "qli", "key_output", "environment"]
        return ["": ["name", "control_protocol", "alice", "bob", "proxy_listen", "auth_key", "declared", "session_timeout_s", "blocks",
                     "block_pulses", "shim", "framing"],
                "alice": node, "bob": node, "shim": ["command"], "framing": MessageFraming.fields,
                "declared": ["protocol", "qber_threshold", "epsilon_secrecy", "epsilon_correctness", "frame_bits",
                             "sample_bits", "reconciliation_efficiency", "features", "lone_key_end"]]
    }()

    package static func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }

    /// The checks JSON decoding cannot make.
    package func check() throws {
        for (field, text) in strings where text.contains("{") {
            if let unterminated = Self.unterminatedPlaceholder(in: text) {
                throw HarnessError("target file: \(field): unterminated placeholder '\(unterminated)' (a '{' without its '}')")
            }
            for name in Self.names(in: text) where !Self.placeholders.contains(name) {
                throw HarnessError("target file: unknown placeholder {\(name)} in \(field); known: \(Self.placeholders.map { "{\($0)}" }.joined(separator: ", "))")
            }
        }
        if alice.command?.isEmpty == true || bob.command?.isEmpty == true { throw HarnessError("target file: a node's command is empty") }
        if shim?.command.isEmpty == true { throw HarnessError("target file: shim.command is empty") }
        // The shim runs once per vector file, outside any session: only these two are filled for it.
        for (i, a) in (shim?.command ?? []).enumerated() {
            for name in Self.names(in: a) where name != "qkdspec" && name != "work_dir" {
                throw HarnessError("target file: shim.command[\(i)] uses {\(name)}; a shim's command may use only {qkdspec} and {work_dir}")
            }
        }
        if alice.command == nil && alice.control == nil {
            throw HarnessError("target file: alice needs a 'control' address (where the proxy reaches her)")
        }
        // Addresses are checked now, with a sample port in each placeholder, rather than failing
        // the stack's first session later.
        let sample = Dictionary(uniqueKeysWithValues: Self.placeholders.map { ($0, $0.hasSuffix("_port") ? "1" : "x") })
        var addresses = [("alice.qli", alice.qli), ("bob.qli", bob.qli)]
        if let c = alice.control { addresses.append(("alice.control", c)) }
        if let c = bob.control { addresses.append(("bob.control", c)) }
        if let p = proxyListen { addresses.append(("proxy_listen", p)) }
        for (field, text) in addresses {
            let example = "127.0.0.1:{\(field == "proxy_listen" ? "proxy_port" : "alice_qli_port")}"
            let address: HostPort
            do { address = try HostPort(parsing: Self.fill(text, sample)) } catch {
                throw HarnessError("target file: \(field) '\(text)' is not an address: it \(error.problem); write HOST:PORT or [IPv6]:PORT "
                                   + "with a port in 1 ... 65535 or a {…_port} placeholder, e.g. \(example)")
            }
            guard (1...65_535).contains(address.port) else {
                throw HarnessError("target file: \(field) '\(text)': the port must be a number in 1 ... 65535 or a {…_port} placeholder")
            }
        }
        let d = declared
        guard ReferenceDefaults.acceptsQBERThreshold(d.qberThreshold) else {
            throw HarnessError("target file: declared.qber_threshold must lie in \(ReferenceDefaults.acceptedQBERThresholdText) (above 11 % BB84 yields no key)")
        }
        guard d.epsilonSecrecy > 0, d.epsilonSecrecy < 1, d.epsilonCorrectness > 0, d.epsilonCorrectness < 1 else {
            throw HarnessError("target file: declared ε values must lie in (0, 1)")
        }
        guard d.frameBits >= 1024, d.frameBits <= 1 << 30 else { throw HarnessError("target file: declared.frame_bits must lie in 1024 ... 2^30") }
        if let k = d.declaredSampleBits, !(1..<d.frameBits).contains(k) {
            throw HarnessError("target file: declared.sample_bits must lie in 1 ... frame_bits − 1 (\(d.frameBits - 1)): the bits of a frame disclosed for the QBER estimate")
        }
        if let framing {
            guard controlProtocol == .opaque else {
                throw HarnessError("target file: framing describes an opaque protocol's messages; qkdspec-wire/1's framing is known (drop the field)")
            }
            try framing.check()
        }
        if controlProtocol == .reference, let end = d.loneKeyEnd, end != .alice {
            throw HarnessError("target file: declared.lone_key_end is '\(end.rawValue)', but qkdspec-wire/1 fixes it at 'alice' (docs/protocol.md, key confirmation): drop the field, or declare the protocol opaque")
        }
        guard d.reconciliationEfficiency >= 1, d.reconciliationEfficiency <= 10 else {
            throw HarnessError("target file: declared.reconciliation_efficiency must lie in 1 ... 10 (f = 1 is the Shannon limit: no code leaks less)")
        }
        if let t = sessionTimeoutSeconds, !(t > 0 && t <= 86_400) { throw HarnessError("target file: session_timeout_s must lie in (0, 86400]") }
        if let b = blocks, !(1...10_000).contains(b) { throw HarnessError("target file: blocks must lie in 1 ... 10000") }
        if let p = blockPulses, p <= 0 || p % (1 << 20) != 0 || p > 1 << 24 {
            throw HarnessError("target file: block_pulses must be a multiple of 2^20 up to 2^24")
        }
    }

    /// Every string field, with its name, for placeholder checks.
    package var strings: [(String, String)] {
        var out: [(String, String)] = []
        for (role, spec) in [("alice", alice), ("bob", bob)] {
            for (i, a) in (spec.command ?? []).enumerated() { out.append(("\(role).command[\(i)]", a)) }
            out.append(("\(role).qli", spec.qli))
            out.append(("\(role).key_output", spec.keyOutput))
            if let c = spec.control { out.append(("\(role).control", c)) }
            for (k, v) in spec.environment ?? [:] { out.append(("\(role).environment.\(k)", v)) }
        }
        if let p = proxyListen { out.append(("proxy_listen", p)) }
        for (i, a) in (shim?.command ?? []).enumerated() { out.append(("shim.command[\(i)]", a)) }
        if let a = authKey { out.append(("auth_key", a)) }
        return out
    }

    /// The text from the first '{' that has no '}' after it, if any.
    package static func unterminatedPlaceholder(in text: String) -> String? {
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { return String(rest[open...].prefix(40)) }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    package static func names(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// `text` with every placeholder filled from `values`.
    package static func fill(_ text: String, _ values: [String: String]) -> String {
        var out = text
        for (k, v) in values { out = out.replacingOccurrences(of: "{\(k)}", with: v) }
        return out
    }
}

extension TargetFile {
    /// The address in `text` (the target file's `field`, its placeholders filled), or an error
    /// naming the field.
    package static func address(_ text: String, field: String) throws -> HostPort {
        do { return try HostPort(parsing: text) } catch { throw HarnessError("\(field) \(error)") }
    }
}
