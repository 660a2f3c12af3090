import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reports

/// Collects element names and text so a test can assert on the SVG's structure.
final class SVGCollector: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements[name, default: 0] += 1
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { text += "\n" }
}

@Suite("SVG chart")
struct SVGChartTests {
    func chart() -> SVGChart {
        SVGChart(
            title: "Key rate <decoy & GLLP>", xLabel: "Distance (km)", yLabel: "Key rate (bits/pulse)", logarithmicY: true,
            series: [
                ChartSeries(name: "decoy", points: [(0, 2.5e-3), (50, 2.2e-4), (100, 1.7e-5), (140, 2.5e-7)], style: .line, color: "#1f77b4"),
                ChartSeries(name: "GLLP", points: [(0, 1e-3), (20, 1e-4), (40, 0)], style: .dashedLine, color: "#d62728"),
                ChartSeries(name: "simulated", points: [(0, 2.4e-3), (50, 2.1e-4)], style: .points, color: "#2ca02c"),
            ])
    }

    @Test("well-formed XML with the title, axis labels, legend and one element per series")
    func structure() throws {
        let svg = chart().render()
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = SVGCollector()
        parser.delegate = collector
        #expect(parser.parse(), "the SVG must be well-formed XML")
        #expect(collector.elements["polyline"] == 2)
        #expect(collector.elements["circle"] == 2 + 1)  // two data points and one legend marker
        for label in ["Key rate <decoy & GLLP>", "Distance (km)", "Key rate (bits/pulse)", "decoy", "GLLP", "simulated"] {
            #expect(collector.text.contains(label), "missing \(label)")
        }
    }

    @Test("log axis: one tick per decade from 10⁻⁷ to 10⁻², zero values dropped")
    func logTicks() throws {
        let svg = chart().render()
        for exponent in -7 ... -2 {
            #expect(svg.contains(">\(exponent)</tspan>"), "missing decade 10^\(exponent)")
        }
        #expect(!svg.contains(">-8</tspan>") && !svg.contains(">-1</tspan>"))
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test("nice linear ranges cover the data with round steps")
    func niceRange() {
        let r = SVGChart.niceRange(min: 0, max: 143)
        #expect(r.lo == 0 && r.hi >= 143)
        #expect(r.ticks.count >= 4 && r.ticks.count <= 10)
        #expect(r.ticks.contains(100))
    }
}
