// Name and type facts other modules share with the expression language, so
// that each is written once: "did you mean", reserved words, assignability,
// and the whitespace rule of policy digests.

/// "did you mean `x`?" over a set of candidate names: the closest one within a
/// small edit distance (optimal string alignment: insertions, deletions,
/// substitutions and swaps of two neighbours, so `lable` is one edit from
/// `label`; case-insensitive); ties go to the name that sorts first.
public enum Suggest {
    /// The closest candidate, or nil when none is close enough. With
    /// `lastSegment`, a dotted candidate (`unit.installed_on`) also matches on
    /// its last segment (`installed_on`).
    public static func closest(
        to name: String, in candidates: some Sequence<String>, lastSegment: Bool = false
    ) -> String? {
        let target = Array(name.lowercased().unicodeScalars)
        var best: (name: String, distance: Int)?
        for c in candidates where c != name {
            // At most 3 edits: a name much longer or shorter cannot be close
            // (cheap to rule out before the distance, for long candidate lists).
            if !lastSegment, abs(c.utf8.count - name.utf8.count) > 3 * 4 { continue }
            let lowered = c.lowercased()
            var d = distance(target, Array(lowered.unicodeScalars))
            var length = c.unicodeScalars.count
            if lastSegment, !name.contains("."), let dot = lowered.lastIndex(of: ".") {
                let tail = Array(lowered[lowered.index(after: dot)...].unicodeScalars)
                let t = distance(target, tail)
                if t < d {
                    d = t
                    length = tail.count
                }
            }
            let limit = max(1, min(3, (max(target.count, length) + 2) / 3))
            // Replacing every character is no suggestion (`z` for `x`).
            guard d <= limit, d < max(target.count, length) else { continue }
            if let b = best, b.distance < d || (b.distance == d && b.name <= c) { continue }
            best = (c, d)
        }
        return best?.name
    }

    /// The names that can be close to `name` (within the edit limit of
    /// `closest`), found by length in an index built once: suggesting for
    /// 5,000 undeclared names among 5,000 declared ones stays linear.
    public final class Index: Sendable {
        let names: [String]
        /// Indices into `names` by length in scalars (the array's index): of
        /// the whole name, and of its last dotted segment.
        let byLength: [[Int]]
        let byTailLength: [[Int]]

        /// One pass over each name's scalars, buckets in arrays: a policy's
        /// compile indexes every declared name, and finding the dot by
        /// grapheme clusters, with buckets in dictionaries, took a tenth of
        /// the time of compiling its expressions.
        public init(_ names: [String]) {
            self.names = names
            var byLength: [[Int]] = []
            var byTailLength: [[Int]] = []
            func add(_ i: Int, at length: Int, to buckets: inout [[Int]]) {
                if buckets.count <= length { buckets += Array(repeating: [], count: length + 1 - buckets.count) }
                buckets[length].append(i)
            }
            for (i, n) in names.enumerated() {
                var length = 0
                var tail = -1
                for scalar in n.unicodeScalars {
                    length += 1
                    tail = scalar == "." ? 0 : (tail >= 0 ? tail + 1 : tail)
                }
                add(i, at: length, to: &byLength)
                if tail >= 0 { add(i, at: tail, to: &byTailLength) }
            }
            self.byLength = byLength
            self.byTailLength = byTailLength
        }

        /// The candidates whose length (or, with `lastSegment`, last segment's) is within 3 of `name`'s.
        public func near(_ name: String, lastSegment: Bool) -> [String] {
            let n = name.unicodeScalars.count
            var out = Set<Int>()
            for l in max(0, n - 3)...(n + 3) {
                if l < byLength.count { out.formUnion(byLength[l]) }
                if lastSegment, l < byTailLength.count { out.formUnion(byTailLength[l]) }
            }
            return out.sorted().map { names[$0] }
        }
    }

    /// `did you mean `x`?`, or nil.
    public static func help(
        for name: String, in candidates: some Sequence<String>, lastSegment: Bool = false
    ) -> String? {
        closest(to: name, in: candidates, lastSegment: lastSegment).map { "did you mean `\($0)`?" }
    }

