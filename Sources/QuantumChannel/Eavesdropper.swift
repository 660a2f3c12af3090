/// An attack on the quantum channel, simulated so that the harness knows what it must catch.
public enum Eavesdropper: Sendable, Equatable, CustomStringConvertible {
    /// No attack: the channel is the fibre.
    case none
    /// Intercept-resend on a fraction p of pulses: Eve measures in a random basis and Bob receives
    /// her result, prepared in her basis, with unchanged photon statistics (so the gain is
    /// unchanged and only the error rate betrays her). At p = 1 the sifted QBER rises by ¼.
    case interceptResend(fraction: Double)
    /// Photon-number splitting: Eve blocks every single-photon pulse, keeps one photon of each
    /// multi-photon pulse and forwards the rest to Bob's detectors over a lossless channel.
    /// She learns the bit without error; only the decoy statistics betray her.
    case photonNumberSplitting

    public var description: String {
        switch self {
        case .none: return "none"
        case .interceptResend(let p): return "intercept-resend:\(p)"
        case .photonNumberSplitting: return "pns"
        }
    }

    /// Parses the command-line form: `none`, `intercept-resend:P` (P in [0, 1]) or `pns`.
    public init(parsing text: String) throws(ScenarioError) {
        let lower = text.lowercased()
        if lower == "none" { self = .none; return }
        if lower == "pns" || lower == "photon-number-splitting" { self = .photonNumberSplitting; return }
        let parts = lower.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.first == "intercept-resend" || parts.first == "ir" {
            let fraction = parts.count == 2 ? Double(parts[1]) : 1
            guard let fraction, fraction >= 0, fraction <= 1 else {
                throw ScenarioError("eve", "intercept-resend takes a fraction in [0, 1], as in intercept-resend:0.5")
            }
            self = .interceptResend(fraction: fraction)
            return
        }
        throw ScenarioError("eve", "unknown eavesdropper '\(text)': use none, intercept-resend:P or pns")
    }
}

extension Eavesdropper: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Eavesdropper(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
