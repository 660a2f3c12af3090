import Foundation
import Reports

/// The acceptance curve a buyer wants to see: the fraction of frames a stack aborted at each true
/// QBER the sweep case drove it to, beside the threshold it declares.
enum AcceptanceCurveChart {
    /// The chart of every result that measured a curve (`curve_qber_i`, `curve_aborted_i`), or nil.
    static func render(_ report: RunReport) -> String? {
        var sections: [String] = []
        for r in report.results {
            var points: [(x: Double, y: Double)] = []
            for i in 0..<32 {
                guard let q = r.measurements["curve_qber_\(i)"], let a = r.measurements["curve_aborted_\(i)"] else { continue }
                points.append((100 * q, 100 * a))
            }
            guard !points.isEmpty else { continue }
            var series = [ChartSeries(name: "frames aborted", points: points, style: .line, color: "#1f77b4")]
            if let t = r.measurements["threshold"] {
                series.append(ChartSeries(name: "declared threshold", points: [(100 * t, 0), (100 * t, 100)], style: .dashedLine, color: "#d62728"))
            }
            let chart = SVGChart(title: "Acceptance curve: frames aborted against the true QBER", xLabel: "true QBER (%)",
                                 yLabel: "frames aborted (%)", logarithmicY: false, series: series)
            sections.append(chart.render())
        }
        return sections.isEmpty ? nil : sections.joined(separator: "\n")
    }
}