    public static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                var d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, before[j - 2] + 1) }
                cur[j] = d
            }
            (before, prev, cur) = (prev, cur, before)
        }
        return prev[b.count]
    }
}

/// Names an expression cannot use for a variable.
public enum CELNames {
    /// The literals `true`, `false`, `null` and CEL's reserved words (`in`, `as`, `if`, …).
    public static let reserved: Set<String> = reservedWords.union(["true", "false", "null"])

    public static func isReserved(_ name: String) -> Bool { reserved.contains(name) }
}

extension CELType {
    /// Whether a value of static type `actual` may stand where `expected` is
    /// wanted: equal types, `dyn` on either side, element-wise for lists and maps.
    public static func isAssignable(_ actual: CELType, to expected: CELType) -> Bool {
        if actual == .dyn || expected == .dyn { return true }
        switch (actual, expected) {
        case (.list(let x), .list(let y)): return isAssignable(x, to: y)
        case (.map(let k1, let v1), .map(let k2, let v2)): return isAssignable(k1, to: k2) && isAssignable(v1, to: v2)
        default: return actual == expected
        }
    }

    /// True when the type leaves something to run time (`dyn` anywhere inside).
    public var containsDyn: Bool {
        switch self {
        case .dyn: return true
        case .list(let e): return e.containsDyn
        case .map(let k, let v): return k.containsDyn || v.containsDyn
        default: return false
        }
    }
}

extension CELValue {
    /// Whether a run-time value is of the static type: the check behind a
    /// result the checker could not prove (an expression of type `dyn`).
    public func conforms(to type: CELType) -> Bool {
        switch (self, type) {
        case (_, .dyn): return true
        case (.bool, .bool), (.int, .int), (.double, .double), (.string, .string), (.date, .date),
            (.timestamp, .timestamp), (.null, .null):
            return true
        case (.list(let items), .list(let e)): return items.allSatisfy { $0.conforms(to: e) }
        case (.map, .map): return true
        default: return false
        }
    }
}

/// Expression text with layout taken out, for digests: outside string
/// literals, comments (`// …` to the end of the line) and every run of
/// whitespace become one space, and none is left at either end. String
/// literals (`'…'`, `"…"`, `'''…'''`, `"""…"""`, with an optional `r`/`b`
/// prefix) are kept exactly as written. docs/digest.md states the same rule.
public enum CELSourceText {
    public static func collapsingWhitespace(_ source: String) -> String {
        // Most expressions have nothing to collapse: one space between
        // tokens, no comment, nothing at either end. Those are returned as they are.
        var plain = true
        var previous: UInt8 = 0x20
        for b in source.utf8 {
            if b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C || b == 0x2F || (b == 0x20 && previous == 0x20) {
                plain = false
                break
            }
            previous = b
        }
        if plain, previous != 0x20 || source.isEmpty { return source }
        let s = Array(source.unicodeScalars)
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        var i = 0
        func isSpace(_ c: Unicode.Scalar) -> Bool {
            c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}"
        }
        while i < s.count {
            let c = s[i]
            if isSpace(c) {
                pendingSpace = true
                i += 1
                continue
            }
            if c == "/", i + 1 < s.count, s[i + 1] == "/" {
                while i < s.count, s[i] != "\n" { i += 1 }
                pendingSpace = true
                continue
            }
            if pendingSpace, !out.isEmpty { out.append(" ") }
            pendingSpace = false
            guard c == "'" || c == "\"" else {
                out.append(c)
                i += 1
                continue
            }
            // A string literal: raw when an `r` prefix stands right before it.
            let previous = out.suffix(2).map { $0 }
            let raw = previous.last.map { $0 == "r" || $0 == "R" } ?? false
                || (previous.count == 2 && (previous[0] == "r" || previous[0] == "R")
                    && (previous[1] == "b" || previous[1] == "B"))
            let triple = i + 2 < s.count && s[i + 1] == c && s[i + 2] == c
            let quoteLength = triple ? 3 : 1
            var j = i + quoteLength
            while j < s.count {
                if !raw, s[j] == "\\" {
                    j += 2
                    continue
                }
                if s[j] == c, !triple || (j + 2 < s.count && s[j + 1] == c && s[j + 2] == c) {
                    j += quoteLength
                    break
                }
                j += 1
            }
            let end = min(j, s.count)
            out.append(contentsOf: s[i..<end])
            i = end
        }
        return String(out)
    }
}

