import Foundation

/// Where vector files and their schemas come from: a directory on disk (`--vectors DIR`, the
/// repository's vectors/) or the copies compiled into the executable (``EmbeddedVectors``), so
/// an installed binary run from anywhere still has its vectors.
package struct VectorStore: Sendable {
    enum Origin: Sendable {
        case directory(vectors: String, schemas: String)
        case embedded
    }

    let origin: Origin

    /// The vectors of `directory`, with schemas in `schemas` (default: DIRECTORY/schema).
    package static func directory(_ directory: String, schemas: String? = nil) -> VectorStore {
        VectorStore(origin: .directory(vectors: directory, schemas: schemas ?? (directory as NSString).appendingPathComponent("schema")))
    }

    /// The vectors compiled into this executable.
    package static let embedded = VectorStore(origin: .embedded)

    /// What to call this store in messages: its directory, or "embedded vectors".
    package var label: String {
        switch origin {
        case .directory(let v, _): return v
        case .embedded: return "embedded vectors"
        }
    }

    /// The names of the vector files, sorted.
    package func fileNames() throws(VectorError) -> [String] {
        switch origin {
        case .directory(let v, _): return try VectorFile.files(in: v).map { URL(fileURLWithPath: $0).lastPathComponent }
        case .embedded: return EmbeddedVectors.files.keys.sorted()
        }
    }

    /// One vector file by name (a plain file name: no directory part).
    package func file(named name: String) throws(VectorError) -> VectorFile {
        try Self.checkPlainName(name, what: "vector file")
        switch origin {
        case .directory(let v, _): return try VectorFile(path: (v as NSString).appendingPathComponent(name))
        case .embedded:
            guard let text = EmbeddedVectors.files[name] else { throw VectorError(file: name, "no such embedded vector file") }
            return try VectorFile(name: name, bytes: Array(text.utf8))
        }
    }

    /// Every vector file, sorted by name.
    package func files() throws(VectorError) -> [VectorFile] {
        try fileNames().map { (n: String) throws(VectorError) -> VectorFile in try file(named: n) }
    }

    /// A schema document by the name a vector file gives in its `schema` field. Only plain file
    /// names in the schema directory are accepted: `../../etc/passwd` is refused, not followed.
    package func schema(named name: String) throws(VectorError) -> VectorFile {
        try Self.checkPlainName(name, what: "schema")
        switch origin {
        case .directory(_, let s): return try VectorFile(path: (s as NSString).appendingPathComponent(name))
        case .embedded:
            // Parsed on each call, not cached in a static: LeakSanitizer (the fuzz targets) reports
            // a lazily built global cache as a leak.
            guard let text = EmbeddedVectors.schemas[name] else { throw VectorError(file: name, "no such embedded schema") }
            return try VectorFile(name: name, bytes: Array(text.utf8))
        }
    }

    /// A plain file name: letters, digits, `_`, `-` and `.`, ending in `.json`, not starting with a dot.
    static func checkPlainName(_ name: String, what: String) throws(VectorError) {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D || c == 0x2E
        }
        guard allowed, name.hasSuffix(".json"), !name.hasPrefix("."), name.utf8.count <= 128 else {
            throw VectorError(file: String(name.prefix(80)), "\(what) name must be a plain file name (letters, digits, _ - .) ending in .json, inside the \(what == "schema" ? "schema" : "vectors") directory")
        }
    }
}
