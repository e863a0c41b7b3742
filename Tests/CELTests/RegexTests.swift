import Foundation
import Testing

@testable import CEL

// Tests of `matches` against RE2's dialect: Unicode classes, the rest of RE2's syntax, what
// RE2 rejects, linear time, and (when Python's `google-re2` is installed) RE2 itself.

// MARK: Helpers

/// One pattern on one text, named in the test list by both.
struct RegexCase: Sendable, CustomTestStringConvertible {
    let pattern: String
    let text: String
    let expected: Bool

    init(_ pattern: String, _ text: String, _ expected: Bool) {
        self.pattern = pattern
        self.text = text
        self.expected = expected
    }

    var testDescription: String {
        "`\(pattern)` \(expected ? "matches" : "does not match") \(Self.show(text))"
    }

    /// Control and invisible scalars spelt out, so that a failing case can be told apart.
    static func show(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u.value {
            case 0x21...0x7E where u != "\"" && u != "\\", 0xA1...0xD7FF, 0xE000...0xFFFD, 0x10000...:
                out.unicodeScalars.append(u)
            case 0x20: out += " "
            default: out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
            }
        }
        return out + "\""
    }
}

/// A pattern RE2 rejects and a piece of the message we give.
struct RejectCase: Sendable, CustomTestStringConvertible {
    let pattern: String
    let message: String

    init(_ pattern: String, _ message: String) {
        self.pattern = pattern
        self.message = message
    }

    var testDescription: String { "`\(pattern)` is rejected: \(message)" }
}

private func program(_ pattern: String) -> RegexProgram? {
    switch RegexProgram.compile(pattern) {
    case .success(let p): return p
    case .failure(let e):
        Issue.record("`\(pattern)` failed to compile: \(e.message)")
        return nil
    }
}

private func check(_ c: RegexCase, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let p = program(c.pattern) else { return }
    #expect(p.matches(c.text) == .bool(c.expected), "\(c.testDescription)", sourceLocation: sourceLocation)
}

private func failure(_ pattern: String) -> String? {
    if case .failure(let e) = RegexProgram.compile(pattern) { return e.message }
    return nil
}

private func eval(_ src: String, _ values: [CELValue] = [], _ env: CELEnvironment = CELEnvironment()) -> CELValue {
    switch env.compile(src) {
    case .success(let p): return p.evaluate(CELArrayActivation(values: values))
    case .failure(let d):
        Issue.record("compile of \(src) failed: \(d)")
        return .error(CELError(.other, "compile failed"))
    }
}

// MARK: Unicode classes

@Suite struct RegexUnicodeClassTests {
    static let ticket = "客户反馈：设备无法开机，序列号 SN-20240315，请尽快处理。"

