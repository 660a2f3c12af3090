import Foundation

/// One data series of an ``SVGChart``.
package struct ChartSeries: Sendable {
    package enum Style: Sendable { case line, points, dashedLine }
    package var name: String
    package var points: [(x: Double, y: Double)]
    package var style: Style
    /// A CSS colour.
    package var color: String

    package init(name: String, points: [(x: Double, y: Double)], style: Style, color: String) {
        self.name = name
        self.points = points
        self.style = style
        self.color = color
    }
}

/// A self-contained SVG line/scatter chart with labelled axes, tick marks, a legend and an
/// optional logarithmic y axis. No scripts, no external fonts: it opens in any browser and
/// embeds in an HTML report.
package struct SVGChart: Sendable {
    /// Where the legend goes.
    package enum LegendPlacement: Sendable {
        /// Top right inside the plot, on a white card (fine for curves, which rarely run there).
        case insideTopRight
        /// In a row between the title and the plot, where it can cover no data.
        case above
    }

    package var title: String
    package var xLabel: String
    package var yLabel: String
    package var logarithmicY: Bool
    package var series: [ChartSeries]
    package var width = 800.0
    package var height = 520.0
    /// A linear y axis reaches down to 0 (right for rates and counts; wrong for data far from 0,
    /// which it flattens into a line at the top).
    package var linearYFromZero = true
    /// Widen both axes by this fraction of the data's span on each side, so points at the
    /// extremes are drawn whole instead of cut by the frame.
    package var padding = 0.0
    /// Categorical x axis: point x = 1 is `categories[0]` and so on; each tick is labelled with
    /// its category (slanted), so the chart needs no lookup table.
    package var categories: [String]?
    package var legend = LegendPlacement.insideTopRight

    package init(title: String, xLabel: String, yLabel: String, logarithmicY: Bool, series: [ChartSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logarithmicY = logarithmicY
        self.series = series
    }

    /// The chart as an SVG document.
    package func render() -> String {
        // Slanted category labels need room below the axis: about 5.8 px per 11-px character at 40°.
        let slant = 40.0 * Double.pi / 180
        let categoryDepth = categories.map { c in Double(c.map(\.count).max() ?? 0) * 5.8 * sin(slant) + 10 } ?? 0
        let legendRow = legend == .above && !series.isEmpty ? 26.0 : 0
        let left = 90.0, right = 30.0, top = 50.0 + legendRow, bottom = 70.0 + categoryDepth
        let height = self.height + categoryDepth + legendRow
        let plotW = width - left - right, plotH = height - top - bottom
        let usable = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logarithmicY || $0.y > 0) }
        let xs = usable.map(\.x), ys = usable.map(\.y)
        func padded(_ lo: Double, _ hi: Double) -> (Double, Double) {
            let pad = padding * (hi > lo ? hi - lo : max(1, abs(hi)))
            return (lo - pad, hi + pad)
        }
        let xRange: (lo: Double, hi: Double, ticks: [Double])
        if let categories {
            xRange = (0.5, Double(max(1, categories.count)) + 0.5, categories.indices.map { Double($0 + 1) })
        } else {
            let (lo, hi) = padded(xs.min() ?? 0, xs.max() ?? 1)
            xRange = Self.niceRange(min: lo, max: hi)
        }
        let yRange: (lo: Double, hi: Double, ticks: [Double])
        if logarithmicY {
            let lo = floor(log10(ys.min() ?? 1e-6)), hi = ceil(log10(ys.max() ?? 1))
            let top = hi > lo ? hi : lo + 1
            yRange = (lo, top, stride(from: lo, through: top, by: 1).map { $0 })
        } else {
            var (lo, hi) = padded(linearYFromZero ? min(0, ys.min() ?? 0) : ys.min() ?? 0, ys.max() ?? 1)
            // An axis from 0 stays at 0 for data that cannot go below it (rates, QBERs).
            if linearYFromZero && (ys.min() ?? 0) >= 0 { lo = 0 }
            let r = Self.niceRange(min: lo, max: hi)
            yRange = (r.lo, r.hi, r.ticks)
        }
        func px(_ x: Double) -> Double { left + (x - xRange.lo) / (xRange.hi - xRange.lo) * plotW }
        func py(_ y: Double) -> Double {
            let v = logarithmicY ? log10(y) : y
            return top + plotH - (v - yRange.lo) / (yRange.hi - yRange.lo) * plotH
        }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">
        <title>\(Self.escape(title))</title>
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
        <text x="\(f(width / 2))" y="28" text-anchor="middle" font-size="17" font-weight="bold">\(Self.escape(title))</text>

        """
        // Grid, ticks and tick labels.
        for t in xRange.ticks {
            let x = px(t)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH))\" stroke=\"#e4e4e4\"/>\n"
            if let categories, let i = Int(exactly: t), categories.indices.contains(i - 1) {
                out += "<text transform=\"translate(\(f(x + 4)) \(f(top + plotH + 14))) rotate(-40)\" text-anchor=\"end\" font-size=\"11\">\(Self.escape(categories[i - 1]))</text>\n"
            } else {
                out += "<text x=\"\(f(x))\" y=\"\(f(top + plotH + 20))\" text-anchor=\"middle\">\(Self.label(t))</text>\n"
            }
        }
        for t in yRange.ticks {
            let y = top + plotH - (t - yRange.lo) / (yRange.hi - yRange.lo) * plotH
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y))\" stroke=\"#e4e4e4\"/>\n"
            let text = logarithmicY ? "10<tspan dy=\"-6\" font-size=\"10\">\(Int(t))</tspan>" : Self.label(t)
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(text)</text>\n"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 22))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        out += "<text transform=\"translate(22 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"

        // Data. Lines are clipped to the plot area; points are not, since the axes cover them
        // and a point on the frame is drawn whole rather than cut in half.
        // The clip path's ID is unique per chart: an HTML page with two charts must not clip the
        // second with the first's plot area (IDs are document-wide).
        let clipID = "plot-" + String(title.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.prefix(40).map(Character.init))
            + "-\(Int(width))x\(Int(height))"
        out += "<clipPath id=\"\(clipID)\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\"/></clipPath>\n"
        var markers = ""
        out += "<g clip-path=\"url(#\(clipID))\">\n"
        for s in series {
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logarithmicY || $0.y > 0) }
            switch s.style {
            case .line, .dashedLine:
                guard pts.count > 1 else { continue }
                let path = pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                let dash = s.style == .dashedLine ? " stroke-dasharray=\"7 5\"" : ""
                out += "<polyline class=\"series\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2.2\"\(dash) points=\"\(path)\"><title>\(Self.escape(s.name))</title></polyline>\n"
            case .points:
                for p in pts {
                    let at = categories.flatMap { c in c.indices.contains(Int(p.x.rounded()) - 1) ? c[Int(p.x.rounded()) - 1] : nil } ?? "x = \(Self.label(p.x))"
                    markers += "<circle class=\"point\" cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"5\" fill=\"\(s.color)\" stroke=\"white\"><title>\(Self.escape(s.name)): \(Self.escape(at)), y = \(String(format: "%.3g", p.y))</title></circle>\n"
                }
            }
        }
        out += "</g>\n" + markers

        // Legend: top right inside the plot on a white card so curves behind it stay legible, or
        // in a row above the plot.
        let legendWidth = 32 + 7.2 * Double(series.map(\.name.count).max() ?? 0) + 12
        var lx = left + plotW - legendWidth - 8
        var ly = top + 20
        if legend == .insideTopRight {
            out += "<rect x=\"\(f(lx - 8))\" y=\"\(f(top + 6))\" width=\"\(f(legendWidth))\" height=\"\(f(Double(series.count) * 20 + 8))\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#ccc\"/>\n"
        } else {
            lx = left
            ly = top - 12
        }
        for s in series {
            switch s.style {
            case .points:
                out += "<circle cx=\"\(f(lx + 12))\" cy=\"\(f(ly - 4))\" r=\"5\" fill=\"\(s.color)\"/>\n"
            case .line, .dashedLine:
                let dash = s.style == .dashedLine ? " stroke-dasharray=\"7 5\"" : ""
                out += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly - 4))\" stroke=\"\(s.color)\" stroke-width=\"2.2\"\(dash)/>\n"
            }
            out += "<text x=\"\(f(lx + 32))\" y=\"\(f(ly))\">\(Self.escape(s.name))</text>\n"
            if legend == .above { lx += 32 + 7.2 * Double(s.name.count) + 24 } else { ly += 20 }
        }
        out += "</svg>\n"
        return out
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// A range widened to round numbers, with 4 to 10 ticks.
    static func niceRange(min lo: Double, max hi: Double) -> (lo: Double, hi: Double, ticks: [Double]) {
        let span = hi > lo ? hi - lo : max(1, abs(hi))
        let raw = span / 6
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { span / $0 <= 8 } ?? 10 * magnitude
        let start = floor(lo / step) * step
        var end = ceil(hi / step) * step
        if end <= start { end = start + step }
        return (start, end, stride(from: start, through: end + step / 2, by: step).map { $0 })
    }

    static func label(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%g", v)
    }

    static func escape(_ s: String) -> String { MarkupText.escape(s) }
}
