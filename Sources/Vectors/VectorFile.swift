import Foundation

/// One vector file, parsed.
public struct VectorFile: Sendable {
    public let path: String
    public let name: String
    public let document: JSONValue

    /// Files larger than this are refused before they are read.
    public static let maximumBytes = 64 << 20

    public init(path: String) throws(VectorError) {
        self.path = path
        name = URL(fileURLWithPath: path).lastPathComponent
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int else { throw VectorError(file: name, "cannot read \(path)") }
        guard size <= Self.maximumBytes else {
            throw VectorError(file: name, "\(size) bytes exceeds the \(Self.maximumBytes)-byte limit for a vector file")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw VectorError(file: name, "cannot read \(path)") }
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw VectorError(file: name, "not valid JSON: \(Self.describe(error))")
        }
    }

    public var schemaName: String? { document["schema"]?.string }
    public var algorithm: String { document["algorithm"]?.string ?? "?" }

    /// Every test with its group, in file order.
    public var tests: [(group: JSONValue, test: JSONValue)] {
        (document["testGroups"]?.array ?? []).flatMap { g in (g["tests"]?.array ?? []).map { (g, $0) } }
    }

    /// The vector files of a directory (not its subdirectories), sorted by name.
    public static func files(in directory: String) throws(VectorError) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw VectorError(file: directory, "not a readable directory")
        }
        return names.filter { $0.hasSuffix(".json") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }

    static func describe(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            return context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription
        }
        return "\(error)"
    }
}
