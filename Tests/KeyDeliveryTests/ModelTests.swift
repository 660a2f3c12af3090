import Foundation
import Testing
import Vectors
@testable import KeyDelivery

/// The data formats of clause 6, read from the standard's own examples (copied from the text of
/// ETSI GS QKD 014 V1.1.1, clauses 6.1 to 6.5) and from bodies that break them.
@Suite struct ModelTests {
    @Test func statusExampleOfClause61() throws {
        let body = """
            {
                "source_KME_ID": "AAAABBBBCCCCDDDD",
                "target_KME_ID": "EEEEFFFFGGGGHHHH",
                "master_SAE_ID": "IIIIJJJJKKKKLLLL",
                "slave_SAE_ID": "MMMMNNNNOOOOPPPP",
                "key_size": 352,
                "stored_key_count": 25000,
                "max_key_count": 100000,
                "max_key_per_request": 128,
                "max_key_size": 1024,
                "min_key_size": 64,
                "max_SAE_ID_count": 0
            }
            """
        let parsed = try KeyStatus.parse(Data(body.utf8))
        #expect(parsed.unknownFields.isEmpty)
        let s = parsed.value
        #expect(s.sourceKMEID == "AAAABBBBCCCCDDDD" && s.targetKMEID == "EEEEFFFFGGGGHHHH")
        #expect(s.masterSAEID == "IIIIJJJJKKKKLLLL" && s.slaveSAEID == "MMMMNNNNOOOOPPPP")
        #expect(s.keySize == 352 && s.storedKeyCount == 25000 && s.maxKeyCount == 100000)
        #expect(s.maxKeyPerRequest == 128 && s.maxKeySize == 1024 && s.minKeySize == 64 && s.maxSAEIDCount == 0)
        #expect(s.statusExtension == nil)
        // Encoding gives back the standard's field names, and reads back equal.
        let again = try KeyStatus.parse(try s.jsonData()).value
        #expect(again == s)
        let text = String(decoding: try s.jsonData(), as: UTF8.self)
        for name in ["source_KME_ID", "target_KME_ID", "master_SAE_ID", "slave_SAE_ID", "key_size", "stored_key_count", "max_key_count",
                     "max_key_per_request", "max_key_size", "min_key_size", "max_SAE_ID_count"] {
            #expect(text.contains("\"\(name)\""), "\(name) missing from \(text)")
        }
        #expect(!text.contains("status_extension"))
    }

