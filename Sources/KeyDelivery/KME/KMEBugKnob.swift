/// A realistic deviation the reference KME can be told to have (`qkdspec kme serve --bug NAME`),
/// so the etsi014 suite can prove it catches each one. Clean is the default.
package enum KMEBugKnob: String, Sendable, CaseIterable, Codable {
    case notFound404 = "not-found-404"
    case oversizeNumber200 = "oversize-number-200"
    case sizeIgnored = "size-ignored"
    case oddSizeAccepted = "odd-size-accepted"
    case reuseKeys = "reuse-keys"
    case countNotDecremented = "count-not-decremented"
    case replayDecKeys = "replay-dec-keys"
    case wrongBytesOnSlave = "wrong-bytes-on-slave"
    case badUUIDs = "bad-uuids"
    case anyClientCertificate = "any-client-certificate"
    case noClientCertificate = "no-client-certificate"
    case saeIDNotChecked = "sae-id-not-checked"
    case tls10Allowed = "tls10-allowed"
    case mandatoryExtensionIgnored = "mandatory-extension-ignored"
    case crashOnBadJSON = "500-on-bad-json"

    /// One line each, for `qkdspec kme serve --list-bugs`.
    package var summary: String {
        switch self {
        case .notFound404: return "an unknown key_ID is answered 404 instead of 400 (404 is not defined by the standard)"
        case .oversizeNumber200: return "number above max_key_per_request is answered 200 with max_key_per_request keys instead of 400"
        case .sizeIgnored: return "the size of a key request is ignored: every key has key_size bits"
        case .oddSizeAccepted: return "a size that is not a multiple of 8 is served (rounded up) although the KME declares multiples of 8 only"
        case .reuseKeys: return "enc_keys does not consume the pool: the same key material goes out again under new key IDs"
        case .countNotDecremented: return "stored_key_count in status never falls as keys are delivered"
        case .replayDecKeys: return "dec_keys does not remove delivered keys: a replayed request gets them again"
        case .wrongBytesOnSlave: return "the slave KME serves its key one bit off from the master's"
        case .badUUIDs: return "key IDs are 32 hex digits without hyphens, not UUIDs"
        case .anyClientCertificate: return "any client certificate is accepted, whoever signed it; the SAE ID is read from it all the same"
        case .noClientCertificate: return "no client certificate is asked for: an anonymous client is taken for the KME's attached SAE"
        case .saeIDNotChecked: return "dec_keys serves any authenticated SAE, not only the slave SAE named in enc_keys"
        case .tls10Allowed: return "TLS 1.0 and 1.1 are accepted (the standard asks for 1.2 or higher)"
        case .mandatoryExtensionIgnored: return "unsupported extension_mandatory parameters are ignored and keys are served"
        case .crashOnBadJSON: return "a body that is not JSON makes the KME answer 500"
        }
    }
}
