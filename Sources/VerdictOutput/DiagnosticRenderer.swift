import VerdictJSONWriter
import VerdictModel

/// Renders diagnostics as `file:line:column: error: message [CODE]`, then the source
/// line and a caret under the problem, then an optional `help:` line.
public enum DiagnosticRenderer {
    /// ANSI colours for a terminal: bold location, red errors, yellow warnings,
    /// a coloured caret, cyan help. The words are the same with or without.
    struct Palette {
        var bold = "", severity = "", caret = "", help = "", reset = ""

        init(_ d: PolicyDiagnostic, colour: Bool) {
            guard colour else { return }
            bold = "\u{1B}[1m"
            switch d.severity {
            case .error: (severity, caret) = ("\u{1B}[1;31m", "\u{1B}[31m")
            case .warning: (severity, caret) = ("\u{1B}[1;33m", "\u{1B}[33m")
            case .note: (severity, caret) = ("\u{1B}[1;36m", "\u{1B}[36m")
            }
            help = "\u{1B}[36m"
            reset = "\u{1B}[0m"
        }
    }

    public static func render(_ d: PolicyDiagnostic, source: [UInt8]?, colour: Bool = false) -> String {
        let c = Palette(d, colour: colour)
        let head = "\(c.severity)\(d.severity.rawValue)\(c.reset)\(c.bold): \(d.message) [\(d.code)]\(c.reset)\n"
        let helpLine = d.help.map { "   \(c.help)help:\(c.reset) \($0)\n" } ?? ""
        guard d.line > 0 else {
            return "\(c.bold)\(d.file):\(c.reset) " + head + helpLine
        }
        var out = "\(c.bold)\(d.file):\(d.line):\(d.column):\(c.reset) " + head
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
            out += "   \(text)\n   \(pad)\(c.caret)\(marks)\(c.reset)\n"
        }
        return out + helpLine
    }

    /// One JSON object and a newline, for editors and CI:
    /// `{"code","severity","file","line","column","end_column","message","help"}`;
    /// `line` and `column` are 0 for a problem with a whole file; `help` is null when there is none.
    public static func json(_ d: PolicyDiagnostic) -> String {
        var w = JSONWriter(capacity: 256)
        w.raw("{\"code\":")
        w.string(d.code.description)
        w.raw(",\"severity\":")
        w.string(d.severity.rawValue)
        w.raw(",\"file\":")
        w.string(d.file)
        w.raw(",\"line\":")
        w.int(Int64(d.line))
        w.raw(",\"column\":")
        w.int(Int64(d.column))
        w.raw(",\"end_column\":")
        w.int(Int64(d.line > 0 ? d.column + d.length : 0))
        w.raw(",\"message\":")
        w.string(d.message)
        w.raw(",\"help\":")
        if let help = d.help { w.string(help) } else { w.null() }
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
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

