import Testing
@testable import VerdictYAML

func parseOK(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> YAMLNode? {
    switch YAMLDocument.parse(Array(text.utf8)) {
    case .success(let node):
        return node
    case .failure(let errors):
        Issue.record("unexpected diagnostics: \(errors)", sourceLocation: sourceLocation)
        return nil
    }
}

func parseErrors(_ bytes: [UInt8], limits: YAMLLimits = .init(), sourceLocation: SourceLocation = #_sourceLocation) -> [YAMLDiagnostic] {
    switch YAMLDocument.parse(bytes, limits: limits) {
    case .success:
        Issue.record("expected diagnostics", sourceLocation: sourceLocation)
        return []
    case .failure(let errors):
        return errors.diagnostics
    }
}

func parseErrors(_ text: String, limits: YAMLLimits = .init(), sourceLocation: SourceLocation = #_sourceLocation) -> [YAMLDiagnostic] {
    parseErrors(Array(text.utf8), limits: limits, sourceLocation: sourceLocation)
}

func m(_ line: Int, _ column: Int) -> YAMLMark { YAMLMark(line: line, column: column) }

@Suite struct PositionTests {
    @Test func keysValuesAndItems() throws {
        let root = try #require(parseOK("""
        name: warranty
        rules:
          - id: r1
            when: ticket.age > 3
          - [a, b]
        """))
        let pairs = try #require(root.mapping)
        #expect(root.keys == ["name", "rules"])
        #expect(pairs[0].key.span == YAMLSpan(start: m(1, 1), end: m(1, 5)))
        #expect(pairs[0].value.span == YAMLSpan(start: m(1, 7), end: m(1, 15)))
        let rules = try #require(root.value(forKey: "rules")?.sequence)
        #expect(rules.count == 2)
        #expect(rules[0].span.start == m(3, 5))
        #expect(rules[0].value(forKey: "when")?.span.start == m(4, 11))
        #expect(rules[0].mapping?[1].key.span.start == m(4, 5))
        #expect(rules[1].span == YAMLSpan(start: m(5, 5), end: m(5, 11)))
        #expect(rules[1].sequence?[1].span.start == m(5, 9))
        #expect(root.span.start == m(1, 1))
    }

    @Test func columnsCountUnicodeScalarsAfterChinese() throws {
        let root = try #require(parseOK("label: {zh: 保修期, en: Warranty}\nnext: 期x\n"))
        let label = try #require(root.value(forKey: "label"))
        let zh = try #require(label.value(forKey: "zh"))
        let en = try #require(label.value(forKey: "en"))
        #expect(zh.scalar?.text == "保修期")
        #expect(zh.span == YAMLSpan(start: m(1, 13), end: m(1, 16)))
        #expect(label.pair(forKey: "en")?.key.span.start == m(1, 18))
        #expect(en.span.start == m(1, 22))
        #expect(label.span == YAMLSpan(start: m(1, 8), end: m(1, 31)))
        let next = try #require(root.value(forKey: "next")?.scalar)
        #expect(next.mark(atOffset: 1) == m(2, 8))
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let parsed = try YAMLDocument.parse([0xEF, 0xBB, 0xBF] + Array("a: b".utf8)).get()
        let root = try #require(parsed)
        #expect(root.value(forKey: "a")?.span.start == m(1, 4))
    }
}

@Suite struct MarkAtOffsetTests {
    @Test func plainSingleLine() throws {
        let root = try #require(parseOK("when:   ticket.age > 3\n"))
        let s = try #require(root.value(forKey: "when")?.scalar)
        #expect(s.mark(atOffset: 0) == m(1, 9))
        #expect(s.mark(atOffset: 7) == m(1, 16))
        #expect(s.mark(atOffset: s.text.unicodeScalars.count) == m(1, 23))
        #expect(s.mark(atOffset: 999) == m(1, 23))
        #expect(s.mark(atOffset: -5) == m(1, 9))
    }

    @Test func plainMultiLine() throws {
        let root = try #require(parseOK("""
        when: ticket.age > 3 &&
          ticket.kind ==
              "x"
        """))
        let s = try #require(root.value(forKey: "when")?.scalar)
        #expect(s.text == "ticket.age > 3 && ticket.kind == \"x\"")
        let idx = s.text.unicodeScalars.count - 3  // the opening quote of "x"
        #expect(s.mark(atOffset: idx) == m(3, 7))
        let amp = try #require(Array(s.text.unicodeScalars).firstIndex(of: "&"))
        #expect(s.mark(atOffset: amp + 2) == m(1, 24))  // the folded line break
        #expect(s.mark(atOffset: amp + 3) == m(2, 3))   // "ticket" on line 2
        #expect(s.mark(atOffset: amp + 10) == m(2, 10)) // "kind"
    }

    @Test func singleQuoted() throws {
        let root = try #require(parseOK("e: 'it''s a \"x\" + y'\n"))
        let s = try #require(root.value(forKey: "e")?.scalar)
        #expect(s.text == "it's a \"x\" + y")
        #expect(s.style == .singleQuoted)
        #expect(s.mark(atOffset: 0) == m(1, 5))
        #expect(s.mark(atOffset: 2) == m(1, 7))  // the quote, written ''
        #expect(s.mark(atOffset: 3) == m(1, 9))  // the s
        #expect(s.mark(atOffset: 13) == m(1, 19)) // y
    }

    @Test func doubleQuoted() throws {
        let root = try #require(parseOK("e: \"a + 保 + b\"\nf: \"x\\ty\\u00e9z\"\n"))
        let s = try #require(root.value(forKey: "e")?.scalar)
        #expect(s.mark(atOffset: 4) == m(1, 9))
        #expect(s.mark(atOffset: 8) == m(1, 13))
        let f = try #require(root.value(forKey: "f")?.scalar)
        #expect(f.text == "x\tyéz")
        #expect(f.mark(atOffset: 1) == m(2, 6))  // \t
        #expect(f.mark(atOffset: 2) == m(2, 8))  // y
        #expect(f.mark(atOffset: 3) == m(2, 9))  // \u00e9
        #expect(f.mark(atOffset: 4) == m(2, 15)) // z
    }

    @Test func literalBlock() throws {
        let text = """
        rules:
          - when: |
              ticket.age > 3 &&
                nested(ticket) == 保修期
              last
        """
        let root = try #require(parseOK(text))
        let s = try #require(root.value(forKey: "rules")?.sequence?[0].value(forKey: "when")?.scalar)
        #expect(s.style == .literal)
        #expect(s.text == "ticket.age > 3 &&\n  nested(ticket) == 保修期\nlast")
        let chars = Array(s.text.unicodeScalars)
        let nested = try #require(chars.firstIndex(of: "n"))
        #expect(s.mark(atOffset: 0) == m(3, 7))
        #expect(s.mark(atOffset: nested) == m(4, 9))
        let bao = try #require(chars.firstIndex(of: "保"))
        #expect(s.mark(atOffset: bao) == m(4, 27))
        let last = try #require(chars.firstIndex(of: "l"))
        #expect(s.mark(atOffset: last) == m(5, 7))
    }

    @Test func literalBlockWithIndicatorsAndTag() throws {
        let root = try #require(parseOK("a: !!str |2-  # note\n    x\n   y\n"))
        let s = try #require(root.value(forKey: "a")?.scalar)
        #expect(s.text == "  x\n y")
        #expect(s.mark(atOffset: 2) == m(2, 5))
        #expect(s.mark(atOffset: 5) == m(3, 4))
    }

    @Test func foldedNeverCrashes() throws {
        let root = try #require(parseOK("a: >\n  one\n  two\n\n  three\n"))
        let s = try #require(root.value(forKey: "a")?.scalar)
        #expect(s.text == "one two\nthree\n")
        #expect(s.mark(atOffset: 4) == m(3, 3))
        for i in -2...(s.text.unicodeScalars.count + 2) { _ = s.mark(atOffset: i) }
    }

    @Test func doubleQuotedMultiLineWithEscapedBreak() throws {
        let root = try #require(parseOK("e: \"ab \\\n   cd\n  ef\"\n"))
        let s = try #require(root.value(forKey: "e")?.scalar)
        #expect(s.text == "ab cd ef")
        #expect(s.mark(atOffset: 3) == m(2, 4))  // c
        #expect(s.mark(atOffset: 6) == m(3, 3))  // e
    }

    @Test func crlfLines() throws {
        let root = try #require(parseOK("a: |\r\n  x\r\n  yz\r\nb: 1\r\n"))
        let s = try #require(root.value(forKey: "a")?.scalar)
        #expect(s.text == "x\nyz\n")
        #expect(s.mark(atOffset: 3) == m(3, 4))
        #expect(root.value(forKey: "b")?.span.start == m(4, 4))
    }

    @Test func builtInCode() {
        let s = YAMLScalar(text: "abc", start: m(3, 4))
        #expect(s.mark(atOffset: 2) == m(3, 6))
    }
}

@Suite struct TypingTests {
    func scalar(_ yaml: String) throws -> YAMLScalar {
        try #require(parseOK("v: \(yaml)\n")?.value(forKey: "v")?.scalar)
    }

    @Test func yaml11BooleansStayStrings() throws {
        for word in ["NO", "no", "yes", "Yes", "on", "off", "y", "n", "ON"] {
            let s = try scalar(word)
            #expect(s.asBool == nil, "\(word)")
            #expect(s.text == word)
            #expect(!s.isNull)
        }
        for (word, value) in [("true", true), ("True", true), ("TRUE", true), ("false", false), ("FALSE", false)] {
            #expect(try scalar(word).asBool == value)
        }
    }

    @Test func quotedIsAlwaysString() throws {
        #expect(try scalar("\"true\"").asBool == nil)
        #expect(try scalar("'12'").asInt == nil)
        #expect(try scalar("'12'").isQuoted)
        #expect(try scalar("\"null\"").isNull == false)
        #expect(try scalar("''").isNull == false)
        #expect(try scalar("!!str 12").asInt == nil)
        #expect(try scalar("!!int \"12\"").asInt == 12)
    }

    @Test func integers() throws {
        #expect(try scalar("42").asInt == 42)
        #expect(try scalar("-17").asInt == -17)
        #expect(try scalar("+5").asInt == 5)
        #expect(try scalar("0x1F").asInt == 31)
        #expect(try scalar("0o17").asInt == 15)
        #expect(try scalar("9223372036854775807").asInt == Int64.max)
        #expect(try scalar("-9223372036854775808").asInt == Int64.min)
        #expect(try scalar("9223372036854775808").asInt == nil)
        #expect(try scalar("9223372036854775808").asDouble == 9223372036854775808.0)
        #expect(try scalar("1_000").asInt == nil)
        #expect(try scalar("1.5").asInt == nil)
        #expect(try scalar("0x").asInt == nil)
        #expect(YAMLCoreSchema.int("-") == nil)
        #expect(YAMLCoreSchema.int("") == nil)
    }

    @Test func doubles() throws {
        #expect(try scalar("1.5").asDouble == 1.5)
        #expect(try scalar("-2e3").asDouble == -2000)
        #expect(try scalar(".5").asDouble == 0.5)
        #expect(try scalar("-.5").asDouble == -0.5)
        #expect(try scalar("1.").asDouble == 1)
        #expect(try scalar("3").asDouble == 3)
        #expect(try scalar(".inf").asDouble == .infinity)
        #expect(try scalar("-.Inf").asDouble == -.infinity)
        #expect(try scalar(".nan").asDouble?.isNaN == true)
        #expect(try scalar("1e400").asDouble == .infinity)
        for bad in ["nan", "inf", "1e", ".", "e3", "0x1p3", "1.2.3", "'1.5'"] {
            #expect(try scalar(bad).asDouble == nil, "\(bad)")
        }
    }

    @Test func nulls() throws {
        for word in ["~", "null", "Null", "NULL"] { #expect(try scalar(word).isNull) }
        let empty = try #require(parseOK("v:\n")?.value(forKey: "v")?.scalar)
        #expect(empty.isNull)
        #expect(try scalar("nil").isNull == false)
    }
}

@Suite struct RefusalTests {
    @Test func duplicateKeysEverywhere() {
        let errors = parseErrors("""
        a: 1
        nested:
          x: 1
          warranty_months: 12
          x: 2
          warranty_months: 24
        a: 3
        """)
        #expect(errors.map(\.message) == [
            "duplicate key `x` (first defined at line 3)",
            "duplicate key `warranty_months` (first defined at line 4)",
            "duplicate key `a` (first defined at line 1)",
        ])
        #expect(errors.map(\.mark) == [m(5, 3), m(6, 3), m(7, 1)])
        #expect(errors[1].length == 15)
    }

    @Test func duplicateKeyMessagesStayOnOneLine() {
        let errors = parseErrors("\"a\\nb\": 1\n\"a\\nb\": 2\n")
        #expect(errors.map(\.message) == ["duplicate key `a\\u{a}b` (first defined at line 1)"])
    }

    @Test func customTags() {
        let errors = parseErrors("a: !foo x\nb: !!python/object y\nc: !!seq [1]\nd: !!map [1]\ne: !!int abc\n")
        #expect(errors.map(\.message) == [
            "custom tag `!foo` is not supported",
            "tag `!!python/object` is not supported (only !!str, !!int, !!float, !!bool, !!null, !!seq and !!map)",
            "tag `!!map` cannot be used on a sequence",
            "`abc` is not a valid !!int",
        ])
        #expect(errors[0].mark == m(1, 4))
    }

    @Test func coreTagsAccepted() throws {
        let root = try #require(parseOK("a: !!str 1\nb: !!seq [1]\nc: !!map {x: 1}\nd: !!float 2\ne: !!null ''\n"))
        #expect(root.value(forKey: "a")?.tag == "tag:yaml.org,2002:str")
        #expect(root.value(forKey: "d")?.scalar?.asDouble == 2)
        #expect(root.value(forKey: "a")?.scalar?.mark(atOffset: 0) == m(1, 10))
    }

    @Test func billionLaughsFailsFast() {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(refs)]")
        }
        let clock = ContinuousClock()
        var errors: [YAMLDiagnostic] = []
        let elapsed = clock.measure { errors = parseErrors(lines.joined(separator: "\n")) }
        #expect(elapsed < .seconds(2))
        #expect(errors.count == 1)
        #expect(errors.first?.message.hasPrefix("alias `*a") == true)
        #expect(errors.first?.message.contains("1000") == true)
        // a1 expands 90 nodes, a2 819 more, the first *a2 in a3 crosses 1000.
        #expect(errors.first?.mark == m(4, 10))
    }

    @Test func aliasesWithinBoundCopyTheAnchor() throws {
        let root = try #require(parseOK("base: &b {x: 1}\ncopy: *b\nlist: [*b, *b]\n"))
        let copy = try #require(root.value(forKey: "copy"))
        #expect(copy.value(forKey: "x")?.scalar?.asInt == 1)
        #expect(copy.span.start == m(1, 7))
        #expect(root.value(forKey: "list")?.sequence?.count == 2)
    }

    @Test func undefinedAlias() {
        let errors = parseErrors("a: *nope\n")
        #expect(errors.map(\.message) == ["undefined alias `*nope`"])
        #expect(errors.first?.mark == m(1, 4))
    }

    @Test func depthLimit() {
        let deep = String(repeating: "[", count: 10_000)
        let errors = parseErrors(deep)
        #expect(errors.count == 1)
        #expect(errors.first?.message.hasPrefix("nesting deeper than 64 levels of mappings and lists") == true)
        #expect(errors.first?.mark == m(1, 65))
        let deepMaps = String(repeating: "{a: ", count: 10_000)
        #expect(parseErrors(deepMaps).first?.message.hasPrefix("nesting deeper than 64 levels") == true)
        // Exactly at the limit is fine.
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseOK(ok) != nil)
    }

    @Test func depthThroughAliases() {
        let inner = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let outer = String(repeating: "[", count: 30) + "*x" + String(repeating: "]", count: 30)
        let errors = parseErrors("a: &x \(inner)\nb: \(outer)\n")
        #expect(errors.first?.message.hasPrefix("nesting deeper than 64 levels") == true)
    }

    @Test func invalidUTF8IsPositioned() {
        let errors = parseErrors(Array("a: ok\nb: x".utf8) + [0xFF] + Array(" y\n".utf8))
        #expect(errors.count == 1)
        #expect(errors.first?.mark == m(2, 5))
        #expect(
            errors.first?.message
                == "byte 0xFF (byte 11 of the file) is not UTF-8: the file is in another encoding (Latin-1, GBK…)")
        #expect(errors.first?.kind == .encoding)
        let truncated = parseErrors(Array("k: 保".utf8).dropLast())
        #expect(truncated.first?.mark == m(1, 4))
        let surrogate = parseErrors(Array("k: ".utf8) + [0xED, 0xA0, 0x80])
        #expect(surrogate.first?.message.hasPrefix("byte 0xED (byte 4 of the file) is not UTF-8") == true)
        let control = parseErrors(Array("k: a\u{7}".utf8))
        #expect(control.first?.message == "control characters are not allowed u+0007 at byte 5")
        #expect(control.first?.mark == m(1, 5))
        let withBOM = parseErrors([0xEF, 0xBB, 0xBF] + Array("k: ".utf8) + [0xFE])
        #expect(withBOM.first?.message.hasPrefix("byte 0xFE (byte 7 of the file) is not UTF-8") == true)
        #expect(withBOM.first?.mark == m(1, 4))
    }

    @Test func multipleDocuments() {
        let errors = parseErrors("a: 1\n---\nb: 2\n")
        #expect(errors.map(\.message) == ["only one document per file"])
        #expect(errors.first?.mark == m(2, 1))
        #expect(parseOK("---\na: 1\n...\n")?.keys == ["a"])
    }

    @Test func mergeKeysAndComplexKeys() {
        let errors = parseErrors("base: &b {x: 1}\nuse:\n  <<: *b\n? [a]\n: 1\n")
        #expect(errors.map(\.message) == ["merge keys are not supported", "mapping keys must be scalars, found a sequence"])
        #expect(errors.map(\.mark) == [m(3, 3), m(4, 3)])
        #expect(parseOK("'<<': 1")?.keys == ["<<"])
    }

    @Test func emptyDocuments() throws {
        #expect(try YAMLDocument.parse([]).get() == nil)
        #expect(try YAMLDocument.parse(Array("# only a comment\n\n".utf8)).get() == nil)
        #expect(try YAMLDocument.parse(Array("---\n".utf8)).get() == nil)
        #expect(try YAMLDocument.parse(Array("''".utf8)).get() != nil)
    }

    @Test func syntaxErrors() {
        let tab = parseErrors("a:\n\tb: 1\n")
        #expect(tab.count == 1)
        #expect(tab.first?.mark == m(2, 1))
        #expect(tab.first?.message == "found character that cannot start any token while scanning for the next token")
        let quote = parseErrors("a: 1\nb: \"open\n")
        #expect(quote.count == 1)
        #expect(quote.first?.mark.line == 3)
        #expect(quote.first?.message == "found unexpected end of stream while scanning a quoted scalar (started at line 2, column 4)")
        let bad = parseErrors("a: [1, 2\nb: 3\n")
        #expect(bad.count == 1)
    }

    @Test func sizeLimit() {
        let errors = parseErrors("a: 1234567890", limits: YAMLLimits(maxDocumentBytes: 8))
        #expect(errors.first?.message == "the file is larger than 8 bytes, the limit of a policy file (docs/limits.md)")
    }

    @Test func hostileInputsNeverCrash() {
        let samples: [[UInt8]] = [
            [0x00], [0xC0, 0x80], [0xED, 0xA0, 0x80], Array("\"\\ud800\"".utf8), Array("&a [*a]".utf8),
            Array("? ? ? ? a".utf8), Array("%TAG ! tag:x,2000:\n--- !y z".utf8), Array("a: |9\n x".utf8),
            Array(":".utf8), Array("- - - - -".utf8), Array("'\n'".utf8), Array("a: >-\n\n\n".utf8),
            Array("\u{2028}a: b\u{85}".utf8), Array("!<tag:yaml.org,2002:str> x".utf8),
        ]
        for sample in samples {
            switch YAMLDocument.parse(sample) {
            case .success(let node):
                if let s = node?.scalar {
                    for i in -1...(s.text.unicodeScalars.count + 1) { _ = s.mark(atOffset: i) }
                }
            case .failure(let errors):
                #expect(!errors.diagnostics.isEmpty)
                // Line 0: a problem with the whole file (not UTF-8 at all).
                for d in errors.diagnostics {
                    #expect((d.mark.line >= 1 && d.mark.column >= 1) || (d.kind == .encoding && d.mark.line == 0))
                }
            }
        }
    }
}
