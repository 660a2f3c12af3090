import Foundation

/// JUnit XML as the common CI readers take it (Jenkins, GitLab, GitHub test reporters): one
/// `testsuite`, one `testcase` per case, `failure` for a conformance failure, `error` for a
/// harness problem, `skipped` for cases not run, the time per case, and the seed as a property.
package struct JUnitReport: Sendable {
    package enum Outcome: Sendable { case passed, failure, error, skipped }

    package struct TestCase: Sendable {
        package var name: String
        package var className: String
        package var seconds: Double
        package var outcome: Outcome
        package var message: String
        package var detail: String

        package init(name: String, className: String, seconds: Double, outcome: Outcome, message: String, detail: String) {
            self.name = name
            self.className = className
            self.seconds = seconds
            self.outcome = outcome
            self.message = message
            self.detail = detail
        }
    }

    package var suiteName: String
    package var timestamp: String
    package var properties: [(String, String)]
    package var cases: [TestCase]

    package init(suiteName: String, timestamp: String, properties: [(String, String)], cases: [TestCase]) {
        self.suiteName = suiteName
        self.timestamp = timestamp
        self.properties = properties
        self.cases = cases
    }

    package func render() -> String {
        func count(_ o: Outcome) -> Int { cases.filter { $0.outcome == o }.count }
        let time = String(format: "%.3f", cases.reduce(0) { $0 + $1.seconds })
        let totals = "tests=\"\(cases.count)\" failures=\"\(count(.failure))\" errors=\"\(count(.error))\" skipped=\"\(count(.skipped))\" time=\"\(time)\""
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"qkdspec\" \(totals)>\n"
        x += "  <testsuite name=\"\(Self.escape(suiteName))\" \(totals) timestamp=\"\(Self.escape(timestamp))\">\n"
        x += "    <properties>\n"
        for (k, v) in properties { x += "      <property name=\"\(Self.escape(k))\" value=\"\(Self.escape(v))\"/>\n" }
        x += "    </properties>\n"
        for c in cases {
            x += "    <testcase classname=\"\(Self.escape(c.className))\" name=\"\(Self.escape(c.name))\" time=\"\(String(format: "%.3f", c.seconds))\""
            switch c.outcome {
            case .passed:
                x += ">\n"
            case .failure:
                x += ">\n      <failure message=\"\(Self.escape(c.message))\" type=\"conformance\">\(Self.escape(c.detail))</failure>\n"
            case .error:
                x += ">\n      <error message=\"\(Self.escape(c.message))\" type=\"harness\">\(Self.escape(c.detail))</error>\n"
            case .skipped:
                x += ">\n      <skipped message=\"\(Self.escape(c.message))\"/>\n"
            }
            x += "      <system-out>\(Self.escape(c.detail))</system-out>\n    </testcase>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }

    static func escape(_ s: String) -> String { MarkupText.escape(s) }
}
