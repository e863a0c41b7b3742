extension YAMLScalar {
    /// The source position of the character at `offset` in `text`, where
    /// `offset` counts Unicode scalars. `offset == text.unicodeScalars.count`
    /// gives the position just past the last character. Out-of-range offsets are
    /// clamped.
    ///
    /// Exact for plain scalars (single- and multi-line), single-quoted
    /// scalars, double-quoted scalars (escapes map to their backslash) and
    /// literal `|` block scalars. Folded `>` scalars map each character to a
    /// matching source character where one exists, falling back to the nearest
    /// known position; this never fails.
    public func mark(atOffset offset: Int) -> YAMLMark {
        let value = Array(text.unicodeScalars)
        guard let source else {
            // Built in code: assume one line.
            let clamped = max(0, min(offset, value.count))
            return YAMLMark(line: sourceStart.line, column: sourceStart.column + clamped)
        }
        let src = Array(source.unicodeScalars)
        let map = SourceAligner.align(value: value, source: src, style: style)
        let clamped = max(0, min(offset, value.count))
        if clamped < value.count, let j = map[clamped] {
            return SourceAligner.position(of: j, in: src, start: sourceStart)
        }
        // Past the end or unmapped: nearest known position before it.
        var k = min(clamped, value.count) - 1
        while k >= 0 {
            if let j = map[k] {
                var m = SourceAligner.position(of: j, in: src, start: sourceStart)
                m.column += clamped - k
                return m
            }
            k -= 1
        }
        // Nothing before it is known: the first known position after it.
        var n = clamped
        while n < value.count {
            if let j = map[n] { return SourceAligner.position(of: j, in: src, start: sourceStart) }
            n += 1
        }
        let opening = (style == .singleQuoted || style == .doubleQuoted) ? 1 : 0
        return YAMLMark(line: sourceStart.line, column: sourceStart.column + opening)
    }
}

/// Aligns the characters of a scalar's value with the characters of its raw
/// source, undoing indentation, quoting, escaping and line folding.
enum SourceAligner {
    static func isBreak(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A, 0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }

    /// Position of `src[index]`, walking from `start` and counting line breaks
    /// the way libyaml does (CR LF is one break).
    static func position(of index: Int, in src: [Unicode.Scalar], start: YAMLMark) -> YAMLMark {
        var line = start.line
        var column = start.column
        var i = 0
        let end = min(index, src.count)
        while i < end {
            let c = src[i]
            if c == "\r", i + 1 < src.count, src[i + 1] == "\n" {
                if i + 1 == end { return YAMLMark(line: line, column: column + 1) }
                i += 2
                line += 1
                column = 1
                continue
            }
            if isBreak(c) {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += 1
        }
        return YAMLMark(line: line, column: column)
    }

    /// For each value index, the source index it came from (nil when unknown).
    static func align(value: [Unicode.Scalar], source src: [Unicode.Scalar], style: YAMLScalarStyle) -> [Int?] {
        switch style {
        case .plain:
            return greedy(value: value, src: src, from: 0, style: style)
        case .singleQuoted, .doubleQuoted:
            return greedy(value: value, src: src, from: 1, style: style)
        case .folded:
            return greedy(value: value, src: src, from: afterHeader(src), style: style)
        case .literal:
            return literal(value: value, src: src)
        }
    }

    /// Index just after a block scalar's header line (`|-2  # comment\n`).
    static func afterHeader(_ src: [Unicode.Scalar]) -> Int {
        var i = 0
        while i < src.count, !isBreak(src[i]) { i += 1 }
        if i < src.count {
            if src[i] == "\r", i + 1 < src.count, src[i + 1] == "\n" { i += 1 }
            i += 1
        }
        return i
    }

    /// Literal block scalars keep every content line verbatim after removing
    /// the block's indentation, so line k of the value is a suffix of content
    /// line k of the source.
    static func literal(value: [Unicode.Scalar], src: [Unicode.Scalar]) -> [Int?] {
        var map = [Int?](repeating: nil, count: value.count)
        var p = afterHeader(src)
        var v = 0
        while v < value.count, p <= src.count {
            var valueEnd = v
            while valueEnd < value.count, value[valueEnd] != "\n" { valueEnd += 1 }
            var lineEnd = p
            while lineEnd < src.count, !isBreak(src[lineEnd]) { lineEnd += 1 }
            let indent = max(0, (lineEnd - p) - (valueEnd - v))
            var k = v
            while k < valueEnd {
                let j = p + indent + (k - v)
                map[k] = j < src.count ? j : nil
                k += 1
            }
            if valueEnd < value.count {
                // The value's "\n" comes from this line's break.
                map[valueEnd] = lineEnd < src.count ? lineEnd : nil
            }
            v = valueEnd + 1
            if lineEnd >= src.count { break }
            p = lineEnd + ((src[lineEnd] == "\r" && lineEnd + 1 < src.count && src[lineEnd + 1] == "\n") ? 2 : 1)
        }
        return map
    }

    /// Length of the escape sequence starting at the backslash `src[p]`.
    static func escapeLength(_ src: [Unicode.Scalar], _ p: Int) -> Int {
        guard p + 1 < src.count else { return 1 }
        switch src[p + 1] {
        case "x": return 4
        case "u": return 6
        case "U": return 10
        default: return 2
        }
    }

    /// Walks value and source together: equal characters pair up; source
    /// whitespace and line breaks the value folded away are skipped; quotes
    /// and escapes consume their whole source spelling.
    static func greedy(value: [Unicode.Scalar], src: [Unicode.Scalar], from start: Int, style: YAMLScalarStyle) -> [Int?] {
        var map = [Int?](repeating: nil, count: value.count)
        var p = start
        var i = 0
        while i < value.count, p < src.count {
            let v = value[i]
            let c = src[p]
            if style == .doubleQuoted, c == "\\" {
                if p + 1 < src.count, isBreak(src[p + 1]) {
                    // Escaped line break: joins lines, produces nothing.
                    p += 2
                    if src[p - 1] == "\r", p < src.count, src[p] == "\n" { p += 1 }
                    while p < src.count, isBlank(src[p]) { p += 1 }
                    continue
                }
                map[i] = p
                p += escapeLength(src, p)
                i += 1
                continue
            }
            if style == .singleQuoted, c == "'", p + 1 < src.count, src[p + 1] == "'" {
                map[i] = p
                p += 2
                i += 1
                continue
            }
            if c == v {
                map[i] = p
                p += 1
                i += 1
                continue
            }
            if v == " ", isBreak(c) {
                // A line fold: the space stands for the break.
                map[i] = p
                p += (c == "\r" && p + 1 < src.count && src[p + 1] == "\n") ? 2 : 1
                i += 1
                continue
            }
            if isBlank(c) || isBreak(c) {
                p += 1
                continue
            }
            // Unexpected: keep going in step so later characters stay close.
            map[i] = p
            p += 1
            i += 1
        }
        return map
    }
}
