/// Text made safe for XML, SVG and HTML: the five markup characters escaped, and the control
/// characters XML 1.0 forbids replaced by spaces (tab, newline and carriage return stay).
package enum MarkupText {
    package static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case _ where ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r": out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
