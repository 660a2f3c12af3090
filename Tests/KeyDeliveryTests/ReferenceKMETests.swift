import Foundation
import Testing
@testable import KeyDelivery

/// The reference KME pair over real TLS on 127.0.0.1 (free ports), through the mutual-TLS client.
@Suite(.serialized) struct ReferenceKMETests {
    @Test func statusThenKeysFromMasterToSlave() async throws {
        let pair = try await ReferenceKMEPair.start()
        let kme = pair.target
        let master = try KMEClient(kme.masterCredentials), slave = try KMEClient(kme.slaveCredentials)
        do {
            let status = try KeyStatus.parse(try await master.status(slaveSAEID: kme.slave.saeID).data).value
            // Identities from the PKI (CNs), the limits the KME was given, the volatile store said.
            #expect(status.masterSAEID == "SAE_1" && status.slaveSAEID == "SAE_2")
            #expect(status.sourceKMEID == "KME_A" && status.targetKMEID == "KME_B")
            #expect(status.keySize == 256 && status.maxKeyPerRequest == 128)
            // 256 simulated keys of 8192 bits = 8192 keys of 256 bits.
            #expect(status.storedKeyCount == 8192)
            #expect(status.statusExtension?["qkdspec_volatile_store"] == .bool(true))

            let r = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: 3, size: 512))
            #expect(r.status == 200)
            let sent = try KeyContainer.parse(r.data).value.keys
            #expect(sent.count == 3 && sent.allSatisfy { $0.bytes?.count == 64 && ETSI014.isUUID($0.keyID) })
            let got = try KeyContainer.parse(try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: sent.map(\.keyID)).data).value.keys
            #expect(got.map(\.keyID) == sent.map(\.keyID))
            #expect(got.map(\.key) == sent.map(\.key))
            // 3 × 512 bits = 6 keys of 256 bits gone.
            #expect(try KeyStatus.parse(try await master.status(slaveSAEID: kme.slave.saeID).data).value.storedKeyCount == 8186)
            // Gone once delivered: the replay is a 400 with the standard's message.
            let again = try await slave.decKeys(masterSAEID: kme.master.saeID, keyIDs: sent.map(\.keyID))
            #expect(again.status == 400 && again.error?.message == "one or more keys specified are not found on KME")
            // Oversize number: 400, with an Error body.
            let big = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(number: 129))
            #expect(big.status == 400 && big.error != nil)
            // Not a multiple of 8, declared multiples of 8 only: the standard's message.
            let odd = try await master.encKeys(slaveSAEID: kme.slave.saeID, request: KeyRequest(size: 260))
            #expect(odd.status == 400 && odd.error?.message == "size shall be a multiple of 8")
        } catch {
            await master.shutdown(); await slave.shutdown(); await pair.stop()
            throw error
        }
        await master.shutdown(); await slave.shutdown(); await pair.stop()
    }

    @Test func authenticationComesFromTheCertificate() async throws {
        let pair = try await ReferenceKMEPair.start()
        let kme = pair.target
        // A valid certificate of an SAE attached to neither KME: 401 without a body.
        let stranger = try KMEClient(kme.unauthorizedCredentials(url: kme.master.url, ca: kme.master.ca))
        let r = try await stranger.status(slaveSAEID: kme.slave.saeID)
        await stranger.shutdown()
        #expect(r.status == 401)
        // No client certificate: the handshake fails.
        var anonymous = kme.masterCredentials
        anonymous.certificatePath = nil
        anonymous.keyPath = nil
        let anon = try KMEClient(anonymous, timeout: .seconds(2))
        await #expect(throws: KeyDeliveryError.self) { _ = try await anon.status(slaveSAEID: kme.slave.saeID) }
        await anon.shutdown()
        // TLS 1.1 at most: the handshake fails.
        var old = kme.masterCredentials
        old.minimumTLSVersion = .tlsv1
        old.maximumTLSVersion = .tlsv11
        let oldClient = try KMEClient(old, timeout: .seconds(1))
        await #expect(throws: KeyDeliveryError.self) { _ = try await oldClient.status(slaveSAEID: kme.slave.saeID) }
        await oldClient.shutdown()
        await pair.stop()
    }
}
