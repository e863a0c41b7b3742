import VerdictYAML

/// Turns libyaml's syntax errors about layout into what the owner did:
/// a tab used for indentation, a key indented too far or not far enough
/// (named, with the key it should line up with), a quote left open (reported
/// where it opens, not where libyaml notices, often lines below).
///
/// It reads the file's lines around the problem; when none of its patterns
/// fits, libyaml's own message stands (with `YAMLHints`).
struct YAMLLayout {
    struct Explanation: Equatable {
        var line: Int
        var column: Int
        var length: Int
        var message: String
        var help: String?
    }

    /// Each line of the file as Unicode scalars, without its line break.
    let lines: [[Unicode.Scalar]]

    init(_ bytes: [UInt8]) {
        var out: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if s == "\n" {
                if current.last == "\r" { current.removeLast() }
                out.append(current)
                current = []
            } else {
                current.append(s)
            }
        }
        out.append(current)
        lines = out
    }

    func line(_ n: Int) -> [Unicode.Scalar] { n >= 1 && n <= lines.count ? lines[n - 1] : [] }

    /// Spaces before the first other character.
    func indent(_ n: Int) -> Int { line(n).prefix { $0 == " " }.count }

    func isBlank(_ n: Int) -> Bool {
        let l = line(n).drop { $0 == " " || $0 == "\t" }
        return l.isEmpty || l.first == "#"
    }

    /// `key` and its 1-based column when the line is `  key: …` (or `  - key: …`).
    func key(_ n: Int) -> (name: String, column: Int)? {
        let l = line(n)
        var i = l.prefix { $0 == " " }.count
        if i + 1 < l.count, l[i] == "-", l[i + 1] == " " {
            i += 2
            while i < l.count, l[i] == " " { i += 1 }
        }
        let start = i
        while i < l.count, l[i].properties.isAlphabetic || ("0"..."9").contains(l[i]) || l[i] == "_" || l[i] == "-"
            || l[i] == "."
        {
            i += 1
        }
        guard i > start, i < l.count, l[i] == ":", i + 1 == l.count || l[i + 1] == " " || l[i + 1] == "\t" else {
            return nil
        }
        return (String(String.UnicodeScalarView(l[start..<i])), start + 1)
    }

    /// The nearest non-blank line above `n`.
    func previous(_ n: Int) -> Int? {
        var k = n - 1
        while k >= 1 {
            if !isBlank(k) { return k }
            k -= 1
        }
        return nil
    }

    func explain(_ d: YAMLDiagnostic) -> Explanation? {
        guard d.kind == .syntax else { return nil }
        return tab(d) ?? openQuote(d) ?? misindented(d)
    }

    // MARK: - Tabs

    /// A tab in the indentation of the problem line or a line just above it.
    func tab(_ d: YAMLDiagnostic) -> Explanation? {
        guard d.message.contains("tab") || d.message.contains("cannot start any token") else { return nil }
        for n in stride(from: d.mark.line, through: max(1, d.mark.line - 2), by: -1) {
            let l = line(n)
            let lead = l.prefix { $0 == " " || $0 == "\t" }
            if let t = lead.firstIndex(of: "\t") {
                return Explanation(
                    line: n, column: t + 1, length: 1, message: "a tab indents this line; YAML indents with spaces only",
                    help: "replace the tab with spaces, lining the line up with the keys around it")
            }
        }
        return nil
    }

    // MARK: - Quotes

    /// A quoted value that runs on to another line and ends just before the
    /// problem (or never ends): its opening quote is the mistake.
    func openQuote(_ d: YAMLDiagnostic) -> Explanation? {
        let from = max(1, min(d.context?.line ?? d.mark.line, d.mark.line) - 1, d.mark.line - 60)
        var open: (line: Int, column: Int, quote: Unicode.Scalar)?
        var last: (openLine: Int, openColumn: Int, closeLine: Int, closeColumn: Int)?
        for n in from...d.mark.line {
            let l = line(n)
            var i = 0
            // On the problem line, read only up to the problem.
            let end = n == d.mark.line ? min(l.count, max(0, d.mark.column - 1)) : l.count
            while i < end {
                let c = l[i]
                if let o = open {
                    if o.quote == "\"", c == "\\" {
                        i += 2
                        continue
                    }
                    if c == o.quote {
                        if o.quote == "'", i + 1 < l.count, l[i + 1] == "'" {
                            i += 2
                            continue
                        }
                        last = (o.line, o.column, n, i + 1)
                        open = nil
                    }
                    i += 1
                    continue
                }
                if c == "#", i == 0 || l[i - 1] == " " { break }
                if c == "\"" || c == "'" {
                    // A quote opens a scalar only where a value can start.
                    let before = l[..<i].last { $0 != " " }
                    if before == nil || before == ":" || before == "-" || before == "[" || before == "{"
                        || before == ","
                    {
                        open = (n, i + 1, c)
                    }
                }
                i += 1
            }
        }
        let quoteHelp: (Unicode.Scalar) -> String = { q in
            "close it with `\(q)` at the end of the value: an open quote takes the lines below into the value, so YAML only stumbles further down"
        }
        if let o = open, o.line < d.mark.line {
            return Explanation(
                line: o.line, column: o.column, length: 1, message: "this quote is not closed on its line",
                help: quoteHelp(o.quote))
        }
        if let q = last, q.openLine == q.closeLine, q.closeLine == d.mark.line, d.mark.column - q.closeColumn == 1,
            d.message.hasPrefix("did not find expected ','")
        {
            let text = String(String.UnicodeScalarView(line(q.openLine)[(q.openColumn - 1)..<q.closeColumn]))
            return Explanation(
                line: d.mark.line, column: d.mark.column, length: 1,
                message: "text follows the quoted value \(text) directly",
                help: "check the quotes: each value opens and closes with the same quote, then `,` or the closing bracket follows")
        }
        if let q = last, q.openLine < q.closeLine, q.closeLine == d.mark.line, d.mark.column - q.closeColumn <= 2 {
            let quote = line(q.openLine)[q.openColumn - 1]
            return Explanation(
                line: q.openLine, column: q.openColumn, length: 1, message: "this quote is not closed on its line",
                help: quoteHelp(quote))
        }
        return nil
    }

    // MARK: - Indentation

    func misindented(_ d: YAMLDiagnostic) -> Explanation? {
        let n = d.mark.line
        guard let k = key(n) else { return nil }
        if d.message.hasPrefix("did not find expected key"), let start = d.context, start.line < n {
            // A key between the levels of a block mapping.
            let expected = start.column - 1
            let actual = indent(n)
            guard actual != expected else { return nil }
            let keys = stride(from: n - 1, through: start.line, by: -1).filter { key($0) != nil }
            let sibling = keys.first { indent($0) == expected }.flatMap(key)?.name ?? "the keys above"
            let spaces = "\(actual) space\(actual == 1 ? "" : "s")"
            // The key just above, deeper than this one: it probably belongs with it.
            if let q = keys.first, indent(q) > actual, let deeper = key(q) {
                return Explanation(
                    line: n, column: k.column, length: k.name.unicodeScalars.count,
                    message: "`\(k.name):` is indented \(spaces): neither with `\(deeper.name):` above it (\(indent(q))) nor with `\(sibling):` (\(expected))",
                    help: "line `\(k.name):` up with `\(deeper.name):` (\(indent(q)) spaces) if it belongs beside it, or with `\(sibling):` (\(expected) spaces)")
            }
            return Explanation(
                line: n, column: k.column, length: k.name.unicodeScalars.count,
                message: "`\(k.name):` is indented \(spaces), but the keys of this mapping (`\(sibling):`) are indented \(expected)",
                help: "line `\(k.name):` up with `\(sibling):` (\(expected) spaces)")
        }
        if d.message.hasPrefix("mapping values are not allowed"), d.mark.column == k.column + k.name.unicodeScalars.count,
            let q = previous(n), indent(q) < indent(n), let above = key(q)
        {
            // The key above, with its value on its own line, and this key deeper:
            // either this line is indented too far, or the line above too little.
            if let r = previous(q), indent(r) == indent(n), let before = key(r) {
                return Explanation(
                    line: q, column: above.column, length: above.name.unicodeScalars.count,
                    message: "`\(above.name):` is indented \(indent(q)) spaces, less than `\(before.name):` above it and `\(k.name):` below it (\(indent(n)))",
                    help: "line `\(above.name):` up with `\(before.name):` (\(indent(n)) spaces)")
            }
            return Explanation(
                line: n, column: k.column, length: k.name.unicodeScalars.count,
                message: "`\(k.name):` is indented deeper than `\(above.name):` above it, so YAML reads it as part of that value",
                help: "line `\(k.name):` up with `\(above.name):` (\(indent(q)) spaces)")
        }
        return nil
    }
}