/// Characters that make two names look alike while they differ: invisible
/// ones (a zero-width space pasted from a document) and letters of other
/// scripts that look like Latin ones (a Cyrillic `а`). Messages name them by
/// code point, since the text itself cannot show the difference.
public enum LookAlike {
    /// Latin letters and digits that letters of other scripts are mistaken for.
    static let confusable: [UInt32: Character] = [
        0x0430: "a", 0x0435: "e", 0x043E: "o", 0x0440: "p", 0x0441: "c", 0x0443: "y", 0x0445: "x", 0x0456: "i",
        0x0458: "j", 0x0455: "s", 0x04BB: "h", 0x0501: "d", 0x0410: "A", 0x0412: "B", 0x0415: "E", 0x041A: "K",
        0x041C: "M", 0x041D: "H", 0x041E: "O", 0x0420: "P", 0x0421: "C", 0x0422: "T", 0x0425: "X", 0x0406: "I",
        0x03BF: "o", 0x03B1: "a", 0x03BD: "v", 0x03B9: "i", 0x039F: "O", 0x0391: "A", 0x0392: "B", 0x0395: "E",
        0x0397: "H", 0x0399: "I", 0x039A: "K", 0x039C: "M", 0x039D: "N", 0x03A1: "P", 0x03A4: "T", 0x03A7: "X",
        0x0131: "i", 0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2212: "-", 0x2018: "'", 0x2019: "'",
        0x201C: "\"", 0x201D: "\"", 0x00B4: "'",
    ]

    /// `U+200B ZERO WIDTH SPACE`.
    public static func name(_ s: Unicode.Scalar) -> String {
        let hex = String(s.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        guard let name = s.properties.name ?? s.properties.nameAlias else { return code }
        return "\(code) \(name)"
    }

    /// `U+0430 CYRILLIC SMALL LETTER A, which looks like `a``.
    public static func character(_ s: Unicode.Scalar) -> String {
        kind(s).map { "\(name(s)), \($0)" } ?? name(s)
    }

    /// What the character looks like, when it is invisible or a look-alike.
    static func kind(_ s: Unicode.Scalar) -> String? {
        if s.isASCII { return nil }
        if let c = confusable[s.value] { return "which looks like `\(c)`" }
        if (0xFF01...0xFF5E).contains(s.value), let ascii = Unicode.Scalar(s.value - 0xFEE0) {
            return "a full-width `\(Character(ascii))`"
        }
        if s.properties.generalCategory == .format || s.properties.isDefaultIgnorableCodePoint {
            return "which is invisible"
        }
        if s.properties.isWhitespace { return "a space that is not the ordinary one" }
        return nil
    }

    /// "it contains U+200B ZERO WIDTH SPACE, which is invisible" for text with
    /// such characters (the first two named), nil for text without.
    public static func describe(_ text: String) -> String? {
        var found: [String] = []
        var seen = Set<UInt32>()
        for s in text.unicodeScalars where seen.insert(s.value).inserted {
            guard let k = kind(s) else { continue }
            found.append("\(name(s)), \(k)")
            if found.count == 2 { break }
        }
        guard !found.isEmpty else { return nil }
        return "it contains " + found.joined(separator: "; and ")
    }

    /// `message`, with the look-alike characters of `text` named after it.
    public static func note(_ message: String, _ text: String) -> String {
        describe(text).map { "\(message) (\($0))" } ?? message
    }
}
