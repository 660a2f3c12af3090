import Foundation
import KeyDelivery
import Vectors

/// The etsi014 family: ETSI GS QKD 014 V1.1.1 key delivery, judged on a KME pair over mutual
/// TLS. Each ID carries the clause; MUST/SHOULD/MAY follow the standard's shall/should/may.
/// Where the standard is silent the case accepts every answer and reports the one it got.
extension Catalogue {
    static let etsi014: [ConformanceCase] = [
        // MARK: Status (clauses 5.2, 6.1)
        ConformanceCase(
            id: "etsi014/6.1/status/fields", title: "Status carries every field with its type",
            requirement: """
                Get status answers 200 with a Status object: every field of Table 9 but status_extension present with its type; master_SAE_ID is the \
                caller's (from its certificate), slave_SAE_ID the one asked for; stored_key_count ≤ max_key_count; min_key_size ≤ key_size ≤ \
                max_key_size.
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.2, §6.1 Table 9", tags: ["etsi014", "status"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let r = try await master.status(slaveSAEID: kme.slave.saeID)
                guard r.status == 200 else { return CaseOutcome(holds: false, detail: "status answered \(r.status)") }
                let parsed: Parsed<KeyStatus>
                do { parsed = try KeyStatus.parse(r.data) } catch { return CaseOutcome(holds: false, detail: "Status object: \(error)") }
                let s = parsed.value
                var problems: [String] = []
                if s.masterSAEID != kme.master.saeID { problems.append("master_SAE_ID \"\(s.masterSAEID)\" is not the caller's \"\(kme.master.saeID)\"") }
                if s.slaveSAEID != kme.slave.saeID { problems.append("slave_SAE_ID \"\(s.slaveSAEID)\" is not \"\(kme.slave.saeID)\"") }
                if s.storedKeyCount > s.maxKeyCount { problems.append("stored_key_count \(s.storedKeyCount) > max_key_count \(s.maxKeyCount)") }
                if !(s.minKeySize <= s.keySize && s.keySize <= s.maxKeySize) {
                    problems.append("key_size \(s.keySize) outside [min_key_size \(s.minKeySize), max_key_size \(s.maxKeySize)]")
                }
                var detail = problems.isEmpty ? "all 11 fields present and consistent" : problems.joined(separator: "; ")
                if !parsed.unknownFields.isEmpty { detail += "; fields the standard does not define: \(parsed.unknownFields.joined(separator: ", "))" }
                return CaseOutcome(holds: problems.isEmpty, detail: detail,
                                   measurements: ["stored_key_count": Double(s.storedKeyCount), "key_size": Double(s.keySize)])
            }
        },
        ConformanceCase(
            id: "etsi014/5.2/status/unknown-slave-sae", title: "Status for an unknown slave SAE is refused",
            requirement: "Get status for a slave SAE ID the KME does not know is answered 400 (or 401), never 200 or a server error.",
            level: .must, reference: "ETSI GS QKD 014 §5.2 Table 4", tags: ["etsi014", "status"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { _, master, _ in
                let r = try await master.status(slaveSAEID: "qkdspec-no-such-SAE-\(ctx.seed)")
                let problem = ETSI014Support.refused(r, "status for an unknown SAE") ?? (r.status == 200 ? "answered 200" : nil)
                return CaseOutcome(holds: problem == nil, detail: problem ?? "answered \(r.status)")
            }
        },
        // MARK: Get key (clauses 5.3, 6.2, 6.3)
        ConformanceCase(
            id: "etsi014/5.3/enc-keys/post-empty-body", title: "enc_keys with an empty body gives one key of key_size bits",
            requirement: """
                A POST to enc_keys with an empty Key request answers 200 with exactly one key (the default number) of key_size bits (the default \
                size), under a UUID key_ID.
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.3, §6.2 Table 10, §6.3 Table 11", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                let keys = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: nil), what: "enc_keys with an empty body")
                guard keys.count == 1 else { return CaseOutcome(holds: false, detail: "\(keys.count) keys instead of 1") }
                let bytes = keys[0].bytes?.count ?? -1
                guard ETSI014.isUUID(keys[0].keyID) else { return CaseOutcome(holds: false, detail: "key_ID \"\(keys[0].keyID)\" is not a UUID") }
                return CaseOutcome(holds: bytes == (s.keySize + 7) / 8,
                                   detail: "one key of \(bytes) bytes; key_size \(s.keySize) bits asks for \((s.keySize + 7) / 8)")
            }
        },
        ConformanceCase(
            id: "etsi014/5.3/enc-keys/post-number-size", title: "enc_keys with number and size",
            requirement: "A POST to enc_keys with number and size answers 200 with number keys, each decoding to size bits.",
            level: .must, reference: "ETSI GS QKD 014 §5.3, §6.2, §6.3", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                guard let size = ETSI014Support.otherSize(s) else { return .unimplemented("the KME serves a single key size") }
                let number = min(3, s.maxKeyPerRequest)
                let keys = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: number, size: size)),
                                                   what: "enc_keys number \(number) size \(size)")
                let lengths = keys.map { $0.bytes?.count ?? -1 }
                return CaseOutcome(holds: keys.count == number && lengths.allSatisfy { $0 == size / 8 },
                                   detail: "asked \(number) keys of \(size) bits: got \(keys.count) keys of \(Set(lengths).sorted()) bytes")
            }
        },
        ConformanceCase(
            id: "etsi014/6.2/enc-keys/get-query", title: "enc_keys by GET with number and size in the query",
            requirement: "enc_keys by GET with number and size as URI parameters answers as the equivalent POST: number keys of size bits.",
            level: .must, reference: "ETSI GS QKD 014 §6.2 EXAMPLE 1", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                guard let size = ETSI014Support.otherSize(s) else { return .unimplemented("the KME serves a single key size") }
                let number = min(2, s.maxKeyPerRequest)
                let keys = try ETSI014Support.keys(try await master.encKeysByQuery(slaveSAEID: kme.slave.saeID, number: number, size: size),
                                                   what: "GET enc_keys?number=\(number)&size=\(size)")
                let lengths = keys.map { $0.bytes?.count ?? -1 }
                return CaseOutcome(holds: keys.count == number && lengths.allSatisfy { $0 == size / 8 },
                                   detail: "asked \(number) keys of \(size) bits: got \(keys.count) keys of \(Set(lengths).sorted()) bytes")
            }
        },
        ConformanceCase(
            id: "etsi014/6.2/enc-keys/number-above-max", title: "number above max_key_per_request is a 400",
            requirement: "A Key request for more keys than max_key_per_request is refused with 400 and an Error body; no key is delivered.",
            level: .must, reference: "ETSI GS QKD 014 §6.1 Table 9 (max_key_per_request), §5.3 Table 6", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                let r = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: s.maxKeyPerRequest + 1))
                let problem = ETSI014Support.refused(r, "number \(s.maxKeyPerRequest + 1)", allow401: false)
                    ?? (r.error == nil ? "the 400 carries no Error body" : nil)
                return CaseOutcome(holds: problem == nil, detail: problem ?? "400: \"\(r.error?.message ?? "")\"")
            }
        },
        ConformanceCase(
            id: "etsi014/6.2/enc-keys/size-out-of-range", title: "size outside [min_key_size, max_key_size] is a 400",
            requirement: "A Key request whose size is above max_key_size or below min_key_size is refused with 400; no key is delivered.",
            level: .must, reference: "ETSI GS QKD 014 §6.1 Table 9 (min_key_size, max_key_size), §5.3 Table 6", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                var problems: [String] = []
                let above = (s.maxKeySize / 8 + 1) * 8
                if let p = ETSI014Support.refused(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(size: above)),
                                                  "size \(above)", allow401: false) { problems.append(p) }
                let below = (s.minKeySize - 1) / 8 * 8
                if below >= 0, let p = ETSI014Support.refused(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(size: below)),
                                                              "size \(below)", allow401: false) { problems.append(p) }
                return CaseOutcome(holds: problems.isEmpty, detail: problems.isEmpty ? "sizes \(above) and \(below) refused with 400" : problems.joined(separator: "; "))
            }
        },
        ConformanceCase(
            id: "etsi014/6.2/enc-keys/size-multiple-of-8", title: "A size that is not a multiple of 8, as declared",
            requirement: """
                A KME that supports only multiples of 8 answers a size that is not one with 400 and the message \"size shall be a multiple of 8\"; \
                one that supports other sizes delivers keys of exactly that many bits.
                """,
            level: .must, reference: "ETSI GS QKD 014 §6.2", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                var odd = s.keySize + 4
                if odd > s.maxKeySize { odd = s.keySize - 4 }
                guard odd >= s.minKeySize, odd % 8 != 0 else { return .unimplemented("no size that is not a multiple of 8 lies in [min_key_size, max_key_size]") }
                let r = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(size: odd))
                if kme.multiplesOf8Only {
                    let ok = r.status == 400 && r.error?.message == ETSI014.Message.sizeNotMultipleOf8 && !ETSI014Support.carriesKeys(r)
                    return CaseOutcome(holds: ok, detail: "size \(odd) (declared multiples of 8 only): answered \(r.status)"
                                       + (r.error.map { " \"\($0.message)\"" } ?? "") + (ok ? "" : "; expected 400 \"\(ETSI014.Message.sizeNotMultipleOf8)\""))
                }
                let keys = try ETSI014Support.keys(r, what: "size \(odd)")
                let lengths = keys.map { $0.bytes?.count ?? -1 }
                return CaseOutcome(holds: keys.count == 1 && lengths == [(odd + 7) / 8],
                                   detail: "size \(odd): \(keys.count) key(s) of \(lengths) bytes (\((odd + 7) / 8) expected)")
            }
        },
        ConformanceCase(
            id: "etsi014/6.3/enc-keys/unique-uuid-key-ids", title: "key_IDs are unique UUIDs",
            requirement: "Every key_ID a KME delivers is a UUID, and no key_ID is delivered twice.",
            level: .must, reference: "ETSI GS QKD 014 §3.1 (key), §6.3 Table 11", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                var ids: [String] = []
                for _ in 0..<4 {
                    ids += try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: min(4, s.maxKeyPerRequest))),
                                                   what: "enc_keys").map(\.keyID)
                }
                let bad = ids.filter { !ETSI014.isUUID($0) }
                let unique = Set(ids.map { $0.lowercased() }).count
                return CaseOutcome(holds: bad.isEmpty && unique == ids.count,
                                   detail: "\(ids.count) key_IDs, \(unique) distinct, \(bad.count) not UUIDs" + (bad.first.map { " (e.g. \"\($0.prefix(40))\")" } ?? ""))
            }
        },
        ConformanceCase(
            id: "etsi014/5.3/enc-keys/stored-count-falls", title: "stored_key_count falls by the number delivered",
            requirement: """
                Keys delivered by Get key leave the pool: stored_key_count after a request for n keys of key_size bits is at most the count before \
                minus n.
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.3 Table 5 (post-condition), §6.1", tags: ["etsi014", "enc_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let before = try await ETSI014Support.status(kme, master)
                let n = min(5, before.maxKeyPerRequest, before.storedKeyCount)
                guard n > 0 else { return .unimplemented("the KME has no key stored") }
                _ = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: n)), what: "enc_keys")
                let after = try await ETSI014Support.status(kme, master)
                return CaseOutcome(holds: after.storedKeyCount <= before.storedKeyCount - n,
                                   detail: "stored_key_count \(before.storedKeyCount) → \(after.storedKeyCount) after \(n) keys",
                                   measurements: ["before": Double(before.storedKeyCount), "after": Double(after.storedKeyCount)])
            }
        },
        ConformanceCase(
            id: "etsi014/5.3/enc-keys/no-key-twice", title: "No key material is delivered twice",
            requirement: "The same key material never goes out twice from enc_keys, under the same or another key_ID (compared by fingerprint).",
            level: .must, reference: "ETSI GS QKD 014 §5.3 Table 5 (post-condition: delivered keys are removed from the pool)", tags: ["etsi014", "enc_keys"],
            profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let s = try await ETSI014Support.status(kme, master)
                var prints: [String] = []
                for _ in 0..<4 {
                    let keys = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: min(4, s.maxKeyPerRequest))),
                                                       what: "enc_keys")
                    prints += keys.map { ETSI014Support.fingerprint($0.bytes ?? []) }
                }
                let distinct = Set(prints).count
                return CaseOutcome(holds: distinct == prints.count, detail: "\(prints.count) keys, \(distinct) distinct fingerprints")
            }
        },
        // MARK: Get key with key IDs (clauses 5.4, 6.4)
        ConformanceCase(
            id: "etsi014/5.4/dec-keys/identical-bytes", title: "The slave SAE gets identical keys",
            requirement: """
                Get key with key IDs on the slave KME, at /api/v1/keys/{master_SAE_ID}/dec_keys, returns the keys the master SAE got, with the same \
                key_IDs and identical bytes.
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.4 Table 7, Table 2 (the §6.4 example's {slave_SAE_ID} is an erratum)", tags: ["etsi014", "dec_keys"],
            profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, slave in
                let sent = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: 3)), what: "enc_keys")
                let got = try ETSI014Support.keys(try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: sent.map(\.keyID)), what: "dec_keys")
                let want = Dictionary(sent.map { ($0.keyID.lowercased(), ETSI014Support.fingerprint($0.bytes ?? [])) }, uniquingKeysWith: { a, _ in a })
                let have = Dictionary(got.map { ($0.keyID.lowercased(), ETSI014Support.fingerprint($0.bytes ?? [])) }, uniquingKeysWith: { a, _ in a })
                let same = want.filter { have[$0.key] == $0.value }.count
                return CaseOutcome(holds: same == sent.count && got.count == sent.count,
                                   detail: "\(sent.count) keys from the master, \(got.count) from the slave, \(same) identical (by fingerprint)")
            }
        },
        ConformanceCase(
            id: "etsi014/6.4/dec-keys/get-one-key", title: "dec_keys by GET with one key_ID",
            requirement: "Get key with key IDs by GET with a single key_ID query parameter returns that key with identical bytes.",
            level: .must, reference: "ETSI GS QKD 014 §6.4", tags: ["etsi014", "dec_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, slave in
                let sent = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: nil), what: "enc_keys")
                guard let key = sent.first else { return CaseOutcome(holds: false, detail: "enc_keys returned no key") }
                let got = try ETSI014Support.keys(try await slave.decKey(masterSAEID: kme.master.saeID, keyID: key.keyID), what: "GET dec_keys?key_ID=")
                let same = got.count == 1 && got[0].keyID.lowercased() == key.keyID.lowercased() && got[0].bytes == key.bytes
                return CaseOutcome(holds: same, detail: same ? "the key came back identical" : "\(got.count) keys, not the one asked for with identical bytes")
            }
        },
        ConformanceCase(
            id: "etsi014/6.4/dec-keys/unknown-key-id", title: "An unknown key_ID is a 400, not a 404",
            requirement: """
                Get key with key IDs for a key_ID the KME does not hold is answered 400 with the message \"one or more keys specified are not found \
                on KME\" (404 is not a status the standard defines).
                """,
            level: .must, reference: "ETSI GS QKD 014 §6.4, §5.4 Table 8", tags: ["etsi014", "dec_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, _, slave in
                let r = try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: [UUID().uuidString.lowercased()])
                if r.status == 404 {
                    return CaseOutcome(holds: false, detail: "deviation: answered 404, which ETSI GS QKD 014 does not define; an unknown key_ID is a 400 \"\(ETSI014.Message.keysNotFound)\"")
                }
                let ok = r.status == 400 && r.error?.message == ETSI014.Message.keysNotFound
                return CaseOutcome(holds: ok, detail: "answered \(r.status)" + (r.error.map { " \"\($0.message)\"" } ?? " without an Error body"))
            }
        },
        ConformanceCase(
            id: "etsi014/5.4/dec-keys/replay", title: "A key fetched once is gone",
            requirement: "Keys delivered by Get key with key IDs leave the slave KME's pool: the same request again is a 400 and carries no key.",
            level: .must, reference: "ETSI GS QKD 014 §5.4 Table 7 (post-condition), §6.4", tags: ["etsi014", "dec_keys"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, slave in
                let sent = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: nil), what: "enc_keys")
                let ids = sent.map(\.keyID)
                _ = try ETSI014Support.keys(try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: ids), what: "dec_keys")
                let again = try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: ids)
                let problem = ETSI014Support.refused(again, "the replayed dec_keys", allow401: false)
                return CaseOutcome(holds: problem == nil, detail: problem ?? "the replay was refused with 400")
            }
        },
        ConformanceCase(
            id: "etsi014/5.4/dec-keys/not-named-slave", title: "dec_keys by an SAE not named as slave is a 401",
            requirement: """
                An SAE that was not the slave SAE of the enc_keys request gets 401 from Get key with key IDs, and no key (a 401 carries no body \
                requirement).
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.4 Table 7", tags: ["etsi014", "dec_keys", "authorization"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, slave in
                let sent = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: nil), what: "enc_keys")
                let intruder = kme.unauthorizedCredentials(url: kme.slave.url, ca: kme.slave.ca)
                let r: KMEResponse
                do { r = try await ETSI014Support.withClient(intruder) { try await $0.decKeys(masterSAEID: kme.master.saeID, keyIDs: sent.map(\.keyID)) } } catch {
                    return CaseOutcome(holds: false, detail: "the slave KME refused the TLS connection of \(kme.unauthorized.saeID), a certificate of its own CA: it must answer 401 (\(error))")
                }
                // The rightful slave still gets its key afterwards (it is gone only once delivered).
                _ = try? await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: sent.map(\.keyID))
                return CaseOutcome(holds: r.status == 401 && !ETSI014Support.carriesKeys(r),
                                   detail: "\(kme.unauthorized.saeID) asking for the slave's key: answered \(r.status)" + (ETSI014Support.carriesKeys(r) ? " WITH THE KEY" : ""))
            }
        },
        ConformanceCase(
            id: "etsi014/6.4/dec-keys/erratum-path", title: "dec_keys on {slave_SAE_ID} (the clause 6.4 example's path)",
            requirement: """
                Table 2 puts Get key with key IDs at {master_SAE_ID}; the example in clause 6.4 writes {slave_SAE_ID}, an erratum. Reported: what \
                the slave KME does on the erratum's path.
                """,
            level: .may, reference: "ETSI GS QKD 014 Table 2, §6.4 EXAMPLE", tags: ["etsi014", "dec_keys", "silent"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, slave in
                let sent = try ETSI014Support.keys(try await master.encKeys(slaveSAEID: kme.slave.saeID, request: nil), what: "enc_keys")
                let r = try await slave.decKeys(masterSAEID: kme.slave.saeID, keyIDs: sent.map(\.keyID))
                _ = try? await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: sent.map(\.keyID))
                return CaseOutcome(holds: true, detail: "on /api/v1/keys/{slave_SAE_ID}/dec_keys the slave KME answered \(r.status)"
                                   + (ETSI014Support.carriesKeys(r) ? " with the key (it accepts the erratum's path too)" : ""))
            }
        },
        // MARK: Extensions (clause 6.2)
        ConformanceCase(
            id: "etsi014/6.2/extensions/mandatory-unsupported", title: "An unsupported extension_mandatory is a 400",
            requirement: """
                A Key request with an extension_mandatory parameter the KME does not support is refused with 400 and the message \"not all \
                extension_mandatory parameters are supported\"; no key is delivered.
                """,
            level: .must, reference: "ETSI GS QKD 014 §6.2", tags: ["etsi014", "extensions"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let request = KeyRequest(extensionMandatory: [["qkdspec_unsupported_\(ctx.seed % 1000)": .string("surely not")]])
                let r = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: request)
                let ok = r.status == 400 && r.error?.message == ETSI014.Message.extensionMandatoryUnsupported && !ETSI014Support.carriesKeys(r)
                return CaseOutcome(holds: ok, detail: "answered \(r.status)" + (r.error.map { " \"\($0.message)\"" } ?? "")
                                   + (ETSI014Support.carriesKeys(r) ? " WITH KEYS" : ""))
            }
        },
        ConformanceCase(
            id: "etsi014/6.2/extensions/optional", title: "extension_optional handled either way the standard allows",
            requirement: """
                A Key request with an extension_optional parameter the KME does not handle is answered as without it (200 with keys) or with 400 \
                \"not all extension_optional request options handled\"; the case reports which.
                """,
            level: .must, reference: "ETSI GS QKD 014 §6.2", tags: ["etsi014", "extensions"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let r = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(extensionOptional: [["qkdspec_optional_hint": .int(1)]]))
                if r.status == 200, ETSI014Support.carriesKeys(r) { return CaseOutcome(holds: true, detail: "ignored the optional extension: 200 with keys") }
                if r.status == 400, r.error?.message == ETSI014.Message.extensionOptionalUnhandled {
                    return CaseOutcome(holds: true, detail: "refused: 400 \"\(ETSI014.Message.extensionOptionalUnhandled)\"")
                }
                return CaseOutcome(holds: false, detail: "answered \(r.status)" + (r.error.map { " \"\($0.message)\"" } ?? "") + ": neither choice the standard allows")
            }
        },
        // MARK: Malformed requests
        malformed(id: "etsi014/5.3/malformed/bad-json", title: "A body that is not JSON",
                  requirement: """
                      A Key request or Key IDs body that is not JSON (or not UTF-8, or not an object) is answered 400 (or 401), never a server \
                      error, never a key.
                      """) { kme, master, slave in
            var out: [(String, KMEResponse)] = []
            for (name, body) in [("truncated JSON", Data("{\"number\": 1".utf8)), ("not JSON", Data("number=1".utf8)),
                                 ("an array", Data("[1]".utf8)), ("not UTF-8", Data([0x7B, 0xFF, 0xFE, 0x7D]))] {
                out.append(("enc_keys with \(name)", try await master.send(.POST, path: ETSI014.path(.encKeys, saeID: kme.slave.saeID), body: body)))
                out.append(("dec_keys with \(name)", try await slave.send(.POST, path: ETSI014.path(.decKeys, saeID: kme.master.saeID), body: body)))
            }
            return out
        },
        malformed(id: "etsi014/6.2/malformed/wrong-types", title: "Fields of the wrong type",
                  requirement: """
                      A Key request or Key IDs body whose fields have the wrong JSON type is answered 400 (or 401), never a server error, never a \
                      key.
                      """) { kme, master, slave in
            var out: [(String, KMEResponse)] = []
            for body in [#"{"number":"2"}"#, #"{"size":true}"#, #"{"number":1.5}"#, #"{"additional_slave_SAE_IDs":"SAE"}"#, #"{"extension_mandatory":{"a":1}}"#] {
                out.append(("enc_keys \(body)", try await master.send(.POST, path: ETSI014.path(.encKeys, saeID: kme.slave.saeID), body: Data(body.utf8))))
            }
            for body in [#"{"key_IDs":"x"}"#, #"{"key_IDs":[{"key_ID":5}]}"#, #"{"key_IDs":[]}"#, #"{}"#] {
                out.append(("dec_keys \(body)", try await slave.send(.POST, path: ETSI014.path(.decKeys, saeID: kme.master.saeID), body: Data(body.utf8))))
            }
            return out
        },
        malformed(id: "etsi014/6.2/malformed/negative-and-huge-numbers", title: "Negative, zero and huge numbers",
                  requirement: """
                      number or size zero, negative, beyond 64 bits or non-numeric in the query is answered 400 (or 401), never a server error, \
                      never a key.
                      """) { kme, master, _ in
            var out: [(String, KMEResponse)] = []
            for body in [#"{"number":0}"#, #"{"number":-1}"#, #"{"size":-256}"#, #"{"size":0}"#, #"{"number":99999999999999999999999}"#,
                         #"{"size":1e300}"#, #"{"number":9223372036854775807}"#] {
                out.append(("enc_keys \(body)", try await master.send(.POST, path: ETSI014.path(.encKeys, saeID: kme.slave.saeID), body: Data(body.utf8))))
            }
            for query in ["number=-1", "number=abc", "size=99999999999999999999", "number=1&number=2"] {
                out.append(("GET enc_keys?\(query)", try await master.send(.GET, path: ETSI014.path(.encKeys, saeID: kme.slave.saeID) + "?" + query)))
            }
            return out
        },
        malformed(id: "etsi014/5.3/malformed/unknown-sae-ids", title: "Unknown SAE IDs",
                  requirement: """
                      enc_keys for a slave SAE the KME does not know, and dec_keys for a master SAE that never asked, are answered 400 (or 401), \
                      never a key.
                      """) { kme, master, slave in
            [("enc_keys for an unknown slave", try await master.encKeys(slaveSAEID: "qkdspec-unknown-SAE", request: nil)),
             ("dec_keys for an unknown master", try await slave.decKeys(masterSAEID: "qkdspec-unknown-SAE", keyIDs: [UUID().uuidString.lowercased()])),
             ("enc_keys naming the caller itself as slave", try await master.encKeys(slaveSAEID: kme.master.saeID, request: nil))]
        },
        malformed(id: "etsi014/5.1/malformed/sae-id-encoding-tricks", title: "URL-encoding and path tricks in SAE IDs",
                  requirement: """
                      SAE IDs with encoded slashes, dot segments, double encoding, NUL or overlong text are answered 400 (or 401) and never reach \
                      another SAE's keys; never a server error.
                      """) { kme, master, _ in
            let s = kme.slave.saeID
            // Double encoding: the first byte written as %25XX decodes once to "%XX…", which is not the SAE.
            let first = s.utf8.first.map { "%25" + String($0, radix: 16, uppercase: true) } ?? ""
            let doubled = first + ETSI014.encodePathSegment(String(s.dropFirst()))
            let tricks = [ETSI014.encodePathSegment(s + "/../" + s), ETSI014.encodePathSegment("../" + s), doubled,
                          ETSI014.encodePathSegment(s) + "%00", ETSI014.encodePathSegment(s + "\u{0}x"), String(repeating: "A", count: 4000),
                          ETSI014.encodePathSegment(s) + "%2F"]
            var out: [(String, KMEResponse)] = []
            for t in tricks {
                out.append(("enc_keys on \"\(t.prefix(30))\"", try await master.send(.POST, path: "/api/v1/keys/\(t)/enc_keys", body: Data())))
            }
            return out
        },
        // MARK: TLS and authentication (clauses 4, 5.1)
        ConformanceCase(
            id: "etsi014/5.1/tls/no-client-certificate", title: "A client without a certificate is rejected",
            requirement: """
                The KME authenticates every SAE by its certificate: a TLS client that presents none is rejected (handshake failure, or 401), never \
                served.
                """,
            level: .must, reference: "ETSI GS QKD 014 §4, §5.1", tags: ["etsi014", "tls"], profiles: [.etsi014]
        ) { ctx in
            guard let kme = ETSI014Support.kme(ctx) else { return .unimplemented("the target has no kme object") }
            var anonymous = kme.masterCredentials
            anonymous.certificatePath = nil
            anonymous.keyPath = nil
            let problem = await ETSI014Support.rejected(anonymous, "no client certificate", slaveSAEID: kme.slave.saeID)
            return CaseOutcome(holds: problem == nil, detail: problem ?? "rejected")
        },
        ConformanceCase(
            id: "etsi014/5.1/tls/other-ca", title: "A certificate from another CA is rejected",
            requirement: "A client certificate that does not chain to the KME's CA is rejected, even when its subject names the master SAE.",
            level: .must, reference: "ETSI GS QKD 014 §5.1", tags: ["etsi014", "tls"], profiles: [.etsi014]
        ) { ctx in
            guard let kme = ETSI014Support.kme(ctx) else { return .unimplemented("the target has no kme object") }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-rogue-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var pki = TestPKI()
            pki.masterSAEID = kme.master.saeID
            try pki.write(to: dir)
            var rogue = kme.masterCredentials
            rogue.certificatePath = (dir as NSString).appendingPathComponent(TestPKI.File.cert(TestPKI.rogue))
            rogue.keyPath = (dir as NSString).appendingPathComponent(TestPKI.File.key(TestPKI.rogue))
            let problem = await ETSI014Support.rejected(rogue, "a certificate of another CA with CN \(kme.master.saeID)", slaveSAEID: kme.slave.saeID)
            return CaseOutcome(holds: problem == nil, detail: problem ?? "rejected")
        },
        ConformanceCase(
            id: "etsi014/5.1/tls/unattached-sae", title: "A valid certificate of an SAE that is not attached is a 401",
            requirement: "An SAE whose certificate is valid but which is not attached to the KME gets 401 on status and enc_keys, and no key.",
            level: .must, reference: "ETSI GS QKD 014 §5.1, Tables 4 and 6", tags: ["etsi014", "tls", "authorization"], profiles: [.etsi014]
        ) { ctx in
            guard let kme = ETSI014Support.kme(ctx) else { return .unimplemented("the target has no kme object") }
            let creds = kme.unauthorizedCredentials(url: kme.master.url, ca: kme.master.ca)
            do {
                let (status, keys) = try await ETSI014Support.withClient(creds) { c in
                    (try await c.status(slaveSAEID: kme.slave.saeID), try await c.encKeys(slaveSAEID: kme.slave.saeID, request: nil))
                }
                let ok = status.status == 401 && keys.status == 401 && !ETSI014Support.carriesKeys(keys)
                return CaseOutcome(holds: ok, detail: "\(kme.unauthorized.saeID): status answered \(status.status), enc_keys \(keys.status)"
                                   + (ETSI014Support.carriesKeys(keys) ? " WITH KEYS" : ""))
            } catch {
                return CaseOutcome(holds: false, detail: "the TLS connection of \(kme.unauthorized.saeID) (valid certificate) was refused; the standard's answer is a 401: \(error)")
            }
        },
        ConformanceCase(
            id: "etsi014/5.1/tls/below-1.2", title: "TLS below 1.2 is rejected",
            requirement: "A client offering at most TLS 1.1 cannot connect: the standard asks for TLS 1.2 or higher.",
            level: .must, reference: "ETSI GS QKD 014 §4, §5.1", tags: ["etsi014", "tls"], profiles: [.etsi014]
        ) { ctx in
            guard let kme = ETSI014Support.kme(ctx) else { return .unimplemented("the target has no kme object") }
            var old = kme.masterCredentials
            old.minimumTLSVersion = .tlsv1
            old.maximumTLSVersion = .tlsv11
            do {
                // A refused handshake is retried by the client until its deadline: keep it short.
                let r = try await ETSI014Support.withClient(old, timeout: 1) { try await $0.status(slaveSAEID: kme.slave.saeID) }
                return CaseOutcome(holds: false, detail: "a TLS ≤ 1.1 connection was accepted (status answered \(r.status))")
            } catch {
                return CaseOutcome(holds: true, detail: "the TLS ≤ 1.1 handshake failed")
            }
        },
        // MARK: Where the standard is silent, and SHOULDs
        ConformanceCase(
            id: "etsi014/5.1/silent/unknown-url-and-method", title: "Unknown URLs and methods (reported)",
            requirement: """
                The standard defines no answer for an unknown URL or a method Table 2 does not list; any answer but a key is accepted and reported.
                """,
            level: .may, reference: "ETSI GS QKD 014 §5.1 Table 2 (silent)", tags: ["etsi014", "silent"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let unknown = try await master.send(.GET, path: "/api/v1/keys/\(ETSI014.encodePathSegment(kme.slave.saeID))/no_such_method")
                let delete = try await master.send(.DELETE, path: ETSI014.path(.status, saeID: kme.slave.saeID))
                let put = try await master.send(.PUT, path: ETSI014.path(.encKeys, saeID: kme.slave.saeID), body: Data("{}".utf8))
                let leaked = ETSI014Support.carriesKeys(put) || ETSI014Support.carriesKeys(delete)
                return CaseOutcome(holds: !leaked, detail: "unknown URL → \(unknown.status), DELETE status → \(delete.status), PUT enc_keys → \(put.status)"
                                   + (leaked ? " WITH KEYS" : ""))
            }
        },
        ConformanceCase(
            id: "etsi014/5.1/silent/request-content-type", title: "A POST without Content-Type application/json (reported)",
            requirement: """
                A Key request sent as text/plain: the standard fixes the content type (Table 1) but not what a KME does with another; either answer \
                is accepted and reported.
                """,
            level: .may, reference: "ETSI GS QKD 014 §5.1 Table 1 (silent on the answer)", tags: ["etsi014", "silent"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, _ in
                let r = try await master.send(.POST, path: ETSI014.path(.encKeys, saeID: kme.slave.saeID), body: Data("{}".utf8), contentType: "text/plain")
                return CaseOutcome(holds: r.status < 500, detail: "answered \(r.status)" + (ETSI014Support.carriesKeys(r) ? " with a key (content type not enforced)" : ""))
            }
        },
        ConformanceCase(
            id: "etsi014/5.1/response-content-type", title: "Answers are application/json",
            requirement: "Bodies the KME sends (Status, Key container, Error) carry Content-Type application/json.",
            level: .should, reference: "ETSI GS QKD 014 §5.1 Table 1", tags: ["etsi014"], profiles: [.etsi014]
        ) { ctx in
            try await ETSI014Support.withPair(ctx, level: .should) { kme, master, _ in
                let answers = [try await master.status(slaveSAEID: kme.slave.saeID), try await master.encKeys(slaveSAEID: kme.slave.saeID, request: nil),
                               try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: 0))]
                let wrong = answers.filter { !($0.contentType ?? "").lowercased().hasPrefix("application/json") }
                return CaseOutcome(holds: wrong.isEmpty, detail: wrong.isEmpty ? "all three answers are application/json"
                                   : "content types: \(answers.map { $0.contentType ?? "none" }.joined(separator: ", "))")
            }
        },
        // MARK: Load
        ConformanceCase(
            id: "etsi014/5.3/load/concurrent-invariants", title: "Under concurrent load no key goes out twice and none is lost",
            requirement: """
                Four SAE client pairs doing enc_keys on the master and dec_keys on the slave for one second: no key_ID or key material delivered \
                twice, every key the master delivered retrieved once from the slave with identical bytes, no 5xx but 503 for an empty pool.
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.3, §5.4 (post-conditions), Tables 6 and 8", tags: ["etsi014", "load"], profiles: [.etsi014]
        ) { ctx in
            guard let kme = ETSI014Support.kme(ctx) else { return .unimplemented("the target has no kme object") }
            var bench = KMEBench()
            bench.clients = 4
            bench.seconds = 1
            bench.maxRequests = 2_000
            let r = try await bench.run(kme)
            return CaseOutcome(
                holds: r.invariantsHold && r.keysDelivered > 0,
                detail: String(format: "%d keys in %.1f s (%.0f requests/s): %d duplicate IDs, %d duplicate material, %d lost, %d mismatched, %d server errors",
                               r.keysDelivered, r.seconds, r.requestsPerSecond, r.duplicateKeyIDs, r.duplicateKeyMaterial, r.lostKeys, r.mismatchedKeys,
                               r.serverErrors),
                measurements: ["requests_per_second": r.requestsPerSecond, "enc_p99_ms": r.encP99Ms, "dec_p99_ms": r.decP99Ms])
        },
        // MARK: Cross-layer key lifecycle: the nodes' keys through the KMEs
        ConformanceCase(
            id: "etsi014/5.3/lifecycle/node-keys-delivered-identically", title: "Every key the nodes delivered comes out of both KMEs, identical",
            requirement: """
                With a QKD session's keys feeding the KME pair (Alice's node to the master, Bob's to the slave), the keys enc_keys delivers are the \
                node keys' bits in delivery order, the slave returns each with identical bytes, and a key fetched once is gone.
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.3, §5.4 (post-conditions); docs/etsi014.md (cross-layer)", tags: ["etsi014", "lifecycle"],
            profiles: [.etsi014]
        ) { ctx in
            guard let nodes = ETSI014Lifecycle.nodes(ctx) else { return .unimplemented("the target has no QKD nodes feeding the KMEs") }
            let s = try await nodes.run(scenario: honest(), seed: ctx.seed, fault: nil)
            if let o = survival(s) { return o }
            guard !s.aliceKeys.isEmpty else { return CaseOutcome(holds: false, detail: "the nodes delivered no key; \(describe(s))", session: s) }
            let d = try await ETSI014Lifecycle.drain(s)
            let nodeBits = s.aliceKeys.reduce(0) { $0 + $1.key.count }
            let holds = d.delivered > 0 && d.identical == d.delivered && d.streamMatchesNodes && d.replayRefused && nodeBits - d.masterBits < 256
            return CaseOutcome(holds: holds,
                               detail: "\(s.aliceKeys.count) node keys (\(nodeBits) bits) → \(d.delivered) KME keys (\(d.masterBits) bits); \(d.identical) identical at the slave, \(d.slaveMissing) missing; master output \(d.streamMatchesNodes ? "is" : "is NOT") the node keys in order; replay \(d.replayRefused ? "refused" : "SERVED")",
                               measurements: ["node_keys": Double(s.aliceKeys.count), "kme_keys": Double(d.delivered)], session: s)
        },
        ConformanceCase(
            id: "etsi014/5.3/lifecycle/aborted-frames-never-delivered", title: "Keys of aborted frames never come out of a KME",
            requirement: "Under intercept-resend on every pulse every frame aborts: no key may come out of the KME pair fed by the nodes.",
            level: .must, reference: "ETSI GS QKD 014 §5.3; docs/postprocessing.md (abort rule)", tags: ["etsi014", "lifecycle", "abort"],
            profiles: [.etsi014]
        ) { ctx in
            guard let nodes = ETSI014Lifecycle.nodes(ctx) else { return .unimplemented("the target has no QKD nodes feeding the KMEs") }
            let s = try await nodes.run(scenario: attacked(.interceptResend(fraction: 1)), seed: ctx.seed, fault: nil)
            if let o = survival(s) { return o }
            let d = try await ETSI014Lifecycle.drain(s)
            return CaseOutcome(holds: d.delivered == 0, detail: "\(s.aliceKeys.count) keys at Alice's node, \(s.bobKeys.count) at Bob's; \(d.delivered) came out of the master KME",
                               session: s)
        },
        ConformanceCase(
            id: "etsi014/5.4/lifecycle/discarded-frames-never-delivered", title: "Keys of frames failing verification never come out of a KME",
            requirement: """
                When a frame's verification fails (the harness corrupts a verification tag and re-authenticates it), no key of it may come out of \
                the KME pair fed by the nodes.
                """,
            level: .must, reference: "ETSI GS QKD 014 §5.4; docs/postprocessing.md (discard rule)", tags: ["etsi014", "lifecycle", "verification"],
            profiles: [.etsi014]
        ) { ctx in
            guard let nodes = ETSI014Lifecycle.nodes(ctx) else { return .unimplemented("the target has no QKD nodes feeding the KMEs") }
            guard nodes.channel == .reference, let key = nodes.authenticationKey else {
                return .unimplemented("altering a verification tag needs the reference control protocol and the authentication key")
            }
            let s = try await nodes.run(scenario: honest(), seed: ctx.seed, fault: corruptVerification(key: key, log: FaultLog()))
            if let o = survival(s) { return o }
            let d = try await ETSI014Lifecycle.drain(s)
            return CaseOutcome(holds: d.delivered == 0, detail: "\(s.aliceKeys.count) keys at Alice's node, \(s.bobKeys.count) at Bob's; \(d.delivered) came out of the master KME, \(d.identical) identical at the slave",
                               session: s)
        },
    ]

    /// A malformed-input case: every request `send` makes must be refused with 400 (or 401),
    /// never a 5xx, never a key.
    static func malformed(id: String, title: String, requirement: String,
                          _ send: @escaping @Sendable (KMETarget, KMEClient, KMEClient) async throws -> [(String, KMEResponse)]) -> ConformanceCase {
        let clause = id.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        return ConformanceCase(id: id, title: title, requirement: requirement, level: .must,
                               reference: "ETSI GS QKD 014 §\(clause), Tables 6 and 8 (400 bad request format)", tags: ["etsi014", "malformed"],
                               profiles: [.etsi014]) { ctx in
            try await ETSI014Support.withPair(ctx) { kme, master, slave in
                let answers = try await send(kme, master, slave)
                let problems = answers.compactMap { ETSI014Support.refused($0.1, $0.0) }
                return CaseOutcome(holds: problems.isEmpty, detail: problems.isEmpty ? "\(answers.count) requests, all refused with 400/401"
                                   : problems.prefix(4).joined(separator: "; "))
            }
        }
    }
}
