import VerdictModel

/// Renders diagnostics as `file:line:column: error: message [CODE]`, then the source
/// line and a caret under the problem, then an optional `help:` line.
public enum DiagnosticRenderer {
    public static func render(_ d: PolicyDiagnostic, source: [UInt8]?) -> String {
        guard d.line > 0 else {
            return "\(d.file): \(d.severity.rawValue): \(d.message) [\(d.code)]\n"
                + (d.help.map { "   help: \($0)\n" } ?? "")
        }
        var out = "\(d.file):\(d.line):\(d.column): \(d.severity.rawValue): \(d.message) [\(d.code)]\n"
        if let source, let text = lineText(source, line: d.line) {
            let scalars = Array(text.unicodeScalars)
            // Keep tabs so the caret lines up under them.
            var pad = ""
            for (i, s) in scalars.enumerated() where i < d.column - 1 {
                pad.unicodeScalars.append(s == "\t" ? "\t" : (isWide(s) ? "　" : " "))
            }
            let remaining = max(1, min(d.length, scalars.count - (d.column - 1)))
            var marks = "^"
            if remaining > 1 {
                for i in 1..<remaining {
                    let idx = d.column - 1 + i
                    marks += (idx < scalars.count && isWide(scalars[idx])) ? "～" : "~"
                }
            }
            out += "   \(text)\n   \(pad)\(marks)\n"
        }
        if let help = d.help { out += "   help: \(help)\n" }
        return out
    }

    /// East Asian wide characters take two terminal columns; use a full-width
    /// space under them so the caret stays aligned.
    static func isWide(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    static func lineText(_ source: [UInt8], line: Int) -> String? {
        guard line >= 1 else { return nil }
        var current = 1
        var start = 0
        var i = 0
        while i < source.count {
            if current == line { break }
            if source[i] == UInt8(ascii: "\n") {
                current += 1
                start = i + 1
            }
            i += 1
        }
        guard current == line, start <= source.count else { return nil }
        var end = start
        while end < source.count, source[end] != UInt8(ascii: "\n") { end += 1 }
        var slice = source[start..<end]
        if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}

