import Foundation
import PostProcessing
import TargetFiles

/// Where a KME's key material comes from: the keys its QKD node delivered, by node key ID.
/// The reference KME asks again whenever its pool runs short; a source returns what it holds
/// now (the KME ignores IDs it has already taken in).
package protocol KeySource: Sendable {
    /// Node keys delivered so far, in delivery order.
    func deliveredKeys() throws -> [(UUID, BitKey)]
}

/// A node's key output file (docs/targets.md): one JSON object per line,
/// `{"key_id": UUID, "hex": HEX, "bits": N}`. Re-read only when the file has grown or changed.
package final class KeyOutputFileSource: KeySource, @unchecked Sendable {
    package let path: String
    private let lock = NSLock()
    private var lastSignature: (size: UInt64, modified: Date)?
    private var cached: [(UUID, BitKey)] = []

    package init(path: String) { self.path = path }

    package func deliveredKeys() throws -> [(UUID, BitKey)] {
        lock.lock()
        defer { lock.unlock() }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return [] }  // nothing delivered yet
        let signature = ((attributes[.size] as? NSNumber)?.uint64Value ?? 0, (attributes[.modificationDate] as? Date) ?? .distantPast)
        if let last = lastSignature, last == signature { return cached }
        cached = try Self.parse(path: path)
        lastSignature = signature
        return cached
    }

    /// Parses a key output file (``KeyOutput/parse(_:path:partialLastLine:)``); a line that is
    /// not a key is an error naming the line, unless it is a last line still being written.
    static func parse(path: String) throws -> [(UUID, BitKey)] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw KeyDeliveryError.configuration("cannot read the key output \(path): \(error.localizedDescription)")
        }
        do {
            return try KeyOutput.parse(text, path: path, partialLastLine: true).map { ($0.keyID, $0.key) }
        } catch { throw KeyDeliveryError.configuration("\(error)") }
    }
}

/// Keys handed over in memory (a node engine's key store drained by its owner, or a test).
package final class InMemoryKeySource: KeySource, @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [(UUID, BitKey)] = []

    package init(_ keys: [(UUID, BitKey)] = []) { self.keys = keys }

    /// Adds keys a node delivered.
    package func deliver(_ more: [(UUID, BitKey)]) {
        lock.lock()
        keys += more
        lock.unlock()
    }

    /// Takes every key out of a node's key store (each leaves it once, as the store requires).
    package func drain(_ store: inout KeyStore) {
        var taken: [(UUID, BitKey)] = []
        while let (id, key) = store.takeOldest() { taken.append((id, key)) }
        deliver(taken)
    }

    package func deliveredKeys() throws -> [(UUID, BitKey)] {
        lock.lock()
        defer { lock.unlock() }
        return keys
    }
}

/// A simulated QKD link for KMEs without nodes (tests, `kme bench`): the same random keys at
/// both ends, `keys` of `bits` bits each, from the system's random generator.
package enum SimulatedLink {
    package static func pair(keys: Int, bits: Int) -> (master: InMemoryKeySource, slave: InMemoryKeySource) {
        var generator = SystemRandomNumberGenerator()
        var list: [(UUID, BitKey)] = []
        list.reserveCapacity(keys)
        let words = (bits + 63) / 64
        for _ in 0..<max(0, keys) {
            var w = (0..<words).map { _ in generator.next() as UInt64 }
            if bits % 64 != 0, let last = w.indices.last { w[last] &= (UInt64(1) << UInt64(bits % 64)) - 1 }
            list.append((UUID(), BitKey(words: w, count: bits)))
        }
        return (InMemoryKeySource(list), InMemoryKeySource(list))
    }
}
