import Foundation
import Testing
@testable import Reports
#if canImport(FoundationXML)
import FoundationXML
#endif

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

/// The chart options the HTML report's plots use: an axis scaled to the data, padded edges,
/// a categorical axis and a legend that covers no data.
@Suite("SVG chart layout")
struct SVGChartLayoutTests {
    /// The y coordinates of the horizontal grid lines' labels, read back from the SVG.
    static func yTickLabels(_ svg: String) -> [String] {
        svg.components(separatedBy: "text-anchor=\"end\">").dropFirst().compactMap { $0.components(separatedBy: "<").first }
    }

    /// Each data point's centre (`<circle class="point" cx=… cy=…>`).
    static func points(_ svg: String) -> [(x: Double, y: Double)] {
        svg.components(separatedBy: "<circle class=\"point\" cx=\"").dropFirst().compactMap { rest in
            let cx = rest.components(separatedBy: "\"").first.flatMap(Double.init)
            let cy = rest.components(separatedBy: "cy=\"").dropFirst().first?.components(separatedBy: "\"").first.flatMap(Double.init)
            guard let cx, let cy else { return nil }
            return (cx, cy)
        }
    }

    /// Keys of 9 000–10 000 bits against bounds of the same size.
    func keyChart(fromZero: Bool) -> SVGChart {
        var c = SVGChart(title: "lengths", xLabel: "bound", yLabel: "length", logarithmicY: false,
                         series: [ChartSeries(name: "keys", points: [(9000, 9100), (9500, 9400), (10000, 9950)], style: .points, color: "#2ca02c")])
        c.linearYFromZero = fromZero
        c.padding = 0.08
        c.legend = .above
        return c
    }

    @Test("a linear axis scaled to the data: the lowest tick is near the data, not 0, and the points spread over the plot")
    func scaledToData() {
        let flat = keyChart(fromZero: true).render(), scaled = keyChart(fromZero: false).render()
        #expect(Self.yTickLabels(flat).contains("0"))
        #expect(!Self.yTickLabels(scaled).contains("0"))
        let lowest = Self.yTickLabels(scaled).compactMap(Double.init).min() ?? 0
        #expect(lowest >= 8000 && lowest <= 9100, "lowest tick \(lowest)")
        // The plot is 400 px high: from 0, 850 bits of spread are about 30 px; scaled to the
        // data they take most of it.
        let ys = Self.points(scaled).map(\.y)
        #expect((ys.max() ?? 0) - (ys.min() ?? 0) > 150)
    }

    @Test("padding: the points at the extremes lie inside the plot with room for their 5-pixel radius")
    func padded() {
        let svg = keyChart(fromZero: false).render()
        let pts = Self.points(svg)
        #expect(pts.count == 3)
        // Plot area: x from 90 to 770; y from 76 (50 + the 26-pixel legend row) to 476.
        for p in pts {
            #expect(p.x >= 90 + 5 && p.x <= 770 - 5, "x \(p.x)")
            #expect(p.y >= 76 + 5 && p.y <= 476 - 5, "y \(p.y)")
        }
    }

    @Test("legend above the plot: no legend card inside the plot, the legend text above the plot's top edge")
    func legendAbove() {
        let svg = keyChart(fromZero: false).render()
        #expect(!svg.contains("fill-opacity=\"0.9\""), "the inside legend card is gone")
        let legendY = svg.components(separatedBy: "<text x=\"122.0\" y=\"").dropFirst().first?.components(separatedBy: "\"").first.flatMap(Double.init)
        #expect(legendY != nil && legendY! < 76, "legend text at y \(String(describing: legendY))")
    }

    @Test("categorical axis: one tick per category labelled with its name, points at the categories, none on the frame")
    func categories() {
        var c = SVGChart(title: "QBER", xLabel: "case", yLabel: "QBER (%)", logarithmicY: false,
                         series: [ChartSeries(name: "true", points: [(1, 2.5), (2, 30), (3, 4)], style: .points, color: "#1f77b4")])
        c.categories = ["bb84/estimate/qber-consistent", "bb84/abort/qber-above-threshold/intercept-resend", "a<b"]
        let svg = c.render()
        for name in ["bb84/estimate/qber-consistent", "bb84/abort/qber-above-threshold/intercept-resend", "a&lt;b"] {
            #expect(svg.contains(">\(name)</text>"), "no label \(name)")
        }
        let xs = Self.points(svg).map(\.x)
        #expect(xs.count == 3)
        // 680 px for 3 categories from 0.5 to 3.5: 113 px from the frame to the first point.
        #expect(abs(xs[0] - (90 + 680.0 / 6)) < 1 && abs(xs[2] - (770 - 680.0 / 6)) < 1)
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "well-formed")
    }

    @Test("two charts on one page clip with their own plot areas (clip-path IDs are unique per chart)")
    func uniqueClipIDs() {
        let a = keyChart(fromZero: false).render()
        var other = keyChart(fromZero: false)
        other.title = "other"
        let b = other.render()
        func clipID(_ svg: String) -> String? { svg.components(separatedBy: "<clipPath id=\"").dropFirst().first?.components(separatedBy: "\"").first }
        #expect(clipID(a) != nil && clipID(a) != clipID(b))
    }
}