    @Test func statusFieldErrorsNameTheField() {
        let missing = #"{"source_KME_ID":"A","target_KME_ID":"B","master_SAE_ID":"C","slave_SAE_ID":"D","key_size":256,"#
            + #""stored_key_count":1,"max_key_count":2,"max_key_per_request":3,"max_key_size":4,"min_key_size":5}"#
        #expect(throws: ModelValidationError(field: "max_SAE_ID_count", reason: "is required")) { try KeyStatus.parse(Data(missing.utf8)) }
        let wrongType = missing.replacingOccurrences(of: #""key_size":256"#, with: #""key_size":"256""#)
            .replacingOccurrences(of: "}", with: #","max_SAE_ID_count":0}"#)
        #expect(throws: ModelValidationError(field: "key_size", reason: "must be an integer, found a string")) {
            try KeyStatus.parse(Data(wrongType.utf8))
        }
    }

    @Test func unknownFieldsAreReportedNotFatal() throws {
        let body = #"{"message":"key data access error","vendor_code":17}"#
        let parsed = try ErrorBody.parse(Data(body.utf8))
        #expect(parsed.value.message == "key data access error")
        #expect(parsed.unknownFields == ["vendor_code"])
    }

    @Test func keyRequestExamplesOfClause62() throws {
        let first = try KeyRequest.parse(Data(#"{ "number": 3, "size": 1024 }"#.utf8)).value
        #expect(first == KeyRequest(number: 3, size: 1024))
        #expect(first.fitsInQuery)
        let second = try KeyRequest.parse(Data(#"{"number": 1, "size": 4096, "additional_slave_SAE_IDs": ["ABCDEFG", "HIJKLMN"]}"#.utf8)).value
        #expect(second.additionalSlaveSAEIDs == ["ABCDEFG", "HIJKLMN"] && second.number == 1 && second.size == 4096)
        #expect(!second.fitsInQuery)
        let third = try KeyRequest.parse(Data("""
            {"number": 20, "size": 512,
             "extension_mandatory": [{"abc_route_type": "direct"}, {"abc_transfer_method": "qkd"}],
             "extension_optional": [{"abc_max_age": 30000}]}
            """.utf8)).value
        #expect(third.number == 20 && third.size == 512)
        #expect(third.extensionMandatory == [["abc_route_type": .string("direct")], ["abc_transfer_method": .string("qkd")]])
        #expect(third.extensionOptional == [["abc_max_age": .int(30000)]])
        // "All items in the Key request data format are optional and the JSON data format of Key
        // request may be empty."
        #expect(try KeyRequest.parse(Data("{}".utf8)).value == KeyRequest())
    }

    @Test func keyRequestRejectsWrongTypesByName() {
        #expect(throws: ModelValidationError(field: "number", reason: "must be an integer, found a string")) {
            try KeyRequest.parse(Data(#"{"number":"3"}"#.utf8))
        }
        #expect(throws: ModelValidationError(field: "size", reason: "must be an integer, found a number out of range or with a fraction")) {
            try KeyRequest.parse(Data(#"{"size":1e30}"#.utf8))
        }
        #expect(throws: ModelValidationError(field: "additional_slave_SAE_IDs[1]", reason: "must be a string, found an integer")) {
            try KeyRequest.parse(Data(#"{"additional_slave_SAE_IDs":["A",2]}"#.utf8))
        }
        #expect(throws: ModelValidationError(field: "extension_mandatory[0]", reason: "must be an object, found a string")) {
            try KeyRequest.parse(Data(#"{"extension_mandatory":["abc"]}"#.utf8))
        }
        #expect(throws: ModelValidationError(field: "", reason: "the body is not valid JSON")) { try KeyRequest.parse(Data("{number:".utf8)) }
        #expect(throws: ModelValidationError(field: "", reason: "must be a JSON object, found an array")) { try KeyRequest.parse(Data("[]".utf8)) }
    }

    @Test func keyRequestFromTheQueryOfExample1() throws {
        // EXAMPLE 1 of clause 6.2: .../enc_keys?number=3&size=1024
        let parsed = try KeyRequest.fromQuery([("number", "3"), ("size", "1024")])
        #expect(parsed.value == KeyRequest(number: 3, size: 1024) && parsed.unknownFields.isEmpty)
        #expect(throws: ModelValidationError(field: "number", reason: "must be a decimal integer, found \"three\"")) {
            try KeyRequest.fromQuery([("number", "three")])
        }
        #expect(try KeyRequest.fromQuery([("colour", "red")]).unknownFields == ["colour"])
    }

    @Test func keyContainerExampleOfClause63() throws {
        let body = """
            {"keys": [
              {"key_ID": "bc490419-7d60-487f-adc1-4ddcc177c139", "key": "wHHVxRwDJs3/bXd38GHP3oe4svTuRpZS0yCC7x4Ly+s="},
              {"key_ID": "0a782fb5-3434-48fe-aa4d-14f41d46cf92", "key": "OeGMPxh1+2RpJpNCYixWHFLYRubpOKCw94FcCI7VdJA="},
              {"key_ID": "64a7e9a2-269c-4b2c-832c-5351f3ac5adb", "key": "479G1Osfljpmfa5vn24tdzE5zqv5CafkGxYrLCk8384="},
              {"key_ID": "550e8400-e29b-41d4-a716-446655440000", "key": "csEMV9KkmjgOPF90uc54+hykhg6iI5GTPHlP9PjgLVU="}
            ]}
            """
        let parsed = try KeyContainer.parse(Data(body.utf8))
        #expect(parsed.unknownFields.isEmpty)
        let keys = parsed.value.keys
        #expect(keys.map(\.keyID) == ["bc490419-7d60-487f-adc1-4ddcc177c139", "0a782fb5-3434-48fe-aa4d-14f41d46cf92",
                                       "64a7e9a2-269c-4b2c-832c-5351f3ac5adb", "550e8400-e29b-41d4-a716-446655440000"])
        // 44 base64 characters with one '=' are 32 bytes (256 bits). By hand: "wHHV" is
        // 48,7,7,21 = 110000 000111 000111 010101 = C0 71 D5.
        #expect(keys.allSatisfy { $0.bytes?.count == 32 })
        #expect(Array(keys[0].bytes?.prefix(3) ?? []) == [0xC0, 0x71, 0xD5])
    }

    @Test func keyContainerRejectsBadKeyIDsAndBase64() {
        #expect(throws: ModelValidationError(field: "keys[0].key_ID", reason: "must be a UUID, found \"key-1\"")) {
            try KeyContainer.parse(Data(#"{"keys":[{"key_ID":"key-1","key":"AAAA"}]}"#.utf8))
        }
        #expect(throws: ModelValidationError(field: "keys[0].key", reason: "must be base64 (RFC 4648)")) {
            try KeyContainer.parse(Data(#"{"keys":[{"key_ID":"550e8400-e29b-41d4-a716-446655440000","key":"*not base64*"}]}"#.utf8))
        }
        #expect(throws: ModelValidationError(field: "keys", reason: "is required")) { try KeyContainer.parse(Data("{}".utf8)) }
    }

    @Test func keyIDsExampleOfClause64() throws {
        let body = """
            {"key_IDs": [
              {"key_ID": "bc490419-7d60-487f-adc1-4ddcc177c139"},
              {"key_ID": "0a782fb5-3434-48fe-aa4d-14f41d46cf92"},
              {"key_ID": "64a7e9a2-269c-4b2c-832c-5351f3ac5adb"},
              {"key_ID": "550e8400-e29b-41d4-a716-446655440000"}
            ]}
            """
        let ids = try KeyIDs.parse(Data(body.utf8)).value
        #expect(ids.keyIDs.map(\.keyID) == ["bc490419-7d60-487f-adc1-4ddcc177c139", "0a782fb5-3434-48fe-aa4d-14f41d46cf92",
                                             "64a7e9a2-269c-4b2c-832c-5351f3ac5adb", "550e8400-e29b-41d4-a716-446655440000"])
        let text = String(decoding: try ids.jsonData(), as: UTF8.self)
        #expect(text.hasPrefix(#"{"key_IDs":[{"key_ID":"bc490419"#))
    }

    @Test func errorExamplesOfClause65() throws {
        #expect(try ErrorBody.parse(Data(#"{"message": "key data access error"}"#.utf8)).value == ErrorBody(message: "key data access error"))
        let second = try ErrorBody.parse(Data("""
            {"message": "not all extension_mandatory parameters are supported",
             "details": [{"extension_mandatory_unsupported": "abc_route_type is not supported"}]}
            """.utf8)).value
        #expect(second.message == ETSI014.Message.extensionMandatoryUnsupported)
        #expect(second.details == [["extension_mandatory_unsupported": .string("abc_route_type is not supported")]])
    }

    @Test func pathsFollowTable2AndEncodeTheSAEID() {
        #expect(ETSI014.path(.status, saeID: "SAE_2") == "/api/v1/keys/SAE_2/status")
        #expect(ETSI014.path(.decKeys, saeID: "SAE_1") == "/api/v1/keys/SAE_1/dec_keys")
        // A slash or a percent sign inside an SAE ID stays inside its path segment.
        #expect(ETSI014.path(.encKeys, saeID: "a/b%c d") == "/api/v1/keys/a%2Fb%25c%20d/enc_keys")
    }
}
