// A regular expression engine over Unicode scalars for `matches`, with RE2's syntax
// (https://github.com/google/re2/wiki/Syntax), since CEL specifies RE2.
//
// Accepted, as RE2 accepts it: literals and `.`; classes `[...]`, `[^...]` holding ranges,
// escapes, Perl classes, POSIX classes `[:alpha:]` / `[:^alpha:]` and Unicode classes; the
// ASCII Perl classes `\d \D \s \S \w \W`; Unicode classes `\pL`, `\p{Lu}`, `\p{Han}`, `\PL`,
// `\P{Han}`, `\p{^Han}` and `\p{Any}` over RE2's general categories and scripts (tables in
// RegexUnicodeTables.swift); escapes `\a \f \t \n \r \v`, octal `\0`..`\777`, hex `\x7F`
// and `\x{10FFFF}`, escaped punctuation, `\Q...\E`, `\C`; anchors `^ $ \A \z \b \B`; groups
// `(...)`, `(?:...)`, `(?P<name>...)`, `(?<name>...)`; flags `i m s U` as `(?flags)` and
// `(?flags:...)`, `-` clearing; alternation `|`; quantifiers `* + ? {n} {n,} {n,m}` and their
// lazy forms. `(?i)` folds case with Unicode simple case folding, as RE2 does.
//
// Rejected, saying RE2 does not support it: backreferences (`\1`, `\g1`, `\k<n>`,
// `(?P=n)`), lookahead and lookbehind, `\Z`, possessive quantifiers, atomic groups, comments
// `(?#...)`, conditionals, recursion, backtracking verbs, `\e`, `\cX` and PCRE's other
// escapes, `\p{Cn}` and `\p{LC}`. Acceptance follows RE2's parser rule for rule.
//
// Matching is a Pike VM (Thompson NFA simulation): time is linear in the input times the
// program size, so there is no catastrophic backtracking. `matches` searches anywhere in
// the string (RE2 partial match), as CEL specifies. RE2 reads UTF-8 bytes where this engine
// reads scalars; answers differ only for `\C`, "any byte" in RE2 and any one scalar here
// (RE2's empty `\B` match inside a character's encoding is reproduced, see `run`). Limits
// are this engine's own: 20,000 instructions, where a class of any size is one, so some
// patterns RE2 finds too large (`\pL{1000}`) are accepted and some it accepts (a pattern of
// 21 `a{1000}`) are not; groups nest 100 deep where RE2 allows 1000.

struct RegexProgram: Sendable {
    enum Inst: Sendable {
        case char(UInt32)
        case cls(Int)  // index into classes
        case any  // any scalar
        case anyNotNL
        case split(Int, Int)
        case jmp(Int)
        case assert(Assertion)
        case match
    }
    enum Assertion: Sendable {
        case bol, eol, lineBegin, lineEnd, wordBoundary, notWordBoundary
    }

    /// A set of scalars as sorted, disjoint, non-adjacent inclusive ranges. A bitmap answers
    /// for ASCII, the common case in tickets, without a binary search.
    struct CharClass: Sendable {
        let ranges: [UInt32]  // lo0, hi0, lo1, hi1, ...
        let asciiLow: UInt64  // bit c: c < 64 is a member
        let asciiHigh: UInt64  // bit c - 64: 64 <= c < 128 is a member

        init(ranges: [UInt32]) {
            self.ranges = ranges
            var bits: (UInt64, UInt64) = (0, 0)
            var k = 0
            while k + 1 < ranges.count, ranges[k] < 128 {
                for c in ranges[k]...min(ranges[k + 1], 127) {
                    if c < 64 { bits.0 |= 1 << UInt64(c) } else { bits.1 |= 1 << UInt64(c - 64) }
                }
                k += 2
            }
            (asciiLow, asciiHigh) = bits
        }

