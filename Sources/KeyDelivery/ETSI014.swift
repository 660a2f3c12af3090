/// ETSI GS QKD 014 V1.1.1 (2019-02), "Protocol and data format of REST-based key delivery API":
/// the constants the standard fixes, with the clause each comes from.
package enum ETSI014 {
    /// The URL prefix of every method (clause 5.1, Table 2): `/api/v1/keys/{SAE_ID}/{method}`.
    package static let pathPrefix = "/api/v1/keys/"

    /// The three methods of Table 2 and the last path segment of each.
    package enum Method: String, Sendable, CaseIterable {
        /// Get status: `GET .../{slave_SAE_ID}/status` (clause 5.2).
        case status
        /// Get key: `POST (or GET) .../{slave_SAE_ID}/enc_keys` (clause 5.3).
        case encKeys = "enc_keys"
        /// Get key with key IDs: `POST (or GET) .../{master_SAE_ID}/dec_keys` (clause 5.4; Table 2
        /// names the master SAE here, the clause 6.4 example's `{slave_SAE_ID}` is an erratum).
        case decKeys = "dec_keys"
    }

    /// The URL path of `method` for `saeID`, the SAE ID percent-encoded as a path segment
    /// (Tables 3, 5 and 7: "URL-encoded SAE ID").
    package static func path(_ method: Method, saeID: String) -> String {
        pathPrefix + encodePathSegment(saeID) + "/" + method.rawValue
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters, so that `/`, `%`, `?` or
    /// `#` in an SAE ID can never change the path's structure.
    package static func encodePathSegment(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The error messages the standard fixes; each comes with a 400.
    package enum Message {
        /// Clause 6.2: only where the KME supports multiples of 8 only.
        package static let sizeNotMultipleOf8 = "size shall be a multiple of 8"
        /// Clause 6.2: an `extension_mandatory` parameter the KME does not support.
        package static let extensionMandatoryUnsupported = "not all extension_mandatory parameters are supported"
        /// Clause 6.2: supported but the requirements cannot be met.
        package static let extensionMandatoryUnmet = "not all extension_mandatory request options could be met"
        /// Clause 6.2: optional; a KME may instead ignore the options and answer as usual.
        package static let extensionOptionalUnhandled = "not all extension_optional request options handled"
        /// Clause 6.4: a key ID the KME cannot return.
        package static let keysNotFound = "one or more keys specified are not found on KME"
    }

    /// Whether `text` is a UUID in the textual form of RFC 4122 (8-4-4-4-12 hex digits), as
    /// Table 11 asks of a key_ID.
    package static func isUUID(_ text: String) -> Bool { ModelJSON.isUUID(text) }

    /// The status codes Tables 4, 6 and 8 define for every method. Nothing else (404 included)
    /// is defined.
    package static let definedStatusCodes: Set<Int> = [200, 400, 401, 503]
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
