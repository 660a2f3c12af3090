import Foundation

/// A SARIF 2.1.0 log (OASIS Static Analysis Results Interchange Format), the file code-scanning
/// dashboards (GitHub code scanning, GitLab, Azure DevOps) take: one run, the tool's rules, and
/// one result per finding with its rule, level, message and a location. qkdspec's findings are
/// about a running stack, not a line of source, so a result's location is the file that best
/// stands for it: a reproducer, or the specification text of the failed requirement.
public struct SARIFReport: Sendable {
    public static let schema = "https://json.schemastore.org/sarif-2.1.0.json"
    public static let version = "2.1.0"

    /// A kind of finding (a conformance case, a fuzzer detector).
    public struct Rule: Sendable {
        public var id: String
        public var name: String
        public var shortDescription: String
        public var fullDescription: String
        public var helpURI: String?

        public init(id: String, name: String, shortDescription: String, fullDescription: String, helpURI: String? = nil) {
            self.id = id
            self.name = name
            self.shortDescription = shortDescription
            self.fullDescription = fullDescription
            self.helpURI = helpURI
        }
    }

    public enum Level: String, Sendable { case error, warning, note }

    public struct Result: Sendable {
        public var ruleID: String
        public var level: Level
        public var message: String
        /// The artifact standing for the result (a relative path or a URI), with a line.
        public var location: String
        public var line: Int
        /// Extra key–value pairs (seed, reproduce line) under `properties`.
        public var properties: [String: String]

        public init(ruleID: String, level: Level, message: String, location: String, line: Int = 1, properties: [String: String] = [:]) {
            self.ruleID = ruleID
            self.level = level
            self.message = message
            self.location = location
            self.line = line
            self.properties = properties
        }
    }

    public var toolName: String
    public var toolVersion: String
    public var informationURI: String
    public var rules: [Rule]
    public var results: [Result]
    /// Run-level properties (seed, target).
    public var properties: [String: String]

    public init(toolName: String, toolVersion: String, informationURI: String, rules: [Rule], results: [Result], properties: [String: String] = [:]) {
        self.toolName = toolName
        self.toolVersion = toolVersion
        self.informationURI = informationURI
        self.rules = rules
        self.results = results
        self.properties = properties
    }

    /// The log as a JSON value, ready for JSONSerialization.
    public var object: [String: Any] {
        let ruleIndex = Dictionary(rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let driverRules: [[String: Any]] = rules.map { r in
            var o: [String: Any] = ["id": r.id, "name": r.name, "shortDescription": ["text": r.shortDescription],
                                    "fullDescription": ["text": r.fullDescription]]
            if let uri = r.helpURI { o["helpUri"] = uri }
            return o
        }
        let sarifResults: [[String: Any]] = results.map { r in
            var o: [String: Any] = [
                "ruleId": r.ruleID, "level": r.level.rawValue, "message": ["text": r.message],
                "locations": [["physicalLocation": ["artifactLocation": ["uri": r.location], "region": ["startLine": max(1, r.line)]]]],
            ]
            if let i = ruleIndex[r.ruleID] { o["ruleIndex"] = i }
            if !r.properties.isEmpty { o["properties"] = r.properties }
            return o
        }
        var run: [String: Any] = [
            "tool": ["driver": ["name": toolName, "version": toolVersion, "informationUri": informationURI, "rules": driverRules]],
            "results": sarifResults,
        ]
        if !properties.isEmpty { run["properties"] = properties }
        return ["$schema": Self.schema, "version": Self.version, "runs": [run]]
    }

    /// The log as pretty-printed JSON text.
    public func render() -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