        func contains(_ c: UInt32) -> Bool {
            if c < 64 { return asciiLow >> UInt64(c) & 1 != 0 }
            if c < 128 { return asciiHigh >> UInt64(c - 64) & 1 != 0 }
            // `lo` ends as the number of ranges starting at or below c; the last of them is
            // the only one that can hold c.
            var lo = 0
            var hi = ranges.count / 2
            while lo < hi {
                let mid = (lo + hi) / 2
                if ranges[2 * mid] <= c { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 && c <= ranges[2 * lo - 1]
        }
    }

    let insts: [Inst]
    let classes: [CharClass]

    static let maxProgramSize = 20_000
    static let maxRepeat = 1000

    static func compile(_ pattern: String) -> Result<RegexProgram, CELError> {
        var p = RegexParser(Array(pattern.unicodeScalars))
        do {
            let node = try p.parseAlternation(depth: 0)
            if p.i < p.s.count { throw p.fail("unexpected )") }
            // RE2 bounds the copies that nested counted repetitions make, `(a{10}){101}`
            // being 1010, by the same 1000 as a single count.
            if RegexParser.repeatProduct(node) > maxRepeat {
                throw p.fail("bad repetition count: nested counts make more than \(maxRepeat) copies")
            }
            var c = RegexCompiler(classes: p.classes)
            try c.emit(node)
            c.insts.append(.match)
            if c.insts.count > maxProgramSize {
                throw CELError(.invalidArgument, "regular expression too large")
            }
            return .success(RegexProgram(insts: c.insts, classes: c.classes))
        } catch let e as CELError {
            return .failure(e)
        } catch {
            return .failure(CELError(.invalidArgument, "invalid regular expression"))
        }
    }

    static func isWord(_ c: UInt32?) -> Bool {
        guard let c = c else { return false }
        return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    /// Partial match: true when the pattern matches anywhere in `s`.
    func matches(_ s: String) -> CELValue {
        .bool(run(s).matched)
    }

    /// The Pike VM. Thread lists live in one temporary (stack) allocation; the text is
    /// streamed scalar by scalar. `steps` counts instruction visits: per input position each
    /// instruction is followed at most once and each consuming one tested at most once (the
    /// one extra closure for RE2's mid-character positions fits in the last position, which
    /// consumes nothing), so steps <= 2 × program size × (scalars + 1), which the tests check.
    func run(_ s: String) -> (matched: Bool, steps: Int) {
        let n = insts.count
        var steps = 0
        let found = withUnsafeTemporaryAllocation(of: Int.self, capacity: 5 * n + 4) { buf -> Bool in
            guard let base = buf.baseAddress else { return false }
            var clist = base
            var nlist = base + n
            let mark = base + 2 * n
            let stack = base + 3 * n  // 2n + 4 entries: each visited inst pushes at most 2
            for k in 0..<n { mark[k] = -1 }
            var ccount = 0
            var ncount = 0

            // Follows jumps, splits and assertions from pc0; records char-consuming
            // instructions in `list`. Returns true when `match` is reachable.
            func addThread(_ list: UnsafeMutablePointer<Int>, _ count: inout Int, _ pc0: Int, _ gen: Int,
                           _ prev: UInt32?, _ cur: UInt32?) -> Bool {
                var sp = 0
                stack[sp] = pc0
                sp += 1
                while sp > 0 {
                    sp -= 1
                    let pc = stack[sp]
                    if mark[pc] == gen { continue }
                    mark[pc] = gen
                    steps += 1
                    switch insts[pc] {
                    case .jmp(let t):
                        stack[sp] = t
                        sp += 1
                    case .split(let a, let b):
                        stack[sp] = b
                        stack[sp + 1] = a
                        sp += 2
                    case .assert(let a):
                        let ok: Bool
                        switch a {
                        case .bol: ok = prev == nil
                        case .eol: ok = cur == nil
                        case .lineBegin: ok = prev == nil || prev == 10
                        case .lineEnd: ok = cur == nil || cur == 10
                        case .wordBoundary: ok = RegexProgram.isWord(prev) != RegexProgram.isWord(cur)
                        case .notWordBoundary: ok = RegexProgram.isWord(prev) == RegexProgram.isWord(cur)
                        }
                        if ok {
                            stack[sp] = pc + 1
                            sp += 1
                        }
                    case .match: return true
                    default:
                        list[count] = pc
                        count += 1
                    }
                }
                return false
            }

            var it = s.unicodeScalars.makeIterator()
            var prev: UInt32? = nil
            var cur: UInt32? = it.next()?.value
            var gen = 0
            var sawMultiByte = false
            while true {
                // Unanchored search: a new thread starts at every position.
                if addThread(clist, &ccount, 0, gen, prev, cur) { return true }
                guard let c = cur else { return false }
                let next = it.next()?.value
                if c >= 0x80, !sawMultiByte {
                    // RE2 searches UTF-8 bytes and may start a match inside a character's
                    // encoding, where both neighbours are non-word bytes: there only `\B` holds,
                    // so a pattern that can match the empty string through `\B` alone matches
                    // any text with a non-ASCII character (RE2 finds `\B` in "1ΩK"). Nothing
                    // consumes from there, so one check, with its own mark, does.
                    sawMultiByte = true
                    ncount = 0
                    if addThread(nlist, &ncount, 0, -2, 0x80, 0x80) { return true }
                }
                gen += 1
                ncount = 0
                steps += ccount
                for k in 0..<ccount {
                    let pc = clist[k]
                    let ok: Bool
                    switch insts[pc] {
                    case .char(let x): ok = x == c
                    case .cls(let ci): ok = classes[ci].contains(c)
                    case .any: ok = true
                    case .anyNotNL: ok = c != 10
                    default: ok = false
                    }
                    if ok, addThread(nlist, &ncount, pc + 1, gen, c, next) { return true }
                }
                swap(&clist, &nlist)
                ccount = ncount
                prev = c
                cur = next
            }
        }
        return (found, steps)
    }
}

indirect enum RegexNode {
    case empty
    case char(UInt32)
    case cls(Int)
    case any(dotAll: Bool)
    case concat([RegexNode])
    case alt([RegexNode])
    case repeatNode(RegexNode, min: Int, max: Int?)
    case assert(RegexProgram.Assertion)
}

/// Scalar sets as sorted, disjoint, non-adjacent inclusive `lo, hi` pairs, and the Unicode
/// groups RE2 names.
enum ScalarSet {
    static let maxScalar: UInt32 = 0x10FFFF

    /// Sorts and merges ranges given as `lo, hi` pairs in any order.
    static func normalize(_ pairs: [UInt32]) -> [UInt32] {
        var rs: [(UInt32, UInt32)] = []
        rs.reserveCapacity(pairs.count / 2)
        var k = 0
        while k + 1 < pairs.count {
            rs.append((pairs[k], pairs[k + 1]))
            k += 2
        }
        rs.sort { $0.0 < $1.0 }
        var out: [UInt32] = []
        out.reserveCapacity(pairs.count)
        for (lo, hi) in rs {
            if let last = out.last, lo <= last &+ 1 {
                out[out.count - 1] = max(last, hi)
            } else {
                out.append(lo)
                out.append(hi)
            }
        }
        return out
    }

    static func complement(_ set: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        var next: UInt32 = 0
        var k = 0
        while k + 1 < set.count {
            if set[k] > next {
                out.append(next)
                out.append(set[k] - 1)
            }
            next = set[k + 1] + 1
            k += 2
        }
        if next <= maxScalar {
            out.append(next)
            out.append(maxScalar)
        }
        return out
    }

    /// The next scalar in c's case folding orbit, or nil when c folds to nothing else.
    static func foldNext(_ c: UInt32) -> UInt32? {
        let f = RegexUnicodeTables.foldNext
        let k = firstFold(atLeast: c)
        return k < f.count / 2 && f[2 * k] == c ? f[2 * k + 1] : nil
    }

    /// Index of the first fold pair whose scalar is >= c.
    static func firstFold(atLeast c: UInt32) -> Int {
        let f = RegexUnicodeTables.foldNext
        var lo = 0
        var hi = f.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if f[2 * mid] < c { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The set with every scalar's whole folding orbit added: what `(?i)` turns a set into.
    /// A complement of a closed set is closed too, so RE2's `(?i)\W`, the complement of the
    /// closure of `\w`, stays closed here.
    static func foldClosure(_ set: [UInt32]) -> [UInt32] {
        let f = RegexUnicodeTables.foldNext
        var extra: [UInt32] = []
        var k = 0
        while k + 1 < set.count {
            var j = firstFold(atLeast: set[k])
            while j < f.count / 2, f[2 * j] <= set[k + 1] {
                // Orbits have at most four members; the bound only guards a malformed table.
                var c = f[2 * j + 1]
                var hops = 0
                while c != f[2 * j], hops < 8 {
                    extra.append(c)
                    extra.append(c)
                    c = foldNext(c) ?? f[2 * j]
                    hops += 1
                }
                j += 1
            }
            k += 2
        }
        return extra.isEmpty ? set : normalize(set + extra)
    }

    /// RE2's Unicode groups by name, plus `Any`.
    static let groupIndex: [String: Int] = Dictionary(
        RegexUnicodeTables.groupNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })

    static func unicodeGroup(_ name: String) -> [UInt32]? {
        if name == "Any" { return [0, maxScalar] }
        guard let k = groupIndex[name] else { return nil }
        let b = RegexUnicodeTables.groupBounds
        return Array(RegexUnicodeTables.groupRanges[b[k]..<b[k + 1]])
    }

    static let perl: [Unicode.Scalar: [UInt32]] = [
        "d": [48, 57], "s": [9, 10, 12, 13, 32, 32], "w": [48, 57, 65, 90, 95, 95, 97, 122],
    ]

    static let posix: [String: [UInt32]] = [
        "alnum": [48, 57, 65, 90, 97, 122], "alpha": [65, 90, 97, 122], "ascii": [0, 127],
        "blank": [9, 9, 32, 32], "cntrl": [0, 31, 127, 127], "digit": [48, 57],
        "graph": [33, 126], "lower": [97, 122], "print": [32, 126],
        "punct": [33, 47, 58, 64, 91, 96, 123, 126], "space": [9, 13, 32, 32],
        "upper": [65, 90], "word": [48, 57, 65, 90, 95, 95, 97, 122],
        "xdigit": [48, 57, 65, 70, 97, 102],
    ]

    /// What RE2 allows in a capture name: Unicode letters, marks, digits and connectors.
    static let captureName = RegexProgram.CharClass(
        ranges: normalize(
            ["Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Mn", "Mc", "Nd", "Pc"].flatMap { unicodeGroup($0) ?? [] }))
}

struct RegexParser {
    struct Flags {
        var foldCase = false  // i
        var dotNL = false  // s
        var multiLine = false  // m
        // U swaps greedy and lazy repetition: that changes what a match spans, never whether
        // there is one, so it is parsed and kept nowhere.
    }

    let s: [Unicode.Scalar]
    var i = 0
    var flags = Flags()
    var classes: [RegexProgram.CharClass] = []
    /// Identical classes share one entry, so a pattern that repeats `\pL` stores it once.
    var classIndex: [[UInt32]: Int] = [:]
    var posixClose: (from: Int, at: Int?)? = nil
    /// Classes by their text and `(?i)`: a pattern repeating `\pL` or `[\p{Greek}x]` builds
    /// and folds each once.
    var classByText: [String: Int] = [:]

    init(_ s: [Unicode.Scalar]) { self.s = s }

    func fail(_ msg: String) -> CELError { CELError(.invalidArgument, "invalid regular expression: \(msg)") }

    /// For what other dialects have and RE2 leaves out, so that the author knows to rewrite.
    func unsupported(_ what: String, _ hint: String? = nil) -> CELError {
        fail("\(what) is not supported by RE2 syntax" + (hint.map { "; \($0)" } ?? ""))
    }

    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

    func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }

    /// ASCII letters only: RE2's escapes and flags are ASCII.
    func isLetter(_ c: Unicode.Scalar) -> Bool { (c.value | 0x20) >= 97 && (c.value | 0x20) <= 122 }

    /// The pattern's text from a to b, for messages.
    func text(_ a: Int, _ b: Int) -> String {
        let lo = min(max(0, a), s.count)
        var t = ""
        t.unicodeScalars.append(contentsOf: s[lo..<max(lo, min(b, s.count))])
        return t
    }

    mutating func parseAlternation(depth: Int) throws -> RegexNode {
        guard depth < 100 else { throw fail("nesting too deep") }
        var alts: [RegexNode] = [try parseConcat(depth: depth)]
        while peek() == "|" {
            i += 1
            alts.append(try parseConcat(depth: depth))
        }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    mutating func parseConcat(depth: Int) throws -> RegexNode {
        var items: [RegexNode] = []
        // The previous token when it was a repetition operator: like Perl, RE2 rejects `a**`
        // (and `a*+`, possessive in Perl), while `(a*)*` is fine.
        var lastRepeat: (start: Int, lazy: Bool)? = nil
        while let c = peek(), c != "|", c != ")" {
            let start = i
            var bounds: (min: Int, max: Int?)? = nil
            switch c {
            case "*":
                i += 1
                bounds = (0, nil)
            case "+":
                i += 1
                bounds = (1, nil)
            case "?":
                i += 1
                bounds = (0, 1)
            case "{": bounds = try parseBraces()  // nil: a literal `{`
            default: break
            }
            guard let bounds = bounds else {
                try parseAtom(into: &items, depth: depth)
                lastRepeat = nil
                continue
            }
            let lazy = peek() == "?"
            if lazy { i += 1 }
            if let last = lastRepeat {
                let op = text(last.start, i)
                if c == "+", !lazy, !last.lazy { throw unsupported("possessive quantifier `\(op)`") }
                throw fail("bad repetition operator `\(op)`")
            }
            // An assertion such as `^` or `\b` may be repeated, as in RE2; an empty group too.
            guard let arg = items.popLast() else {
                throw fail("missing argument to repetition operator `\(text(start, i))`")
            }
            items.append(.repeatNode(arg, min: bounds.min, max: bounds.max))
            lastRepeat = (start, lazy)
        }
        if items.isEmpty { return .empty }
        return items.count == 1 ? items[0] : .concat(items)
    }

    /// Parses `{n}`, `{n,}`, `{n,m}`; returns nil, leaving `i`, when the brace is not a
    /// repetition and so a literal: RE2 reads `a{,2}`, `a{x}` and `a{01}` as plain text.
    mutating func parseBraces() throws -> (min: Int, max: Int?)? {
        var j = i + 1
        func num(_ j: inout Int) -> Int? {
            guard j < s.count, isDigit(s[j]) else { return nil }
            if s[j] == "0", j + 1 < s.count, isDigit(s[j + 1]) { return nil }
            var v = 0
            while j < s.count, isDigit(s[j]) {
                if v >= 100_000_000 { return nil }
                v = v * 10 + Int(s[j].value - 48)
                j += 1
            }
            return v
        }
        guard let lo = num(&j) else { return nil }
        var hi: Int? = lo
        if j < s.count, s[j] == "," {
            j += 1
            if j < s.count, s[j] == "}" {
                hi = nil
            } else {
                guard let h = num(&j) else { return nil }
                hi = h
            }
        }
        guard j < s.count, s[j] == "}" else { return nil }
        let op = text(i, j + 1)
        i = j + 1
        if lo > RegexProgram.maxRepeat || (hi ?? 0) > RegexProgram.maxRepeat {
            throw fail("bad repetition count `\(op)`: the limit is \(RegexProgram.maxRepeat)")
        }
        if let h = hi, h < lo { throw fail("bad repetition count `\(op)`") }
        return (lo, hi)
    }

    /// The most copies of any one piece that nested counted repetitions make, as RE2
    /// counts them: `x{n,m}` multiplies by m, `x{n,}` by n, and a count of 0 by nothing.
    static func repeatProduct(_ n: RegexNode) -> Int {
        switch n {
        case .concat(let xs), .alt(let xs): return xs.map(repeatProduct).max() ?? 1
        case .repeatNode(let x, let mn, let mx):
            let inner = repeatProduct(x)
            let m = mx ?? mn
            return m > 0 ? min(inner * m, Int(Int32.max)) : inner
        default: return 1
        }
    }

    mutating func parseAtom(into items: inout [RegexNode], depth: Int) throws {
        guard let c = peek() else { return }
        switch c {
        case "(":
            if let group = try parseGroup(depth: depth) { items.append(group) }
        case "[": items.append(try parseClass())
        case ".":
            i += 1
            items.append(.any(dotAll: flags.dotNL))
        case "^":
            i += 1
            items.append(.assert(flags.multiLine ? .lineBegin : .bol))
        case "$":
            i += 1
            items.append(.assert(flags.multiLine ? .lineEnd : .eol))
        case "\\": try parseBackslash(into: &items)
        default:
            i += 1
            items.append(try literal(c.value))
        }
    }

    /// Parses a group from its `(`; returns nil for a flags-only group such as `(?i)`, which
    /// matches nothing and changes the flags up to the end of the enclosing group.
    mutating func parseGroup(depth: Int) throws -> RegexNode? {
        let start = i
        i += 1  // (
        if peek() == "*", let v = peek(1), ("A"..."Z").contains(v) {
            // PCRE's `(*ACCEPT)`, `(*FAIL)`, ...: RE2 reads `(*` as a repetition of nothing,
            // which would hide what the author meant.
            let end = s[i...].firstIndex(of: ")").map { $0 + 1 } ?? s.count
            throw unsupported("backtracking control verb `\(text(start, end))`")
        }
        guard peek() == "?" else { return try groupBody(depth: depth, flags: flags) }
        i += 1  // ?
        let head = text(start, i + 1)  // `(?x`, naming the construct in messages
        switch (peek() ?? "\u{0}", peek(1) ?? "\u{0}") {
        case ("=", _), ("!", _): throw unsupported("lookahead `\(head)`")
        case ("<", "="), ("<", "!"): throw unsupported("lookbehind `\(text(start, i + 2))`")
        case ("P", "="): throw unsupported("named backreference `(?P=`")
        case ("P", ">"), ("&", _), ("R", _), ("0"..."9", _), ("+", "0"..."9"), ("-", "0"..."9"):
            throw unsupported("recursion `\(head)`")
        case ("#", _): throw unsupported("comment `(?#`")
        case (">", _): throw unsupported("atomic group `(?>`")
        case ("|", _): throw unsupported("branch reset `(?|`")
        case ("(", _): throw unsupported("conditional `(?(`")
        case ("'", _): throw unsupported("named group `(?'`", "write `(?P<name>...)`")
        case ("{", _), ("?", "{"): throw unsupported("embedded code `\(head)`")
        case ("C", _): throw unsupported("callout `(?C`")
        case ("<", _), ("P", "<"):
            i += peek() == "P" ? 2 : 1
            guard let close = s[i...].firstIndex(of: ">") else {
                throw fail("invalid named capture `\(text(start, s.count))`")
            }
            let name = s[i..<close]
            guard !name.isEmpty, name.allSatisfy({ ScalarSet.captureName.contains($0.value) }) else {
                throw fail("invalid named capture `\(text(start, close + 1))`")
            }
            i = close + 1
            return try groupBody(depth: depth, flags: flags)
        default: break
        }
        var f = flags
        var negated = false
        var sawFlag = false
        while let c = peek() {
            i += 1
            switch c {
            case "i": f.foldCase = !negated
            case "m": f.multiLine = !negated
            case "s": f.dotNL = !negated
            case "U": break
            case "-":
                if negated { throw fail("invalid or unsupported perl syntax `\(text(start, i))`") }
                negated = true
                sawFlag = false
                continue
            case ":", ")":
                // `(?-)` and `(?i-)` clear nothing: RE2 rejects them.
                if negated && !sawFlag { throw fail("invalid or unsupported perl syntax `\(text(start, i))`") }
                if c == ")" {
                    flags = f
                    return nil
                }
                return try groupBody(depth: depth, flags: f)
            default:
                if isLetter(c) {
                    throw unsupported("flag `\(c)` in `\(text(start, i))`", "RE2's flags are i, m, s and U")
                }
                throw fail("invalid or unsupported perl syntax `\(text(start, i))`")
            }
            sawFlag = true
        }
        throw fail("missing closing )")
    }

    /// Parses a group's body up to its `)` under `inner` flags; the flags in force before
    /// the group come back after it, as in RE2.
    mutating func groupBody(depth: Int, flags inner: Flags) throws -> RegexNode {
        let saved = flags
        flags = inner
        let body = try parseAlternation(depth: depth + 1)
        guard peek() == ")" else { throw fail("missing closing )") }
        i += 1
        flags = saved
        return body
    }

    mutating func parseBackslash(into items: inout [RegexNode]) throws {
        let start = i
        guard let e = peek(1) else { throw fail("trailing backslash at end of expression") }
        switch e {
        case "b", "B", "A", "z", "C":
            i += 2
            switch e {
            case "b": items.append(.assert(.wordBoundary))
            case "B": items.append(.assert(.notWordBoundary))
            case "A": items.append(.assert(.bol))
            case "z": items.append(.assert(.eol))
            default: items.append(.any(dotAll: true))  // \C: RE2's single byte, here a scalar
            }
        case "Q":
            // Literal text up to `\E` or the end; a quantifier after it applies to the last
            // character, as in RE2.
            i += 2
            while i < s.count {
                if s[i] == "\\", peek(1) == "E" {
                    i += 2
                    break
                }
                items.append(try literal(s[i].value))
                i += 1
            }
        case "p", "P":
            i += 1
            let (name, negated) = try parseUnicodeClassName(start: start)
            let key = "\(flags.foldCase ? "i" : "-")\(text(start, i))"
            let k = try classByText[key] ?? foldedClass(try unicodeClass(name, negated: negated, start: start))
            classByText[key] = k
            items.append(.cls(k))
        case "d", "D", "s", "S", "w", "W":
            i += 2
            items.append(.cls(try foldedClass(perlClass(e))))
        default:
            i += 1
            items.append(try literal(try parseEscape(start: start, inClass: false)))
        }
    }

    /// `\d \s \w` and their negations `\D \S \W`.
    func perlClass(_ e: Unicode.Scalar) -> [UInt32] {
        let lower = Unicode.Scalar(e.value | 0x20) ?? e
        return group(ScalarSet.perl[lower] ?? [], negated: e != lower)
    }

    /// A named group as RE2 adds it to a class: under `(?i)` a negated group is the
    /// complement of the folded group, so that `(?i)\W` leaves out `K` (U+212A), which folds
    /// with `k`. A positive group is folded with the rest of its class.
    func group(_ set: [UInt32], negated: Bool) -> [UInt32] {
        guard negated else { return set }
        return ScalarSet.complement(flags.foldCase ? ScalarSet.foldClosure(set) : set)
    }

    /// Parses `\pL`, `\p{Name}`, `\PL`, `\P{Name}` and `\p{^Name}` with `i` at the `p`.
    mutating func parseUnicodeClass(start: Int) throws -> [UInt32] {
        let (name, negated) = try parseUnicodeClassName(start: start)
        return try unicodeClass(name, negated: negated, start: start)
    }

    /// The name and negation of a Unicode class escape, with `i` at the `p`.
    mutating func parseUnicodeClassName(start: Int) throws -> (name: String, negated: Bool) {
        var negated = s[i] == "P"
        i += 1
        guard let c = peek() else { throw fail("missing Unicode class name after `\(text(start, i))`") }
        var name: String
        if c == "{" {
            guard let close = s[i...].firstIndex(of: "}") else {
                throw fail("missing closing } in `\(text(start, s.count))`")
            }
            name = text(i + 1, close)
            i = close + 1
        } else {
            name = String(c)
            i += 1
        }
        if name.hasPrefix("^") {
            negated.toggle()
            name.removeFirst()
        }
        return (name, negated)
    }

    /// The scalars of the Unicode class escape written at `start`, as `group` gives them.
    func unicodeClass(_ name: String, negated: Bool, start: Int) throws -> [UInt32] {
        guard let set = ScalarSet.unicodeGroup(name) else {
            let written = text(start, i)
            let caret = s.count > start + 3 && s[start + 2] == "{" && s[start + 3] == "^"
            if ["Cn", "LC", "L&"].contains(name) { throw unsupported("Unicode class `\(written)`") }
            let suggestion = (["Any"] + RegexUnicodeTables.groupNames).first { $0.lowercased() == name.lowercased() }
            if let m = suggestion {
                let fixed = "\(text(start, start + 2)){\(caret ? "^" : "")\(m)}"
                throw fail("unknown Unicode class `\(written)`; did you mean `\(fixed)`?")
            }
            throw fail("unknown Unicode class `\(written)`")
        }
        return group(set, negated: negated)
    }

    /// Parses the escape after a backslash at `start` that stands for one scalar, with `i` at
    /// the escape's letter.
    mutating func parseEscape(start: Int, inClass: Bool) throws -> UInt32 {
        guard let e = peek() else { throw fail("trailing backslash at end of expression") }
        i += 1
        func isOctal(_ c: Unicode.Scalar?) -> Bool { c.map { ("0"..."7").contains($0) } ?? false }
        switch e {
        case "0"..."7":
            // RE2 reads up to three octal digits after `\0`, or after `\1`..`\7` when a
            // second digit follows; a lone `\1` is Perl's backreference.
            if e != "0", !isOctal(peek()) { throw unsupported("backreference `\(text(start, i))`") }
            var v = e.value - 48
            for _ in 0..<2 {
                guard let d = peek(), isOctal(d) else { break }
                v = v * 8 + d.value - 48
                i += 1
            }
            return v
        case "8", "9": throw unsupported("backreference `\(text(start, i))`")
        case "x":
            if peek() == "{" {
                i += 1
                var v: UInt32 = 0
                var digits = 0
                while let h = peek(), let d = hexVal(h) {
                    v = v * 16 + d
                    digits += 1
                    i += 1
                    guard v <= ScalarSet.maxScalar else { throw fail("invalid escape sequence `\(text(start, i))`") }
                }
                guard digits > 0, peek() == "}" else {
                    throw fail("invalid escape sequence `\(text(start, i + 1))`")
                }
                i += 1
                return v
            }
            guard let h1 = peek(), let d1 = hexVal(h1), let h2 = peek(1), let d2 = hexVal(h2) else {
                throw fail("invalid escape sequence `\(text(start, i + 2))`")
            }
            i += 2
            return d1 * 16 + d2
        case "n": return 10
        case "t": return 9
        case "r": return 13
        case "f": return 12
        case "v": return 11
        case "a": return 7
        default:
            // Escaped ASCII punctuation stands for itself, `\_` included.
            if e.isASCII, !isLetter(e), !isDigit(e) { return e.value }
            let written = text(start, i)
            switch e {
            case "b" where inClass: throw unsupported("backspace `[\\b]`", "write `\\x08`")
            case "Z": throw unsupported("`\\Z`", "write `\\z` for the end of text, or `$`")
            case "g": throw unsupported("backreference `\\g`")
            case "k": throw unsupported("named backreference `\\k`")
            case "e": throw unsupported("`\\e`", "write `\\x1B`")
            case "c": throw unsupported("control escape `\\c`", "write the control character as `\\x01`..`\\x1F`")
            case "E": throw unsupported("`\\E` without `\\Q`")
            case "h", "H", "V", "R", "X", "K", "G", "N", "l", "L", "u", "U", "o":
                throw unsupported("`\(written)`")
            default:
                throw fail("invalid escape sequence `\(written)`" + (inClass ? " in a character class" : ""))
            }
        }
    }

    func hexVal(_ h: Unicode.Scalar) -> UInt32? {
        switch h {
        case "0"..."9": return h.value - 48
        case "A"..."F": return h.value - 55
        case "a"..."f": return h.value - 87
        default: return nil
        }
    }

    mutating func parseClass() throws -> RegexNode {
        let start = i
        i += 1  // [
        var negated = false
        if peek() == "^" {
            negated = true
            i += 1
        }
        var set: [UInt32] = []
        var first = true  // `]` first stands for itself
        while let c = peek(), c != "]" || first {
            first = false
            // `[:alpha:]`, `[:^alpha:]`; without a closing `:]` anywhere after it, `[` is a
            // literal, as in RE2.
            if c == "[", peek(1) == ":", i + 2 < s.count, let q = nextPosixClose(from: i + 2) {
                var name = text(i + 2, q)
                let neg = name.hasPrefix("^")
                if neg { name.removeFirst() }
                guard let r = ScalarSet.posix[name] else {
                    throw fail("unknown POSIX class `\(text(i, q + 2))`")
                }
                set += group(r, negated: neg)
                i = q + 2
                continue
            }
            if c == "\\", let e = peek(1) {
                switch e {
                case "p", "P":
                    let escape = i
                    i += 1
                    set += try parseUnicodeClass(start: escape)
                    continue
                case "d", "D", "s", "S", "w", "W":
                    i += 2
                    set += perlClass(e)
                    continue
                default: break
                }
            }
            let rangeStart = i
            let lo = try classChar()
            var hi = lo
            if peek() == "-", let n = peek(1), n != "]" {
                i += 1
                if n == "\\", let e = peek(1), "dDsSwWpP".unicodeScalars.contains(e) {
                    throw fail("invalid character class range `\(text(rangeStart, i + 2))`")
                }
                hi = try classChar()
                guard hi >= lo else { throw fail("invalid character class range `\(text(rangeStart, i))`") }
            }
            set += [lo, hi]
        }
        guard peek() == "]" else { throw fail("missing closing ] in `\(text(start, s.count))`") }
        i += 1
        let key = "\(flags.foldCase ? "i" : "-")\(text(start, i))"
        if let k = classByText[key] { return .cls(k) }
        var r = ScalarSet.normalize(set)
        if flags.foldCase { r = ScalarSet.foldClosure(r) }
        if negated { r = ScalarSet.complement(r) }
        let k = try addClass(r)
        classByText[key] = k
        return .cls(k)
    }

    /// Where the first `:]` at or after `from` is. The last answer is kept and reused while
    /// it still lies ahead, so that a pattern full of `[[:` without a `:]` is read in linear
    /// time rather than searched to its end at each one.
    mutating func nextPosixClose(from: Int) -> Int? {
        if let known = posixClose, known.from <= from, known.at.map({ $0 >= from }) ?? true { return known.at }
        let at = (from..<max(from, s.count - 1)).first { s[$0] == ":" && s[$0 + 1] == "]" }
        posixClose = (from, at)
        return at
    }

    /// One scalar in a class, escaped or not.
    mutating func classChar() throws -> UInt32 {
        guard let c = peek() else { throw fail("missing closing ]") }
        if c == "\\" {
            let start = i
            i += 1
            return try parseEscape(start: start, inClass: true)
        }
        i += 1
        return c.value
    }

    /// The class for a set that `(?i)` has not yet folded.
    mutating func foldedClass(_ set: [UInt32]) throws -> Int {
        let r = ScalarSet.normalize(set)
        return try addClass(flags.foldCase ? ScalarSet.foldClosure(r) : r)
    }

    mutating func addClass(_ ranges: [UInt32]) throws -> Int {
        if let k = classIndex[ranges] { return k }
        // Each class needs an instruction, so more classes than that limit can never compile;
        // stopping here bounds the work a hostile pattern can ask of the parser.
        guard classes.count < RegexProgram.maxProgramSize else {
            throw CELError(.invalidArgument, "regular expression too large")
        }
        classes.append(RegexProgram.CharClass(ranges: ranges))
        classIndex[ranges] = classes.count - 1
        return classes.count - 1
    }

    /// A literal scalar; under `(?i)`, the class of its folding orbit (`k`, `K`, U+212A).
    mutating func literal(_ c: UInt32) throws -> RegexNode {
        if flags.foldCase {
            let orbit = ScalarSet.foldClosure([c, c])
            if orbit != [c, c] { return .cls(try addClass(orbit)) }
        }
        return .char(c)
    }
}

struct RegexCompiler {
    var insts: [RegexProgram.Inst] = []
    var classes: [RegexProgram.CharClass]

    init(classes: [RegexProgram.CharClass]) { self.classes = classes }

    mutating func check() throws {
        if insts.count > RegexProgram.maxProgramSize {
            throw CELError(.invalidArgument, "regular expression too large")
        }
    }

    mutating func emit(_ n: RegexNode) throws {
        try check()
        switch n {
        case .empty: break
        case .char(let c): insts.append(.char(c))
        case .cls(let k): insts.append(.cls(k))
        case .any(let dotAll): insts.append(dotAll ? .any : .anyNotNL)
        case .assert(let a): insts.append(.assert(a))
        case .concat(let items):
            for x in items { try emit(x) }
        case .alt(let alts):
            // split L1, next; L1: a; jmp end; next: split ...
            var jumps: [Int] = []
            for (k, a) in alts.enumerated() {
                if k < alts.count - 1 {
                    let s = insts.count
                    insts.append(.split(s + 1, -1))
                    try emit(a)
                    jumps.append(insts.count)
                    insts.append(.jmp(-1))
                    insts[s] = .split(s + 1, insts.count)
                } else {
                    try emit(a)
                }
            }
            for j in jumps { insts[j] = .jmp(insts.count) }
        case .repeatNode(let x, let mn, let mx):
            for _ in 0..<mn { try emit(x) }
            if let mx = mx {
                // (x(x(x)?)?)?
                var splits: [Int] = []
                for _ in mn..<mx {
                    splits.append(insts.count)
                    insts.append(.split(insts.count + 1, -1))
                    try emit(x)
                }
                for s in splits { insts[s] = .split(s + 1, insts.count) }
            } else {
                // L: split body, end; body; jmp L
                let l = insts.count
                insts.append(.split(l + 1, -1))
                try emit(x)
                insts.append(.jmp(l))
                insts[l] = .split(l + 1, insts.count)
            }
        }
    }
}

/// A regular expression in RE2's syntax, as `matches` reads it, for tools
/// (e.g. `verdict test --run PATTERN`). Matching is a search (the pattern may
/// match anywhere), in time linear in the text.
public struct CELRegex: Sendable {
    let program: RegexProgram

    /// Nil, with the reason, when the pattern is not valid RE2.
    public static func compile(_ pattern: String) -> Result<CELRegex, CELError> {
        RegexProgram.compile(pattern).map { CELRegex(program: $0) }
    }

    public func matches(_ text: String) -> Bool { program.matches(text) == .bool(true) }
}
