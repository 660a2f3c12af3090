import Foundation

/// One vector file, parsed.
package struct VectorFile: Sendable {
    package let path: String
    package let name: String
    package let document: JSONValue
    /// The file's bytes as read (for the canonical-format check).
    package let bytes: [UInt8]

    /// Files larger than this are refused before they are read.
    package static let maximumBytes = 64 << 20

    package init(path: String) throws(VectorError) {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int else { throw VectorError(file: name, "cannot read \(path)") }
        guard size <= Self.maximumBytes else {
            throw VectorError(file: name, "\(size) bytes exceeds the \(Self.maximumBytes)-byte limit for a vector file")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw VectorError(file: name, "cannot read \(path)") }
        try self.init(name: name, path: path, bytes: Array(data))
    }

    /// A file from memory (the embedded vectors, a fuzzer's input).
    package init(name: String, path: String? = nil, bytes: [UInt8]) throws(VectorError) {
        self.name = name
        self.path = path ?? name
        self.bytes = bytes
        guard bytes.count <= Self.maximumBytes else {
            throw VectorError(file: name, "\(bytes.count) bytes exceeds the \(Self.maximumBytes)-byte limit for a vector file")
        }
        do { document = try JSONParser.parse(bytes) } catch {
            throw VectorError(file: name, "not valid JSON: \(error)")
        }
    }

    package var schemaName: String? { document["schema"]?.string }
    package var algorithm: String { document["algorithm"]?.string ?? "?" }

    /// Every test with its group, in file order.
    package var tests: [(group: JSONValue, test: JSONValue)] {
        (document["testGroups"]?.array ?? []).flatMap { g in (g["tests"]?.array ?? []).map { (g, $0) } }
    }

    /// Whether the bytes are the canonical text of the document (``CanonicalJSON``).
    package var isCanonical: Bool { Array(CanonicalJSON.text(document).utf8) == bytes }

    /// The vector files of a directory (not its subdirectories), sorted by name.
    package static func files(in directory: String) throws(VectorError) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw VectorError(file: directory, "not a readable directory")
        }
        return names.filter { $0.hasSuffix(".json") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }
}
