import Foundation

/// A SARIF 2.1.0 log (OASIS Static Analysis Results Interchange Format), the file code-scanning
/// dashboards (GitHub code scanning, GitLab, Azure DevOps) take: one run, the tool's rules, and
/// one result per finding with its rule, level, message and a location. qkdspec's findings are
/// about a running stack, not a line of source, so a result's location is the file that best
/// stands for it: a reproducer, or the specification text of the failed requirement.
package struct SARIFReport: Sendable {
    package static let schema = "https://json.schemastore.org/sarif-2.1.0.json"
    package static let version = "2.1.0"

    /// A kind of finding (a conformance case, a fuzzer detector).
    package struct Rule: Sendable {
        package var id: String
        package var name: String
        package var shortDescription: String
        package var fullDescription: String
        package var helpURI: String?

        package init(id: String, name: String, shortDescription: String, fullDescription: String, helpURI: String? = nil) {
            self.id = id
            self.name = name
            self.shortDescription = shortDescription
            self.fullDescription = fullDescription
            self.helpURI = helpURI
        }
    }

    package enum Level: String, Sendable { case error, warning, note }

    package struct Result: Sendable {
        package var ruleID: String
        package var level: Level
        package var message: String
        /// The artifact standing for the result (a relative path or a URI), with a line.
        package var location: String
        package var line: Int
        /// Extra key–value pairs (seed, reproduce line) under `properties`.
        package var properties: [String: String]

        package init(ruleID: String, level: Level, message: String, location: String, line: Int = 1, properties: [String: String] = [:]) {
            self.ruleID = ruleID
            self.level = level
            self.message = message
            self.location = location
            self.line = line
            self.properties = properties
        }
    }

    package var toolName: String
    package var toolVersion: String
    package var informationURI: String
    package var rules: [Rule]
    package var results: [Result]
    /// Run-level properties (seed, target).
    package var properties: [String: String]

    package init(toolName: String, toolVersion: String, informationURI: String, rules: [Rule], results: [Result], properties: [String: String] = [:]) {
        self.toolName = toolName
        self.toolVersion = toolVersion
        self.informationURI = informationURI
        self.rules = rules
        self.results = results
        self.properties = properties
    }

    /// The log as a JSON value, ready for JSONSerialization.
    package var object: [String: Any] {
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
    package func render() -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
