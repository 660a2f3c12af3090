import Foundation

/// A defect the ETSI 014 fuzzer found on a KME, reproduced and minimised. Kept apart from the
/// node findings (``NetworkFinding``): its rule IDs are `qkdspec.fuzz.etsi014/…`.
package struct KMEFinding: Sendable, Codable {
    package enum Kind: String, Sendable, Codable, CaseIterable {
        /// A 5xx other than 503 (Tables 4, 6 and 8 define 200, 400, 401 and 503 only).
        case serverError = "server-error"
        /// A 200 for a request the standard says must be refused.
        case wrongAcceptance = "wrong-acceptance"
        /// An answer whose body breaks the data formats of clause 6 (read strictly).
        case malformedResponse = "malformed-response"
        /// No answer within the request timeout.
        case hang
        /// The connection failed or closed before an answer (the KME reset it, or is gone).
        case crash

        /// The SARIF rule ID.
        package var ruleID: String { "qkdspec.fuzz.etsi014/\(rawValue)" }

        package var title: String {
            switch self {
            case .serverError: return "A KME answered a mutated ETSI 014 request with a server error"
            case .wrongAcceptance: return "A KME served (200) an ETSI 014 request it must refuse"
            case .malformedResponse: return "A KME's answer breaks the ETSI 014 data formats"
            case .hang: return "A KME did not answer a mutated ETSI 014 request in time"
            case .crash: return "A KME dropped the connection on a mutated ETSI 014 request"
            }
        }

        /// What the rule asks, for SARIF and the docs.
        package var requirement: String {
            switch self {
            case .serverError: return "A KME must answer any request with a status the standard defines (200, 400, 401, 503); a 500 means input reached a code path that failed."
            case .wrongAcceptance: return "A request out of the KME's declared bounds (size, number, multiples of 8), with an unknown extension_mandatory parameter, malformed JSON or wrong types, for another SAE or from an SAE not attached must be refused, never served."
            case .malformedResponse: return "A 200 must carry a Status (Table 9) or Key container (Table 11) with the keys asked for; a 400 or 503 an Error (Table 13)."
            case .hang: return "A KME must answer every request, refusing what it cannot serve, within the client's timeout."
            case .crash: return "A KME must survive any request: answer it, never drop the connection or stop serving."
            }
        }
    }

    package var kind: Kind
    /// The method of Table 2 the request addressed (status, enc_keys, dec_keys, other).
    package var endpoint: String
    package var detail: String
    /// The valid request the mutations started from.
    package var base: String
    /// The minimised mutations, and the request they make (key IDs as placeholders).
    package var mutations: [KMEMutation]
    package var request: KMEFuzzRequest
    /// The mutations of the request that first showed it.
    package var foundWith: [KMEMutation]
    package var reproduced: Int
    package var reruns: Int
    /// Seconds from the campaign's start to the request that first showed it, and its number.
    package var secondsToFind: Double
    package var requestNumber: Int
    /// The reproducer directory: reproducer.json, reproduce.sh.
    package var directory: String?
    package var reproduce: String

    enum CodingKeys: String, CodingKey {
        case kind, endpoint, detail, base, mutations, request, reproduced, reruns, directory, reproduce
        case foundWith = "found_with", secondsToFind = "seconds_to_find", requestNumber = "request_number"
    }

    /// Findings of one kind on one endpoint are one finding.
    var key: String { "\(kind.rawValue)/\(endpoint)" }
}
