import Foundation
import ZeroTrip
import ZeroTripDocuments

/// Charts drawn on the server as inline SVG: the pages need no script and the strict CSP no image source. Numbers
/// are formatted here; any text from the district (a department's name) is escaped.
enum Charts {
    /// Applications per month: one labelled bar a month.
    static func monthlyBars(_ months: [VolumeFigures.Month]) -> String {
        guard !months.isEmpty else { return "" }
        let width = 360.0, height = 170.0, top = 18.0, bottom = 24.0
        let peak = max(1, months.map(\.submitted).max() ?? 1)
        let slot = width / Double(months.count)
        var parts = ["<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"近 \(months.count) 个月每月受理件数\" class=\"chart\">"]
        for (index, month) in months.enumerated() {
            let barHeight = (height - top - bottom) * Double(month.submitted) / Double(peak)
            let x = Double(index) * slot + slot * 0.15, y = height - bottom - barHeight
            parts.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#b71c1c\"/>", x, y, slot * 0.7, barHeight))
            parts.append(
                String(
                    format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" fill=\"#333\">%d</text>", x + slot * 0.35, y - 4,
                    month.submitted))
            let label = Int(month.month.suffix(2)) ?? 0
            parts.append(
                String(
                    format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">%d月</text>", x + slot * 0.35,
                    height - 8, label))
        }
        parts.append("</svg>")
        return parts.joined()
    }

    /// One horizontal bar per row, longest for the largest value: the label on the left, the value's text at the
    /// bar's end. `title` names the chart for screen readers.
    static func horizontalBars(_ rows: [(label: String, value: Double, text: String)], title: String) -> String {
        guard !rows.isEmpty else { return "" }
        let width = 400.0, rowHeight = 22.0, labelWidth = 150.0, textWidth = 80.0
        let height = rowHeight * Double(rows.count) + 8
        let peak = max(rows.map(\.value).max() ?? 0, 0.000_001)
        var parts = ["<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(MarkupEscaping.escape(title))\" class=\"chart\">"]
        for (index, row) in rows.enumerated() {
            let y = 4 + Double(index) * rowHeight
            let length = max(0, (width - labelWidth - textWidth) * max(row.value, 0) / peak)
            let label = row.label.count > 12 ? String(row.label.prefix(11)) + "…" : row.label
            parts.append(
                String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" fill=\"#333\">", labelWidth - 6, y + 15)
                    + MarkupEscaping.escape(label) + "</text>")
            parts.append(
                String(
                    format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#b71c1c\"/>", labelWidth, y + 3, length, rowHeight - 8)
            )
            parts.append(
                String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333\">", labelWidth + length + 4, y + 15)
                    + MarkupEscaping.escape(row.text) + "</text>")
        }
        parts.append("</svg>")
        return parts.joined()
    }
}
