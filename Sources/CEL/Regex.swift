// A small RE2-subset regular expression engine over Unicode scalars for `matches`.
//
// Supported: literals, `.`, classes `[...]` (ranges, negation, escapes, POSIX
// `[:alpha:]` etc.), `\d \D \w \W \s \S`, `\b \B`, `\A \z`, escapes `\n \t \r \f \v
// \xHH \x{H..}` and escaped punctuation, groups `(…)`, `(?:…)`, `(?P<name>…)`,
// `(?<name>…)`, flags `(?i)`, `(?s)`, `(?m)`, `(?U)` and `(?flags:…)`, alternation `|`,
// quantifiers `* + ? {n} {n,} {n,m}` and their lazy forms, anchors `^ $`.
// Matching is a Pike VM (Thompson NFA simulation): time is linear in the input times
// the program size, so there is no catastrophic backtracking. `matches` searches
// anywhere in the string (RE2 partial match), as CEL specifies.

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
    struct CharClass: Sendable {
        var ranges: [(UInt32, UInt32)]
        var negated: Bool
        func contains(_ c: UInt32) -> Bool {
            var found = false
            for (lo, hi) in ranges where c >= lo && c <= hi {
                found = true
                break
            }
            return found != negated
        }
    }

    let insts: [Inst]
    let classes: [CharClass]

    static let maxProgramSize = 20_000
    static let maxRepeat = 1000

    static func compile(_ pattern: String) -> Result<RegexProgram, CELError> {
        var p = RegexParser(Array(pattern.unicodeScalars).map(\.value))
        do {
            let node = try p.parseAlternation(depth: 0)
            if p.i < p.s.count {
                throw CELError(.invalidArgument, "invalid regular expression: unexpected `)`")
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

    /// Partial match: true when the pattern matches anywhere in `s`. Thread lists live in
    /// one temporary (stack) allocation; the text is streamed scalar by scalar.
    func matches(_ s: String) -> CELValue {
        let n = insts.count
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
            while true {
                // Unanchored search: a new thread starts at every position.
                if addThread(clist, &ccount, 0, gen, prev, cur) { return true }
                guard let c = cur else { return false }
                let next = it.next()?.value
                gen += 1
                ncount = 0
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
        return .bool(found)
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

struct RegexParser {
    let s: [UInt32]
    var i = 0
    var classes: [RegexProgram.CharClass] = []
    var caseInsensitive = false
    var dotAll = false
    var multiLine = false

    init(_ s: [UInt32]) { self.s = s }

    func fail(_ msg: String) -> CELError { CELError(.invalidArgument, "invalid regular expression: \(msg)") }

    func peek(_ k: Int = 0) -> UInt32? { i + k < s.count ? s[i + k] : nil }

    mutating func parseAlternation(depth: Int) throws -> RegexNode {
        guard depth < 100 else { throw fail("nesting too deep") }
        var alts: [RegexNode] = [try parseConcat(depth: depth)]
        while peek() == 0x7C {  // |
            i += 1
            alts.append(try parseConcat(depth: depth))
        }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    mutating func parseConcat(depth: Int) throws -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek(), c != 0x7C, c != 0x29 {  // | )
            var atom = try parseAtom(depth: depth)
            var quantified = false  // `a**` is an error, `(a*)*` is fine
            // quantifiers
            while let q = peek() {
                var mn = 0
                var mx: Int? = nil
                if q == 0x2A { mn = 0; mx = nil; i += 1 }  // *
                else if q == 0x2B { mn = 1; mx = nil; i += 1 }  // +
                else if q == 0x3F { mn = 0; mx = 1; i += 1 }  // ?
                else if q == 0x7B, let r = try parseBraces() { mn = r.0; mx = r.1 }
                else { break }
                if case .assert = atom { throw fail("missing argument to repetition operator") }
                if case .empty = atom { throw fail("missing argument to repetition operator") }
                if peek() == 0x3F { i += 1 }  // lazy: same match/no-match result
                if quantified { throw fail("bad repetition operator") }
                quantified = true
                atom = .repeatNode(atom, min: mn, max: mx)
            }
            items.append(atom)
        }
        if items.isEmpty { return .empty }
        return items.count == 1 ? items[0] : .concat(items)
    }

    /// Parses `{n}`, `{n,}`, `{n,m}`; returns nil (literal brace) when not a repetition.
    mutating func parseBraces() throws -> (Int, Int?)? {
        var j = i + 1
        func num(_ j: inout Int) -> Int? {
            var v = 0
            var any = false
            while j < s.count, s[j] >= 48, s[j] <= 57 {
                v = min(v * 10 + Int(s[j] - 48), 100_000)
                any = true
                j += 1
            }
            return any ? v : nil
        }
        guard let lo = num(&j) else { return nil }
        var hi: Int? = lo
        if j < s.count, s[j] == 0x2C {
            j += 1
            hi = num(&j)
        }
        guard j < s.count, s[j] == 0x7D else { return nil }
        i = j + 1
        if lo > RegexProgram.maxRepeat || (hi ?? 0) > RegexProgram.maxRepeat {
            throw fail("bad repetition count")
        }
        if let h = hi, h < lo { throw fail("bad repetition count") }
        return (lo, hi)
    }

    mutating func addClass(_ ranges: [(UInt32, UInt32)], negated: Bool) -> RegexNode {
        var r = ranges
        if caseInsensitive { r = RegexParser.foldRanges(r) }
        classes.append(RegexProgram.CharClass(ranges: r, negated: negated))
        return .cls(classes.count - 1)
    }

    static func foldRanges(_ ranges: [(UInt32, UInt32)]) -> [(UInt32, UInt32)] {
        var out = ranges
        for (lo, hi) in ranges where hi - lo < 2000 {
            for c in lo...hi {
                guard let u = Unicode.Scalar(c) else { continue }
                for m in [u.properties.lowercaseMapping, u.properties.uppercaseMapping] {
                    let us = m.unicodeScalars
                    if us.count == 1, let f = us.first, f.value != c { out.append((f.value, f.value)) }
                }
            }
        }
        return out
    }

    mutating func literal(_ c: UInt32) -> RegexNode {
        if caseInsensitive, let u = Unicode.Scalar(c),
           u.properties.lowercaseMapping != u.properties.uppercaseMapping {
            return addClass([(c, c)], negated: false)
        }
        return .char(c)
    }

    static let digit: [(UInt32, UInt32)] = [(48, 57)]
    static let word: [(UInt32, UInt32)] = [(48, 57), (65, 90), (95, 95), (97, 122)]
    static let space: [(UInt32, UInt32)] = [(9, 10), (12, 13), (32, 32)]

    mutating func parseAtom(depth: Int) throws -> RegexNode {
        guard let c = peek() else { throw fail("unexpected end") }
        switch c {
        case 0x28:  // (
            i += 1
            if peek() == 0x3F {  // ?
                i += 1
                if peek() == 0x50 || peek() == 0x3C {  // P or <  named group
                    if peek() == 0x50 { i += 1 }
                    guard peek() == 0x3C else { throw fail("invalid named capture") }
                    while let d = peek(), d != 0x3E { i += 1 }
                    guard peek() == 0x3E else { throw fail("invalid named capture") }
                    i += 1
                    return try groupBody(depth: depth)
                }
                // flags
                var on = true
                var ci = caseInsensitive, da = dotAll, ml = multiLine
                while let f = peek() {
                    i += 1
                    switch f {
                    case 0x69: ci = on  // i
                    case 0x73: da = on  // s
                    case 0x6D: ml = on  // m
                    case 0x55: break  // U (ungreedy) does not change match/no-match
                    case 0x2D: on = false
                    case 0x29:  // ) : flags apply to the rest of the current group
                        caseInsensitive = ci
                        dotAll = da
                        multiLine = ml
                        return .empty
                    case 0x3A:  // : scoped group
                        let saved = (caseInsensitive, dotAll, multiLine)
                        caseInsensitive = ci
                        dotAll = da
                        multiLine = ml
                        let body = try groupBody(depth: depth)
                        (caseInsensitive, dotAll, multiLine) = saved
                        return body
                    default: throw fail("invalid or unsupported perl syntax")
                    }
                }
                throw fail("missing closing )")
            }
            let saved = (caseInsensitive, dotAll, multiLine)
            let body = try groupBody(depth: depth)
            (caseInsensitive, dotAll, multiLine) = saved
            return body
        case 0x29: throw fail("unexpected )")
        case 0x5B:  // [
            return try parseClass()
        case 0x2E:  // .
            i += 1
            return .any(dotAll: dotAll)
        case 0x5E:  // ^
            i += 1
            return .assert(multiLine ? .lineBegin : .bol)
        case 0x24:  // $
            i += 1
            return .assert(multiLine ? .lineEnd : .eol)
        case 0x5C:  // backslash
            i += 1
            return try parseEscape(inClass: false).node(&self)
        case 0x2A, 0x2B, 0x3F:
            throw fail("missing argument to repetition operator")
        default:
            i += 1
            return literal(c)
        }
    }

    mutating func groupBody(depth: Int) throws -> RegexNode {
        let body = try parseAlternation(depth: depth + 1)
        guard peek() == 0x29 else { throw fail("missing closing )") }
        i += 1
        return body
    }

    enum Escape {
        case char(UInt32)
        case set([(UInt32, UInt32)], negated: Bool)
        case assertion(RegexProgram.Assertion)
        case textBegin, textEnd

        func node(_ p: inout RegexParser) -> RegexNode {
            switch self {
            case .char(let c): return p.literal(c)
            case .set(let r, let n): return p.addClass(r, negated: n)
            case .assertion(let a): return .assert(a)
            case .textBegin: return .assert(.bol)
            case .textEnd: return .assert(.eol)
            }
        }
    }

    mutating func parseEscape(inClass: Bool) throws -> Escape {
        guard let e = peek() else { throw fail("trailing backslash at end of expression") }
        i += 1
        switch e {
        case 0x64: return .set(RegexParser.digit, negated: false)  // d
        case 0x44: return .set(RegexParser.digit, negated: true)  // D
        case 0x77: return .set(RegexParser.word, negated: false)  // w
        case 0x57: return .set(RegexParser.word, negated: true)  // W
        case 0x73: return .set(RegexParser.space, negated: false)  // s
        case 0x53: return .set(RegexParser.space, negated: true)  // S
        case 0x6E: return .char(10)  // n
        case 0x74: return .char(9)  // t
        case 0x72: return .char(13)  // r
        case 0x66: return .char(12)  // f
        case 0x76: return .char(11)  // v
        case 0x61: return .char(7)  // a
        case 0x30: return .char(0)  // \0? RE2 accepts \0 only as octal; keep simple
        case 0x62 where !inClass: return .assertion(.wordBoundary)  // b
        case 0x42 where !inClass: return .assertion(.notWordBoundary)  // B
        case 0x41 where !inClass: return .textBegin  // A
        case 0x7A where !inClass: return .textEnd  // z
        case 0x78:  // x
            var v: UInt32 = 0
            if peek() == 0x7B {
                i += 1
                var count = 0
                while let h = peek(), h != 0x7D {
                    guard let d = hexVal(h) else { throw fail("invalid escape sequence") }
                    v = v &* 16 &+ d
                    count += 1
                    i += 1
                    guard count <= 8 else { throw fail("invalid escape sequence") }
                }
                guard peek() == 0x7D, count > 0 else { throw fail("invalid escape sequence") }
                i += 1
            } else {
                for _ in 0..<2 {
                    guard let h = peek(), let d = hexVal(h) else { throw fail("invalid escape sequence") }
                    v = v * 16 + d
                    i += 1
                }
            }
            guard Unicode.Scalar(v) != nil else { throw fail("invalid escape sequence") }
            return .char(v)
        default:
            // Escaped punctuation stands for itself.
            if e < 128, !RegexProgram.isWord(e) { return .char(e) }
            throw fail("invalid escape sequence `\\\(Unicode.Scalar(e).map { String($0) } ?? "")`")
        }
    }

    func hexVal(_ h: UInt32) -> UInt32? {
        switch h {
        case 48...57: return h - 48
        case 65...70: return h - 55
        case 97...102: return h - 87
        default: return nil
        }
    }

    static let posix: [String: [(UInt32, UInt32)]] = [
        "alnum": [(48, 57), (65, 90), (97, 122)], "alpha": [(65, 90), (97, 122)], "ascii": [(0, 127)],
        "blank": [(9, 9), (32, 32)], "cntrl": [(0, 31), (127, 127)], "digit": [(48, 57)],
        "graph": [(33, 126)], "lower": [(97, 122)], "print": [(32, 126)],
        "punct": [(33, 47), (58, 64), (91, 96), (123, 126)], "space": [(9, 13), (32, 32)],
        "upper": [(65, 90)], "word": [(48, 57), (65, 90), (95, 95), (97, 122)],
        "xdigit": [(48, 57), (65, 70), (97, 102)],
    ]

    mutating func parseClass() throws -> RegexNode {
        i += 1  // [
        var negated = false
        if peek() == 0x5E {
            negated = true
            i += 1
        }
        var ranges: [(UInt32, UInt32)] = []
        var first = true
        while true {
            guard let c = peek() else { throw fail("missing closing ]") }
            if c == 0x5D && !first {  // ]
                i += 1
                break
            }
            first = false
            // POSIX class
            if c == 0x5B, peek(1) == 0x3A {
                var j = i + 2
                var neg = false
                if j < s.count, s[j] == 0x5E { neg = true; j += 1 }
                var name = ""
                while j < s.count, s[j] != 0x3A, let u = Unicode.Scalar(s[j]) {
                    name.unicodeScalars.append(u)
                    j += 1
                }
                if j + 1 < s.count, s[j] == 0x3A, s[j + 1] == 0x5D, let r = RegexParser.posix[name] {
                    i = j + 2
                    ranges += neg ? RegexParser.complement(r) : r
                    continue
                }
                throw fail("invalid character class range")
            }
            var lo: UInt32
            if c == 0x5C {
                i += 1
                switch try parseEscape(inClass: true) {
                case .char(let x): lo = x
                case .set(let r, let n):
                    ranges += n ? RegexParser.complement(r) : r
                    continue
                default: throw fail("invalid escape in class")
                }
            } else {
                lo = c
                i += 1
            }
            var hi = lo
            if peek() == 0x2D, let n = peek(1), n != 0x5D {  // a-z
                i += 1
                if n == 0x5C {
                    i += 1
                    guard case .char(let x) = try parseEscape(inClass: true) else {
                        throw fail("invalid character class range")
                    }
                    hi = x
                } else {
                    hi = n
                    i += 1
                }
                guard hi >= lo else { throw fail("invalid character class range") }
            }
            ranges.append((lo, hi))
        }
        return addClass(ranges, negated: negated)
    }

    static func complement(_ r: [(UInt32, UInt32)]) -> [(UInt32, UInt32)] {
        let sorted = r.sorted { $0.0 < $1.0 }
        var out: [(UInt32, UInt32)] = []
        var next: UInt32 = 0
        for (lo, hi) in sorted {
            if lo > next { out.append((next, lo - 1)) }
            next = max(next, hi &+ 1)
        }
        if next <= 0x10FFFF { out.append((next, 0x10FFFF)) }
        return out
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
