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
        render(d, lines: source.map(LineIndex.init), colour: colour)
    }

    /// Every diagnostic, each file's lines found once (5,000 problems in one
    /// file are rendered in one pass over it, not one pass each).
    public static func renderAll(
        _ diagnostics: [PolicyDiagnostic], sources: [String: [UInt8]], colour: Bool = false
    ) -> String {
        var indexes: [String: LineIndex] = [:]
        var out = ""
        for d in diagnostics {
            var lines: LineIndex?
            if d.line > 0, let source = sources[d.file] {
                lines = indexes[d.file] ?? LineIndex(source)
                indexes[d.file] = lines
            }
            out += render(d, lines: lines, colour: colour)
        }
        return out
    }

    /// The most characters of a source line shown under a diagnostic: a
    /// longer line is cut to a window around the place, marked with `…`.
    static let maxShown = 120

    static func render(_ d: PolicyDiagnostic, lines: LineIndex?, colour: Bool) -> String {
        let c = Palette(d, colour: colour)
        let head = "\(c.severity)\(d.severity.rawValue)\(c.reset)\(c.bold): \(d.message) [\(d.code)]\(c.reset)\n"
        let helpLine = d.help.map { "   \(c.help)help:\(c.reset) \($0)\n" } ?? ""
        guard d.line > 0 else {
            return "\(c.bold)\(d.file):\(c.reset) " + head + helpLine
        }
        var out = "\(c.bold)\(d.file):\(d.line):\(d.column):\(c.reset) " + head
        if let text = lines?.line(d.line) {
            var shown = text
            var column = d.column
            var length = d.length
            var caret = plainLine(text, column: column, length: length)
            if caret == nil {
                // Characters a terminal cannot show become `�`; a long line (an
                // 8 MB expression) is shown as a window around the place.
                var scalars = Array(text.unicodeScalars).map(printable)
                var prefix = "", suffix = ""
                if scalars.count > maxShown {
                    let start = max(0, min(column - 1 - maxShown / 3, scalars.count - maxShown))
                    let end = min(scalars.count, start + maxShown)
                    if start > 0 { prefix = "…" }
                    if end < scalars.count { suffix = "…" }
                    scalars = Array(scalars[start..<end])
                    column = column - start + (prefix.isEmpty ? 0 : 1)
                    length = min(length, end - (d.column - 1))
                }
                shown = prefix + String(String.UnicodeScalarView(scalars)) + suffix
                caret = caretLine(shown.unicodeScalars, column: column, length: length)
            }
            if let caret { out += "   \(shown)\n   \(caret.pad)\(c.caret)\(caret.marks)\(c.reset)\n" }
        }
        return out + helpLine
    }

    /// The caret line for a short line of printable characters (nearly every
    /// line of a policy), in one pass over its scalars: a check that reports
    /// 100,000 problems renders them without copying each line three times.
    /// Nil for a line that needs the general path (too long, or with
    /// characters shown as `�`).
    static func plainLine(_ text: String, column: Int, length: Int) -> (pad: String, marks: String)? {
        var count = 0
        for s in text.unicodeScalars {
            guard printable(s) == s, count < maxShown else { return nil }
            count += 1
        }
        return caretLine(text.unicodeScalars, column: column, length: length)
    }

    /// The line under a shown line: its characters before `column` as blanks
    /// (tabs kept, a wide blank under a wide character, so the caret lines
    /// up), then `^` and `~` (`～` under a wide character) for `length`
    /// characters, clipped at the line's end.
    static func caretLine<S: Sequence>(_ scalars: S, column: Int, length: Int) -> (pad: String, marks: String)
    where S.Element == Unicode.Scalar {
        var pad: [UInt8] = []
        var marks: [UInt8] = [UInt8(ascii: "^")]
        for (count, s) in scalars.enumerated() {
            let wide = s.value >= 0x1100 && isWide(s)
            if count < column - 1 {
                if s == "\t" { pad.append(0x09) } else if wide { pad += [0xE3, 0x80, 0x80] } else { pad.append(0x20) }
            } else if count > column - 1, count - (column - 1) < length {
                if wide { marks += [0xEF, 0xBD, 0x9E] } else { marks.append(UInt8(ascii: "~")) }
            } else if count >= column - 1 + length {
                break
            }
        }
        return (String(decoding: pad, as: UTF8.self), String(decoding: marks, as: UTF8.self))
    }

    /// What a terminal can show in one column: control characters (a NUL in
    /// a UTF-16 file, an escape) become `�`, so that no byte of a file is
    /// sent to the terminal raw.
    static func printable(_ s: Unicode.Scalar) -> Unicode.Scalar {
        switch s.value {
        case 0x09: return s
        case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029: return "\u{FFFD}"
        default: return s
        }
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
        LineIndex(source).line(line)
    }
}

/// Where each line of a file starts, found once.
struct LineIndex {
    let source: [UInt8]
    let starts: [Int]

    init(_ source: [UInt8]) {
        self.source = source
        var starts = [0]
        for (i, b) in source.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.starts = starts
    }

    /// Line `n` (1-based) without its line end, decoded as UTF-8 (invalid bytes as `�`).
    func line(_ n: Int) -> String? {
        guard n >= 1, n <= starts.count else { return nil }
        let start = starts[n - 1]
        var end = n < starts.count ? starts[n] - 1 : source.count
        if end > start, source[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard start <= end else { return nil }
        return String(decoding: source[start..<end], as: UTF8.self)
    }
}