    static let chineseTextCases: [RegexCase] = [
        RegexCase(#"\p{Han}"#, ticket, true),
        RegexCase(#"\p{Han}"#, "Device will not power on", false),
        RegexCase(#"^\p{Han}+$"#, "设备无法开机", true),
        RegexCase(#"^\p{Han}+$"#, "设备 无法开机", false),
        RegexCase(#"无法开机"#, ticket, true),
        RegexCase(#"序列号\s*SN-\d{8}"#, ticket, true),
        RegexCase(#"[\p{Han}\d]{4}"#, "开机2024", true),
        RegexCase(#"^[\p{Han}\p{P}]+$"#, "请尽快处理。", true),
        RegexCase(#"^[\p{Han}\p{P}]+$"#, "请尽快处理!!", true),  // `!` is Po
        RegexCase(#"^[\p{Han}\p{P}]+$"#, "请尽快处理 ok", false),
        RegexCase(#"\p{Han}{2}退款"#, "申请退款", true),
        RegexCase(#"^\p{Han}{2}退款"#, "我要申请退款", false),
        RegexCase(#"(退款|退货)申请"#, "客户提交退货申请", true),
        RegexCase(#"^.{6}$"#, "设备无法开机", true),  // `.` is one scalar, not one byte
        RegexCase(#"\p{Han}"#, "〇", true),  // U+3007 is Han
        RegexCase(#"\p{Han}"#, "𠀀", true),  // U+20000, beyond the BMP
        RegexCase(#"\p{Han}"#, "。", false),  // ideographic full stop is Common
        RegexCase(#"\p{Han}"#, "カ", false),
    ]

    @Test(arguments: RegexUnicodeClassTests.chineseTextCases)
    func chineseText(_ c: RegexCase) { check(c) }

    static let generalCategoriesCases: [RegexCase] = [
        RegexCase(#"\pL"#, "é", true), RegexCase(#"\pL"#, "1", false), RegexCase(#"\p{L}"#, "中", true),
        RegexCase(#"\p{Lu}"#, "É", true), RegexCase(#"\p{Lu}"#, "é", false),
        RegexCase(#"\p{Ll}"#, "é", true), RegexCase(#"\p{Ll}"#, "É", false),
        RegexCase(#"\p{Lt}"#, "\u{01C5}", true), RegexCase(#"\p{Lt}"#, "D", false),
        RegexCase(#"\p{Lm}"#, "\u{02B0}", true), RegexCase(#"\p{Lm}"#, "h", false),
        RegexCase(#"\p{Lo}"#, "中", true), RegexCase(#"\p{Lo}"#, "a", false),
        RegexCase(#"\pM"#, "e\u{0301}", true), RegexCase(#"\pM"#, "é", false),
        RegexCase(#"\p{Mn}"#, "\u{0301}", true), RegexCase(#"\p{Mc}"#, "\u{0903}", true),
        RegexCase(#"\p{Me}"#, "\u{20DD}", true), RegexCase(#"\p{Mn}"#, "\u{0903}", false),
        RegexCase(#"\pN"#, "½", true), RegexCase(#"\pN"#, "x", false),
        RegexCase(#"\p{Nd}"#, "٣", true), RegexCase(#"\p{Nd}"#, "½", false),
        RegexCase(#"\p{Nl}"#, "Ⅻ", true), RegexCase(#"\p{No}"#, "½", true),
        RegexCase(#"\pP"#, "。", true), RegexCase(#"\pP"#, "+", false),
        RegexCase(#"\p{Pc}"#, "_", true), RegexCase(#"\p{Pd}"#, "—", true),
        RegexCase(#"\p{Ps}"#, "（", true), RegexCase(#"\p{Pe}"#, "）", true),
        RegexCase(#"\p{Pi}"#, "«", true), RegexCase(#"\p{Pf}"#, "»", true),
        RegexCase(#"\p{Po}"#, "！", true), RegexCase(#"\p{Po}"#, "(", false),
        RegexCase(#"\pS"#, "€", true), RegexCase(#"\pS"#, "a", false),
        RegexCase(#"\p{Sm}"#, "±", true), RegexCase(#"\p{Sc}"#, "¥", true),
        RegexCase(#"\p{Sk}"#, "^", true), RegexCase(#"\p{So}"#, "©", true),
        RegexCase(#"\pZ"#, "\u{3000}", true), RegexCase(#"\pZ"#, "\t", false),
        RegexCase(#"\p{Zs}"#, " ", true), RegexCase(#"\p{Zl}"#, "\u{2028}", true),
        RegexCase(#"\p{Zp}"#, "\u{2029}", true), RegexCase(#"\p{Zs}"#, "\u{2028}", false),
        RegexCase(#"\pC"#, "\u{200B}", true), RegexCase(#"\pC"#, "a", false),
        RegexCase(#"\p{Cc}"#, "\n", true), RegexCase(#"\p{Cf}"#, "\u{200B}", true),
        RegexCase(#"\p{Co}"#, "\u{E000}", true), RegexCase(#"\p{Co}"#, "\u{F0000}", true),
        RegexCase(#"\p{Cs}"#, "a", false),  // surrogates never occur in a Swift string
        RegexCase(#"\pC"#, "\u{0378}", false),  // unassigned: RE2 has no Cn, and C leaves it out
        RegexCase(#"\p{Any}"#, "\u{10FFFF}", true), RegexCase(#"\p{Any}"#, "", false),
        RegexCase(#"^\p{Any}*$"#, "a\nb", true),
    ]

    @Test(arguments: RegexUnicodeClassTests.generalCategoriesCases)
    func generalCategories(_ c: RegexCase) { check(c) }

    static let scriptsCases: [RegexCase] = [
        RegexCase(#"\p{Latin}"#, "ß", true), RegexCase(#"\p{Latin}"#, "1", false),
        RegexCase(#"\p{Greek}"#, "Ω", true), RegexCase(#"\p{Greek}"#, "\u{2126}", true),  // Ohm sign
        RegexCase(#"\p{Cyrillic}"#, "Ж", true), RegexCase(#"\p{Arabic}"#, "ب", true),
        RegexCase(#"\p{Hebrew}"#, "א", true), RegexCase(#"\p{Devanagari}"#, "क", true),
        RegexCase(#"\p{Thai}"#, "ก", true), RegexCase(#"\p{Hangul}"#, "한", true),
        RegexCase(#"\p{Hiragana}"#, "あ", true), RegexCase(#"\p{Katakana}"#, "ア", true),
        RegexCase(#"\p{Katakana}"#, "あ", false), RegexCase(#"\p{Ethiopic}"#, "ሀ", true),
        RegexCase(#"\p{Common}"#, "1", true), RegexCase(#"\p{Common}"#, "a", false),
        RegexCase(#"\p{Inherited}"#, "\u{0301}", true), RegexCase(#"\p{Braille}"#, "⠁", true),
        RegexCase(#"\p{Kawi}"#, "\u{11F04}", true),  // added in Unicode 15.0
        RegexCase(#"\p{Nag_Mundari}"#, "\u{1E4D0}", true),
        RegexCase(#"\p{Old_Italic}"#, "\u{10300}", true), RegexCase(#"\p{Linear_B}"#, "\u{10000}", true),
        RegexCase(#"\p{Han}"#, "\u{2EBF0}", true),  // CJK Extension I, new in Unicode 15.1
        RegexCase(#"^\p{Hiragana}+\p{Katakana}+\p{Han}+$"#, "ひらがなカタカナ漢字", true),
    ]

    @Test(arguments: RegexUnicodeClassTests.scriptsCases)
    func scripts(_ c: RegexCase) { check(c) }

    static let negationsCases: [RegexCase] = [
        RegexCase(#"\PL"#, "中", false), RegexCase(#"\PL"#, "中1", true),
        RegexCase(#"\P{Han}"#, "设备", false), RegexCase(#"\P{Han}"#, "设备A", true),
        RegexCase(#"\p{^Han}"#, "设备", false), RegexCase(#"\p{^Han}"#, "设备。", true),
        RegexCase(#"\P{^Han}"#, "设备", true), RegexCase(#"\P{^Han}"#, "abc", false),
        RegexCase(#"^\P{Han}+$"#, "ticket #42\n", true),
        RegexCase(#"[^\pL]"#, "abc", false), RegexCase(#"[^\pL]"#, "ab c", true),
        RegexCase(#"[^\P{Han}]"#, "abc", false), RegexCase(#"[^\P{Han}]"#, "ab中", true),
        RegexCase(#"[\P{Han}]"#, "中", false), RegexCase(#"\P{Any}"#, "abc", false),
        RegexCase(#"[^\p{Any}]"#, "abc", false), RegexCase(#"\PN"#, "123", false),
        RegexCase(#"[^\n]"#, "\n", false), RegexCase(#"[^a]"#, "\n", true),  // classes match \n
    ]

    @Test(arguments: RegexUnicodeClassTests.negationsCases)
    func negations(_ c: RegexCase) { check(c) }

    static let scriptsInBracketsCases: [RegexCase] = [
        RegexCase(#"[\p{Hiragana}\p{Katakana}]+"#, "カタカナ", true),
        RegexCase(#"^[\p{Hiragana}\p{Katakana}]+$"#, "ひらがなと漢字", false),
        RegexCase(#"[\p{Greek}\d]"#, "λ", true), RegexCase(#"[\p{Greek}\d]"#, "7", true),
        RegexCase(#"[\p{Greek}\d]"#, "x", false),
        RegexCase(#"^[^\p{Latin}\s]+$"#, "Москва", true), RegexCase(#"^[^\p{Latin}\s]+$"#, "Moscow", false),
        RegexCase(#"[\pL&&]"#, "&", true),  // no class intersection in RE2: `&` is a literal
        RegexCase(#"^[\p{Han}a-z0-9_]+$"#, "设备_ok_42", true),
        RegexCase(#"[\p{Cyrillic}[:digit:]]"#, "5", true),
        RegexCase(#"[\PL\p{Han}]"#, "中", true), RegexCase(#"[\PL\p{Han}]"#, "a", false),
        RegexCase(#"[\p{Lu}-]"#, "-", true), RegexCase(#"[\p{Lu}-z]"#, "z", true),
        RegexCase(#"[\p{Lu}-z]"#, "y", false),
    ]

    @Test(arguments: RegexUnicodeClassTests.scriptsInBracketsCases)
    func scriptsInBrackets(_ c: RegexCase) { check(c) }

    /// Every name on the RE2 syntax page resolves, and the tables are RE2's: 199 groups.
    @Test func tablesHoldEveryGroupRE2Knows() {
        #expect(RegexUnicodeTables.unicodeVersion == "15.1.0")
        let categories = [
            "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd",
            "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl",
            "Zp", "Zs",
        ]
        let names = Set(RegexUnicodeTables.groupNames)
        #expect(names.count == 199)
        #expect(Set(categories).isSubset(of: names))
        #expect(names.subtracting(categories).count == 163)  // scripts
        for name in names.sorted() {
            #expect(failure(#"\p{"# + name + "}") == nil, "\\p{\(name)}")
            #expect(failure(#"[\P{^"# + name + "}]") == nil, "[\\P{^\(name)}]")
        }
        // One-letter categories are the union of their two-letter ones.
        for major in ["C", "L", "M", "N", "P", "S", "Z"] {
            let parts = categories.filter { $0.count == 2 && $0.hasPrefix(major) }
            let union = ScalarSet.normalize(parts.flatMap { ScalarSet.unicodeGroup($0) ?? [] })
            #expect(ScalarSet.unicodeGroup(major) == union, "\(major) = \(parts)")
        }
        // Each group's ranges are sorted and disjoint.
        for name in names {
            let r = ScalarSet.unicodeGroup(name) ?? []
            #expect(ScalarSet.normalize(r) == r || name == "Any", "\(name)")
        }
    }
}

// MARK: Case folding

@Suite struct RegexCaseFoldingTests {
    static let foldingCases: [RegexCase] = [
        RegexCase("(?i)k", "K", true), RegexCase("(?i)k", "\u{212A}", true),  // Kelvin sign
        RegexCase("(?i)\u{212A}", "k", true), RegexCase("(?i)K", "\u{212A}", true),
        RegexCase("(?i)s", "\u{017F}", true),  // long s
        RegexCase("(?i)σ", "Σ", true), RegexCase("(?i)σ", "ς", true), RegexCase("(?i)ς", "Σ", true),
        RegexCase("(?i)é", "É", true), RegexCase("(?i)Straße", "STRAẞE", true),
        RegexCase("(?i)straße", "STRASSE", false),  // simple folding only, as RE2
        RegexCase("(?i)ǆ", "ǅ", true), RegexCase("(?i)ǆ", "Ǆ", true),  // titlecase orbit
        RegexCase("(?i)ω", "\u{2126}", true),  // Ohm sign folds with omega
        RegexCase("(?i)ǰ", "J̌", false),  // no simple fold
        RegexCase("(?i)ﬀ", "FF", false),
        RegexCase("(?i)\u{10400}", "\u{10428}", true),  // Deseret, beyond the BMP
        RegexCase("(?i)[a-z]+$", "HELLO", true), RegexCase("(?i)[k]", "\u{212A}", true),
        RegexCase("(?i)[^k]", "K", false), RegexCase("(?i)[^k]", "\u{212A}", false),
        RegexCase("(?i)[^k]", "x", true),
        RegexCase(#"(?i)\p{Lu}"#, "a", true), RegexCase(#"\p{Lu}"#, "a", false),
        RegexCase(#"(?i)\P{Lu}"#, "a", false),  // complement of the folded group
        RegexCase(#"(?i)\w"#, "\u{212A}", true), RegexCase(#"\w"#, "\u{212A}", false),
        RegexCase(#"(?i)\W"#, "\u{212A}", false), RegexCase(#"\W"#, "\u{212A}", true),
        RegexCase(#"(?i)[[:upper:]]"#, "q", true), RegexCase(#"(?i)[[:^lower:]]"#, "Q", false),
        RegexCase("(?i)ΣΊΣΥΦΟΣ", "σίσυφος", true),
        RegexCase("(?i)设备", "设备", true),
        RegexCase("(?i:a)b", "AB", false), RegexCase("(?i:a)b", "Ab", true),
        RegexCase("(?i)a(?-i)b", "AB", false), RegexCase("(?i)a(?-i:b)c", "AbC", true),
        RegexCase("((?i)a)b", "AB", false),  // flags end with their group
        RegexCase("(?i)a|b", "B", true),  // and reach across `|`
        RegexCase(#"(?i)\Qk.\E"#, "\u{212A}.", true), RegexCase(#"(?i)\x{212A}"#, "k", true),
    ]

    @Test(arguments: RegexCaseFoldingTests.foldingCases)
    func unicodeSimpleCaseFolding(_ c: RegexCase) { check(c) }

    /// Every orbit of the folding table is closed: folding any member gives the same set.
    @Test func foldOrbitsAreClosed() {
        let f = RegexUnicodeTables.foldNext
        #expect(f.count == 2 * 2884)
        var k = 0
        while k + 1 < f.count {
            let c = f[k]
            let orbit = ScalarSet.foldClosure([c, c])
            #expect(ScalarSet.foldClosure([f[k + 1], f[k + 1]]) == orbit, "U+\(String(c, radix: 16))")
            k += 2
        }
    }
}

// MARK: The rest of RE2's syntax

@Suite struct RegexSyntaxTests {
    static let supportedCases: [RegexCase] = [
        // \Q...\E: literal text; a quantifier after it takes the last character.
        RegexCase(#"\Qa.b*c\E"#, "xa.b*cx", true), RegexCase(#"\Qa.b*c\E"#, "aXbbc", false),
        RegexCase(#"^\Qab\E*$"#, "abbb", true), RegexCase(#"^\Qab\E*$"#, "abab", false),
        RegexCase(#"\Q(unclosed"#, "x(unclosed", true), RegexCase(#"a\Q\E*"#, "", true),
        RegexCase(#"\Q\\E"#, "\\", true),
        // Octal.
        RegexCase(#"\101"#, "A", true), RegexCase(#"\0"#, "\u{0}", true), RegexCase(#"\12"#, "\n", true),
        RegexCase(#"^\1010$"#, "A0", true), RegexCase(#"^\08$"#, "\u{0}8", true),
        RegexCase(#"[\060-\071]"#, "5", true), RegexCase(#"\777"#, "\u{1FF}", true),
        // Hex and C escapes.
        RegexCase(#"\x41\x{4E2D}"#, "A中", true), RegexCase(#"\x{1F600}"#, "😀", true),
        RegexCase(#"\x{0000041}"#, "A", true), RegexCase(#"\x{D800}"#, "a", false),
        RegexCase(#"\a\f\t\n\r\v"#, "\u{7}\u{C}\t\n\r\u{B}", true),
        RegexCase(##"\_\-\ \<\>\`\~\!\@\#\%\&\=\:\;\"\'\,\/"##, "_- <>`~!@#%&=:;\"',/", true),
        // \C: one byte in RE2, one scalar here; the same on ASCII.
        RegexCase(#"a\Cc"#, "abc", true), RegexCase(#"a\Cc"#, "a\nc", true), RegexCase(#"^\C$"#, "中", true),
        // Anchors.
        RegexCase(#"\Aab"#, "cab", false), RegexCase(#"ab\z"#, "ab\n", false), RegexCase(#"ab$"#, "ab\n", false),
        RegexCase(#"(?m)^b$"#, "a\nb\nc", true), RegexCase(#"^b$"#, "a\nb\nc", false),
        RegexCase(#"(?m)\Ab"#, "a\nb", false), RegexCase(#"(?m)a\z"#, "a\nb", false),
        RegexCase(#"\bfoo\b"#, "a foo.", true), RegexCase(#"\bfoo\b"#, "afoo", false),
        RegexCase(#"\Bfoo"#, "afoo", true), RegexCase(#"\bé"#, " é", false),  // \b is ASCII
        RegexCase(#"^*a"#, "a", true), RegexCase(#"\b+a"#, "a", true), RegexCase(#"$*"#, "", true),
        // RE2 matches bytes and finds an empty `\B` between the two bytes of `Ω`; between
        // scalars every position of these texts is a word boundary.
        RegexCase(#"\B"#, "1ΩK", true), RegexCase(#"\B"#, "1 K", false), RegexCase(#"^\B"#, "1ΩK", false),
        // Perl, POSIX classes, inside and outside brackets.
        RegexCase(#"[[:alpha:]]"#, "é", false), RegexCase(#"[[:alpha:]]"#, "e", true),
        RegexCase(#"^[[:^alpha:]]+$"#, "123 !", true), RegexCase(#"[[:^alpha:]]"#, "abc", false),
        RegexCase(#"[^[:digit:]]"#, "123", false), RegexCase(#"[[:word:][:punct:]]"#, "!", true),
        RegexCase(#"[[:xdigit:]]{4}"#, "BEEF", true), RegexCase(#"[[:space:]]"#, "\u{B}", true),
        RegexCase(#"\s"#, "\u{B}", false),  // \s leaves out \v, as in RE2
        RegexCase(#"[\d\s]+x"#, "1 2x", true), RegexCase(#"[^\D]"#, "a1", true), RegexCase(#"[^\D]"#, "ab", false),
        RegexCase(#"[\W\d]"#, "a", false), RegexCase(#"\d"#, "٣", false),  // \d is ASCII
        RegexCase(#"[[:a]"#, ":", true),  // no closing `:]`: a literal `[`
        // Brackets: `]` first, `-` first or last or between ranges.
        RegexCase(#"[]a]"#, "]", true), RegexCase(#"[^]a]"#, "]", false), RegexCase(#"[a-]"#, "-", true),
        RegexCase(#"[-a]"#, "-", true), RegexCase(#"[a-c-e]"#, "-", true), RegexCase(#"[a-c-e]"#, "d", false),
        RegexCase(#"[\]\\]"#, "\\", true), RegexCase(#"[\x{4E00}-\x{9FFF}]"#, "中", true),
        // Flags.
        RegexCase(#"(?s).+"#, "\n", true), RegexCase(#"."#, "\n", false), RegexCase(#"(?s:.)"#, "\n", true),
        RegexCase(#"(?U)a+"#, "aaa", true), RegexCase(#"(?U)(a+?)b"#, "aab", true),
        RegexCase(#"(?sm-iU:^.b$)"#, "x\n\nb", true), RegexCase(#"(?i-i)A"#, "a", false),
        RegexCase(#"(?)a"#, "a", true), RegexCase(#"(?i)(?i)A"#, "a", true),
        // Groups.
        RegexCase(#"(?P<id>\d+)-(?<part>\w+)"#, "42-ab", true), RegexCase(#"(?P<名字>\p{Han}+)"#, "设备", true),
        RegexCase(#"(?P<a>x)(?P<a>y)"#, "xy", true),  // RE2 allows a repeated name
        RegexCase(#"(?:)*a"#, "a", true), RegexCase(#"()*a"#, "a", true), RegexCase(#"(|a)+b"#, "b", true),
        // Repetition.
        RegexCase(#"^a{2}?$"#, "aa", true), RegexCase(#"^a{2,}?$"#, "aaaa", true), RegexCase(#"^a{0}$"#, "", true),
        RegexCase(#"^a{1,3}$"#, "aaaa", false), RegexCase(#"a{,2}"#, "a{,2}", true),
        RegexCase(#"a{01}"#, "a{01}", true),
        RegexCase(#"a{2"#, "a{2", true), RegexCase(#"a{x}"#, "a{x}", true), RegexCase(#"x{1000}"#, "x", false),
        RegexCase(#"^(?:a{10}){100}$"#, String(repeating: "a", count: 1000), true),
        RegexCase(#"a*?b+?c??"#, "bc", true), RegexCase(#"a{99999999999}"#, "a{99999999999}", true),
    ]

    @Test(arguments: RegexSyntaxTests.supportedCases)
    func supported(_ c: RegexCase) { check(c) }

    static let rejectedAsNotRE2Cases: [RejectCase] = [
        // Backreferences.
        RejectCase(#"(a)\1"#, "backreference `\\1` is not supported by RE2 syntax"),
        RejectCase(#"\8"#, "backreference `\\8` is not supported by RE2 syntax"),
        RejectCase(#"\g1"#, "backreference `\\g` is not supported by RE2 syntax"),
        RejectCase(#"\g{-1}"#, "backreference `\\g` is not supported by RE2 syntax"),
        RejectCase(#"\k<n>"#, "named backreference `\\k` is not supported by RE2 syntax"),
        RejectCase(#"(?P<n>a)(?P=n)"#, "named backreference `(?P=` is not supported by RE2 syntax"),
        // Lookaround and other empty-width assertions.
        RejectCase(#"a(?=b)"#, "lookahead `(?=` is not supported by RE2 syntax"),
        RejectCase(#"a(?!b)"#, "lookahead `(?!` is not supported by RE2 syntax"),
        RejectCase(#"(?<=a)b"#, "lookbehind `(?<=` is not supported by RE2 syntax"),
        RejectCase(#"(?<!a)b"#, "lookbehind `(?<!` is not supported by RE2 syntax"),
        RejectCase(#"a\Z"#, "`\\Z` is not supported by RE2 syntax; write `\\z`"),
        RejectCase(#"\G"#, "`\\G` is not supported by RE2 syntax"),
        RejectCase(#"a\K"#, "`\\K` is not supported by RE2 syntax"),
        // Possessive and atomic.
        RejectCase(#"a*+"#, "possessive quantifier `*+` is not supported by RE2 syntax"),
        RejectCase(#"a++"#, "possessive quantifier `++` is not supported by RE2 syntax"),
        RejectCase(#"a?+"#, "possessive quantifier `?+` is not supported by RE2 syntax"),
        RejectCase(#"a{2,3}+"#, "possessive quantifier `{2,3}+` is not supported by RE2 syntax"),
        RejectCase(#"(?>a+)b"#, "atomic group `(?>` is not supported by RE2 syntax"),
        // Other Perl and PCRE groups.
        RejectCase(#"(?#note)a"#, "comment `(?#` is not supported by RE2 syntax"),
        RejectCase(#"(?|a|b)"#, "branch reset `(?|` is not supported by RE2 syntax"),
        RejectCase(#"(a)?(?(1)b|c)"#, "conditional `(?(` is not supported by RE2 syntax"),
        RejectCase(#"(?R)"#, "recursion `(?R` is not supported by RE2 syntax"),
        RejectCase(#"(a)(?1)"#, "recursion `(?1` is not supported by RE2 syntax"),
        RejectCase(#"(a)(?-1)"#, "recursion `(?-` is not supported by RE2 syntax"),
        RejectCase(#"(?&n)"#, "recursion `(?&` is not supported by RE2 syntax"),
        RejectCase(#"(?P>n)"#, "recursion `(?P` is not supported by RE2 syntax"),
        RejectCase(#"(?'n'a)"#, "named group `(?'` is not supported by RE2 syntax"),
        RejectCase(#"(?{code})"#, "embedded code `(?{` is not supported by RE2 syntax"),
        RejectCase(#"(?C1)"#, "callout `(?C` is not supported by RE2 syntax"),
        RejectCase(#"(*ACCEPT)a"#, "backtracking control verb `(*ACCEPT)` is not supported by RE2 syntax"),
        RejectCase(#"a(*FAIL)"#, "backtracking control verb `(*FAIL)` is not supported by RE2 syntax"),
        RejectCase(#"(?x) a b"#, "flag `x` in `(?x` is not supported by RE2 syntax"),
        // PCRE escapes.
        RejectCase(#"\e"#, "`\\e` is not supported by RE2 syntax; write `\\x1B`"),
        RejectCase(#"\cK"#, "control escape `\\c` is not supported by RE2 syntax"),
        RejectCase(#"\h"#, "`\\h` is not supported by RE2 syntax"),
        RejectCase(#"\R"#, "`\\R` is not supported by RE2 syntax"),
        RejectCase(#"\X"#, "`\\X` is not supported by RE2 syntax"),
        RejectCase(#"\N{DIGIT ONE}"#, "`\\N` is not supported by RE2 syntax"),
        RejectCase(#"\uFFFF"#, "`\\u` is not supported by RE2 syntax"),
        RejectCase(#"a\E"#, "`\\E` without `\\Q` is not supported by RE2 syntax"),
        RejectCase(#"[\b]"#, "backspace `[\\b]` is not supported by RE2 syntax; write `\\x08`"),
        RejectCase(#"\p{Cn}"#, "Unicode class `\\p{Cn}` is not supported by RE2 syntax"),
        RejectCase(#"\p{LC}"#, "Unicode class `\\p{LC}` is not supported by RE2 syntax"),
        RejectCase(#"[\p{L&}]"#, "Unicode class `\\p{L&}` is not supported by RE2 syntax"),
    ]

    @Test(arguments: RegexSyntaxTests.rejectedAsNotRE2Cases)
    func rejectedAsNotRE2(_ c: RejectCase) {
        let message = failure(c.pattern)
        #expect(message?.hasPrefix("invalid regular expression: ") == true, "\(message ?? "accepted")")
        #expect(message?.contains(c.message) == true, "\(message ?? "accepted")")
    }

    static let rejectedAsInvalidCases: [RejectCase] = [
        RejectCase(#"\p{Foo}"#, "unknown Unicode class `\\p{Foo}`"),
        RejectCase(#"\p{greek}"#, "unknown Unicode class `\\p{greek}`; did you mean `\\p{Greek}`?"),
        RejectCase(#"\P{^han}"#, "did you mean `\\P{^Han}`?"),
        RejectCase(#"\pX"#, "unknown Unicode class `\\pX`"),
        RejectCase(#"\p{Han"#, "missing closing } in `\\p{Han`"),
        RejectCase(#"\p"#, "missing Unicode class name after `\\p`"),
        RejectCase(#"[[:foo:]]"#, "unknown POSIX class `[:foo:]`"),
        RejectCase(#"a**"#, "bad repetition operator `**`"),
        RejectCase(#"a*?*"#, "bad repetition operator `*?*`"),
        RejectCase(#"a{2}{3}"#, "bad repetition operator `{2}{3}`"),
        RejectCase(#"*a"#, "missing argument to repetition operator `*`"),
        RejectCase(#"(?i)*"#, "missing argument to repetition operator `*`"),
        RejectCase(#"a|*"#, "missing argument to repetition operator `*`"),
        RejectCase(#"\Q\E*"#, "missing argument to repetition operator `*`"),
        RejectCase(#"a{1001}"#, "bad repetition count `{1001}`"),
        RejectCase(#"a{3,2}"#, "bad repetition count `{3,2}`"),
        RejectCase(#"(a{10}){101}"#, "nested counts make more than 1000 copies"),
        RejectCase(#"((a{2}){2}){251}"#, "nested counts make more than 1000 copies"),
        RejectCase(#"[]"#, "missing closing ]"),
        RejectCase(#"[a"#, "missing closing ] in `[a`"),
        RejectCase(#"[z-a]"#, "invalid character class range `z-a`"),
        RejectCase(#"[a-\d]"#, "invalid character class range `a-\\d`"),
        RejectCase(#"(a"#, "missing closing )"),
        RejectCase(#"a)"#, "unexpected )"),
        RejectCase(#"(?P<a-b>x)"#, "invalid named capture `(?P<a-b>`"),
        RejectCase(#"(?P<>x)"#, "invalid named capture `(?P<>`"),
        RejectCase(#"(?P<a"#, "invalid named capture `(?P<a`"),
        RejectCase(#"(?-)"#, "invalid or unsupported perl syntax `(?-)`"),
        RejectCase(#"(?i-:a)"#, "invalid or unsupported perl syntax `(?i-:`"),
        RejectCase(#"(?--i)"#, "invalid or unsupported perl syntax `(?--`"),
        RejectCase(#"(?i"#, "missing closing )"),
        RejectCase(#"\x{110000}"#, "invalid escape sequence `\\x{110000`"),
        RejectCase(#"\x{}"#, "invalid escape sequence `\\x{}`"),
        RejectCase(#"\xZ1"#, "invalid escape sequence `\\xZ1`"),
        RejectCase(#"\q"#, "invalid escape sequence `\\q`"),
        RejectCase(#"\é"#, "invalid escape sequence `\\é`"),
        RejectCase(#"[\A]"#, "invalid escape sequence `\\A` in a character class"),
        RejectCase(#"[\Qa\E]"#, "invalid escape sequence `\\Q` in a character class"),
        RejectCase(#"ab\"#, "trailing backslash at end of expression"),
    ]

    @Test(arguments: RegexSyntaxTests.rejectedAsInvalidCases)
    func rejectedAsInvalid(_ c: RejectCase) {
        let message = failure(c.pattern)
        #expect(message?.hasPrefix("invalid regular expression: ") == true, "\(message ?? "accepted")")
        #expect(message?.contains(c.message) == true, "\(message ?? "accepted")")
    }

    @Test func celMatchesUsesTheFullDialect() {
        var env = CELEnvironment()
        env.declare(variable: "note", type: .string)
        #expect(eval(#"''.matches('\\pL')"#) == .bool(false))
        #expect(eval(#"'设备无法开机'.matches('^\\p{Han}+$')"#) == .bool(true))
        #expect(eval(#"note.matches('(?i)^\\p{Greek}+\\s\\d+$')"#, [.string("ΣΊΣΥΦΟΣ 7")], env) == .bool(true))
        #expect(eval(#"matches(note, '[\\p{Hiragana}\\p{Katakana}]')"#, [.string("テスト")], env) == .bool(true))
        switch env.compile(#"note.matches('(a)\\1')"#) {
        case .success: Issue.record("a backreference must not compile")
        case .failure(let d):
            #expect(d.diagnostics.first?.message
                        == "invalid regular expression: backreference `\\1` is not supported by RE2 syntax")
        }
        // A pattern known only at run time fails there, with the same message.
        env.declare(variable: "pattern", type: .string)
        let v = eval("note.matches(pattern)", [.string("x"), .string("(?<=a)b")], env)
        guard case .error(let e) = v else {
            Issue.record("expected an error, got \(v)")
            return
        }
        #expect(e.message == "invalid regular expression: lookbehind `(?<=` is not supported by RE2 syntax")
    }
}

// MARK: Linear time

@Suite struct RegexLinearTimeTests {
    struct Pathological: Sendable, CustomTestStringConvertible {
        let pattern: String
        let text: String
        let expected: Bool
        var testDescription: String { "`\(pattern)` on \(text.unicodeScalars.count) scalars" }
    }

    static let a5000 = String(repeating: "a", count: 5000)
    static let han5000 = String(repeating: "设备", count: 2500)

    /// Patterns that take exponential time in a backtracking engine. The VM's step count is
    /// bounded by the program size times the input length, whatever the pattern.
    static let pathologicalCases: [Pathological] = [
        Pathological(pattern: "(a*)*b", text: a5000, expected: false),
        Pathological(pattern: "(a|aa)+c$", text: a5000 + "c", expected: true),
        Pathological(pattern: "(a|a)*b", text: a5000, expected: false),
        Pathological(pattern: "^(a+)+$", text: a5000 + "!", expected: false),
        Pathological(pattern: "(?i)(A{1,20}){1,20}B", text: a5000, expected: false),
        Pathological(pattern: #"(\p{Han}*)*x"#, text: han5000, expected: false),
        Pathological(pattern: #"(?i)(\pL|\p{Han}\p{Han})+\d$"#, text: han5000, expected: false),
        Pathological(pattern: #"[\p{Han}\p{Latin}]{100}$"#, text: han5000, expected: true),
        Pathological(pattern: #"(.*){20}z"#, text: a5000, expected: false),
    ]

    @Test(arguments: RegexLinearTimeTests.pathologicalCases)
    func stepsAreBoundedByProgramSizeTimesInput(_ c: Pathological) {
        guard let p = program(c.pattern) else { return }
        let (matched, steps) = p.run(c.text)
        #expect(matched == c.expected)
        let bound = 2 * p.insts.count * (c.text.unicodeScalars.count + 1)
        #expect(steps <= bound, "\(steps) steps for \(p.insts.count) instructions")
    }

    /// A Unicode class costs one instruction however many ranges it has, and nested counted
    /// repetitions cannot multiply past RE2's limit of 1000 copies.
    @Test func programSizeStaysBounded() {
        #expect(program(#"\p{L}"#)?.insts.count == 2)
        #expect(program(#"[\p{Han}\p{Latin}\d]"#)?.insts.count == 2)
        #expect(program(#"(?i)\p{Greek}"#)?.insts.count == 2)
        #expect(program(#"\pL\pL\pL"#)?.classes.count == 1)  // identical classes are shared
        #expect(program(#"(?:\pL{10}){100}"#)?.insts.count == 1001)
        #expect(failure(#"(?:\pL{10}){101}"#) != nil)
        #expect(failure("((a{10}){10}){11}") != nil)
        #expect(failure(String(repeating: "(", count: 200) + String(repeating: ")", count: 200))
                    == "invalid regular expression: nesting too deep")
        #expect(failure(String(repeating: "a{1000}", count: 21)) == "regular expression too large")
    }
}

// MARK: Differential testing against RE2

/// Asks RE2 itself, through Python's `google-re2` package (module `re2`), when it is
/// installed: `pip install google-re2`. Without it these tests are skipped.
enum RE2Oracle {
    static let script = """
        import json, sys
        import re2
        opts = re2.Options()
        opts.log_errors = False
        out = []
        for pattern, texts in json.load(sys.stdin):
            try:
                r = re2.compile(pattern, opts)
            except Exception:
                out.append(None)
                continue
            out.append([r.search(t) is not None for t in texts])
        json.dump(out, sys.stdout)
        """

    static let available: Bool = (try? run([("a", ["a"])])) != nil

    /// For each pattern, nil when RE2 rejects it, else whether it matches each text.
    static func run(_ cases: [(String, [String])]) throws -> [[Bool]?] {
        let input = try JSONSerialization.data(withJSONObject: cases.map { [$0.0, $0.1] as [Any] })
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Write on another thread so that a large answer cannot deadlock both pipes.
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let answers = try JSONSerialization.jsonObject(with: output) as? [Any], answers.count == cases.count
        else { throw CELError(.other, "re2 oracle failed") }
        return answers.map { $0 as? [Bool] }
    }

    /// Compares our answers with RE2's; returns descriptions of the first disagreements.
    static func compare(_ cases: [(String, [String])]) throws -> (checked: Int, disagreements: [String]) {
        let theirs = try run(cases)
        var out: [String] = []
        var checked = 0
        for ((pattern, texts), re2) in zip(cases, theirs) {
            let ours = RegexProgram.compile(pattern)
            switch (ours, re2) {
            case (.failure, nil): checked += 1
            case (.failure(let e), .some):
                out.append("`\(pattern)`: RE2 accepts, we reject: \(e.message)")
            case (.success, nil):
                out.append("`\(pattern)`: RE2 rejects, we accept")
            case (.success(let p), .some(let answers)):
                for (text, expected) in zip(texts, answers) {
                    checked += 1
                    if p.matches(text) != .bool(expected) {
                        out.append("`\(pattern)` on \(RegexCase.show(text)): RE2 says \(expected)")
                    }
                }
            }
            if out.count >= 25 { break }
        }
        return (checked, out)
    }
}

@Suite(.enabled(if: RE2Oracle.available, "Python's google-re2 package (module re2) is not installed"))
struct RegexDifferentialTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    /// Scalars for texts and literals, folding ones first: `K` and the Kelvin sign, `s` and
    /// the long s, the three sigmas, `ß` and `ẞ`, Turkish `İ` and `ı` (no simple fold to `i`),
    /// `θ` and `ϑ`, `µ` and `μ`, `Å` and the Ångström sign, Deseret beyond the BMP.
    static let letters = [
        "a", "b", "k", "K", "\u{212A}", "s", "S", "\u{017F}", "é", "É", "ß", "ẞ", "σ", "Σ", "ς", "ω", "\u{2126}",
        "İ", "ı", "i", "I", "ϑ", "θ", "Θ", "µ", "μ", "Μ", "Å", "\u{212B}", "å", "ﬅ", "ﬆ", "\u{10400}", "\u{10428}",
        "ᲀ", "в", "В", "ẛ", "ṡ", "\u{1E9E}", "ǅ", "\u{0301}", "中", "文", "ア", "あ", "한", "Ж", "1", "٣", "😀",
        "_", " ", "\n", "\t", "\u{B}", "\r", "-", ".", "!", "。", "#", "{", "}",
    ]

    /// Every pattern of the other tests, on texts that exercise it.
    @Test func curatedPatternsAgreeWithRE2() throws {
        let texts = Self.letters + ["", "aK", "中文。", "ab\nc", "Σίσυφος", "12-ab", "a.b*c", "\u{7}\u{C}", "BEEF"]
        var cases: [(String, [String])] = []
        let all = RegexUnicodeClassTests.chineseTextCases + RegexUnicodeClassTests.generalCategoriesCases
            + RegexUnicodeClassTests.scriptsCases + RegexUnicodeClassTests.negationsCases
            + RegexUnicodeClassTests.scriptsInBracketsCases + RegexCaseFoldingTests.foldingCases
            + RegexSyntaxTests.supportedCases
        for c in all where !c.pattern.contains(#"\C"#) {
            cases.append((c.pattern, [c.text] + texts))
        }
        for c in RegexSyntaxTests.rejectedAsNotRE2Cases + RegexSyntaxTests.rejectedAsInvalidCases {
            cases.append((c.pattern, []))
        }
        let (checked, bad) = try RE2Oracle.compare(cases)
        #expect(bad.isEmpty, "\(bad.joined(separator: "\n"))")
        #expect(checked > 1000)
    }

    /// Random well-formed patterns from RE2's constructs, on random texts.
    @Test func randomPatternsAgreeWithRE2() throws {
        var rng = Rng(state: 0x5EED_CE12)
        let atoms = [
            ".", #"\d"#, #"\D"#, #"\w"#, #"\W"#, #"\s"#, #"\S"#, #"\pL"#, #"\p{Lu}"#, #"\p{Ll}"#, #"\PN"#,
            #"\p{Han}"#, #"\p{Greek}"#, #"\p{^Latin}"#, #"\P{Common}"#, #"\pP"#, #"\pZ"#, #"\p{Any}"#, "^", "$",
            #"\b"#, #"\B"#, #"\A"#, #"\z"#, #"\x{4E2D}"#, #"\x41"#, #"\101"#, #"\n"#, #"\."#, #"\Qa.\E"#,
            "(?i)", "(?-i)", "(?s)", "(?m)", "(?-m)", #"\Q(?i)*\E"#, #"\x{130}"#, #"\x{1E9E}"#, #"\P{Ll}"#,
            #"\p{Lt}"#, #"\p{Cyrillic}"#, #"\p{^Greek}"#, #"\pN"#, #"\v"#, #"\S"#,
        ]
        let classItems = [
            "a-z", "A-Z", "0-9", "k", "s", #"\d"#, #"\W"#, #"\pL"#, #"\p{Han}"#, #"\P{Greek}"#, "[:alpha:]",
            "[:^space:]", "é", "-", "ſ", "中-文", "σ", #"\x{2126}"#, ".", "]",
            #"\P{Lu}"#, #"\p{^Ll}"#, "À-ÿ", "ı", "İ", #"A-\x{2FF}"#, #"\x{100}-\x{17F}"#, "[:upper:]", "[:^lower:]",
            #"\PL"#, "θ-ϑ", #"\x{10400}-\x{1044F}"#, #"\S"#, #"\D"#,
        ]
        let quantifiers = [
            "", "", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "*?", "+?", "??", "{2,}?", "{0}", "{3,5}", "{1}",
        ]
        let opens = ["(", "(?:", "(?i:", "(?s:", "(?m:", "(?-i:", "(?P<g>", "(?U:"]
        func regex(_ depth: Int) -> String {
            (0...rng.below(2)).map { _ in concat(depth) }.joined(separator: "|")
        }
        func concat(_ depth: Int) -> String {
            (0...rng.below(4)).map { _ in atom(depth) + rng.pick(quantifiers) }.joined()
        }
        func atom(_ depth: Int) -> String {
            switch rng.below(10) {
            case 0...3: return rng.pick(Self.letters.filter { $0 != "." })
            case 4, 5: return rng.pick(atoms)
            case 6, 7:
                let items = (0...rng.below(3)).map { _ in rng.pick(classItems) }.joined()
                return "[" + (rng.below(3) == 0 ? "^" : "") + (items.hasPrefix("]") ? "a" + items : items) + "]"
            default:
                return depth > 2 ? "a" : rng.pick(opens) + regex(depth + 1) + ")"
            }
        }
        var cases: [(String, [String])] = []
        for _ in 0..<2500 {
            let flags = ["", "", "(?i)", "(?s)", "(?m)", "(?i)(?m)"][rng.below(6)]
            let pattern = flags + regex(0)
            let texts = (0..<8).map { _ in (0..<rng.below(9)).map { _ in rng.pick(Self.letters) }.joined() }
            cases.append((pattern, texts))
        }
        let (checked, bad) = try RE2Oracle.compare(cases)
        #expect(bad.isEmpty, "\(bad.joined(separator: "\n"))")
        #expect(checked > 10_000)
    }

    /// Random strings of regex punctuation: RE2 and we accept and reject the same ones, and
    /// agree on what the accepted ones match.
    @Test func randomSyntaxIsAcceptedExactlyWhenRE2AcceptsIt() throws {
        var rng = Rng(state: 0xAB5E_17)
        let pieces = [
            "(", ")", "[", "]", "{", "}", "*", "+", "?", "|", "\\", "^", "$", ".", "-", ":", "a", "1", "0", "7", ",",
            "P", "p", "<", ">", "=", "!", "i", "Q", "E", "d", "x", "#", "'", "L", "s", "m", "U", "b", "z", "{2}",
            "{1,2}", "[:", ":]", "(?", "\\p{", "Han", "}", "_", "C", "中", "é", "\\x{", "8", "9",
        ]
        var cases: [(String, [String])] = []
        var seen = Set<String>()
        while cases.count < 4000 {
            let pattern = (0...rng.below(6)).map { _ in rng.pick(pieces) }.joined()
            guard seen.insert(pattern).inserted, !pattern.contains(#"\C"#) else { continue }
            let texts = (0..<4).map { _ in (0..<rng.below(6)).map { _ in rng.pick(pieces) }.joined() }
            cases.append((pattern, texts))
        }
        let (checked, bad) = try RE2Oracle.compare(cases)
        #expect(bad.isEmpty, "\(bad.joined(separator: "\n"))")
        #expect(checked > 4000)
    }
}
