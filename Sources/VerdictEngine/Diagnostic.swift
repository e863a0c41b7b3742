/// A problem found while loading or checking policies: a value, kept apart
/// from its rendering (see `DiagnosticRenderer`).
public struct PolicyDiagnostic: Error, Hashable, Sendable, Comparable {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    /// Path of the policy file as given (relative to the working directory when the caller passed a relative one).
    public var file: String
    /// 1-based line; 0 for a problem with a whole file or folder (no position).
    public var line: Int
    /// 1-based column, counted in Unicode scalars (characters as libyaml counts them).
    public var column: Int
    /// How many scalars the caret underlines (at least 1).
    public var length: Int
    public var severity: Severity
    /// One line, lowercase, user text in backticks.
    public var message: String
    /// An optional hint, e.g. "did you mean `installed_on`?".
    public var help: String?

    public init(
        file: String, line: Int, column: Int, length: Int = 1, severity: Severity = .error,
        message: String, help: String? = nil
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.length = max(1, length)
        self.severity = severity
        self.message = message
        self.help = help
    }

    public static func < (a: PolicyDiagnostic, b: PolicyDiagnostic) -> Bool {
        (a.file, a.line, a.column, a.message) < (b.file, b.line, b.column, b.message)
    }
}

/// Every problem found, sorted by file and position; never empty when thrown.
public struct PolicyLoadError: Error, Sendable {
    public var diagnostics: [PolicyDiagnostic]
    /// The text of each file that was read, to render source lines with a caret.
    public var sources: [String: [UInt8]]
}

/// Renders diagnostics as `file:line:column: error: message`, then the source
/// line and a caret under the problem, then an optional `help:` line.
public enum DiagnosticRenderer {
    public static func render(_ d: PolicyDiagnostic, source: [UInt8]?) -> String {
        guard d.line > 0 else {
            return "\(d.file): \(d.severity.rawValue): \(d.message)\n" + (d.help.map { "   help: \($0)\n" } ?? "")
        }
        var out = "\(d.file):\(d.line):\(d.column): \(d.severity.rawValue): \(d.message)\n"
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

/// "did you mean" over a set of candidate names (Levenshtein distance, case-insensitive).
enum Suggest {
    static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(name.lowercased().unicodeScalars)
        var best: (String, Int)?
        for c in candidates {
            let d = distance(target, Array(c.lowercased().unicodeScalars))
            let limit = max(1, min(3, (max(target.count, c.unicodeScalars.count) + 2) / 3))
            guard d <= limit else { continue }
            if let (bestName, bestDistance) = best, bestDistance < d || (bestDistance == d && bestName <= c) {
                continue
            }
            best = (c, d)
        }
        return best?.0
    }

    static func help(for name: String, in candidates: some Sequence<String>) -> String? {
        closest(to: name, in: candidates).map { "did you mean `\($0)`?" }
    }

    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
