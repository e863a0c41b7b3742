import Testing

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime

/// A minimal valid policy; tests change one thing and look for the diagnostic.
let minimal = """
    verdict: 1
    policy: p
    applies_to: {market: a}
    inputs:
      market: {type: enum, values: [a, b]}
      unit:
        type: object
        fields:
          installed_on: {type: date}
          count: {type: int, min: 0}
    parameters:
      months:
        type: int
        value: 12
        min: 0
        clause: "1.1"
        label: {zh: 月, en: months}
    rules:
      ends:
        type: date
        clause: "1.1"
        label: {zh: 止, en: end}
        expr: unit.installed_on.addMonths(params.months)
      open:
        type: bool
        decision: true
        clause: "1.2"
        label: {zh: 开, en: open}
        expr: date('2026-01-01') < ends
    """

func files(_ text: String, name: String = "p.yaml") -> [(path: String, bytes: [UInt8])] {
    [(name, Array(text.utf8))]
}

/// Finds the 1-based line and column of the first `marker` in `text`.
func position(of marker: String, in text: String, occurrence: Int = 1) -> (Int, Int)? {
    var seen = 0
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var search = line[...]
        while let r = search.range(of: marker) {
            seen += 1
            if seen == occurrence {
                return (i + 1, line[..<r.lowerBound].unicodeScalars.count + 1)
            }
            search = search[r.upperBound...]
        }
    }
    return nil
}

@Suite struct PolicyCheckTests {
    @Test func minimalPolicyLoads() throws {
        #expect(diagnostics(files(minimal)).isEmpty)
    }

    @Test func unknownKeyWithSuggestion() throws {
        let text = minimal.replacingOccurrences(of: "    decision: true", with: "    decison: true")
        let d = diagnostics(files(text))
        let at = try #require(position(of: "decison", in: text))
        #expect(d.contains { $0.line == at.0 && $0.column == at.1 && $0.message.contains("unknown key `decison`") && $0.help == "did you mean `decision`?" }, "\(d)")
    }

    @Test func unknownFieldInExpressionPointsIntoTheExpression() throws {
        let text = minimal.replacingOccurrences(of: "unit.installed_on.addMonths", with: "unit.instaled_on.addMonths")
        let d = diagnostics(files(text))
        let at = try #require(position(of: "unit.instaled_on", in: text))
        #expect(d.count >= 1)
        let hit = d.first { $0.line == at.0 && $0.column >= at.1 && $0.column <= at.1 + 5 }
        #expect(hit != nil, "\(d)")
        #expect(hit?.help?.contains("installed_on") == true, "\(d)")
    }

    @Test func errorInsideBlockScalarMapsToItsLine() throws {
        let text = minimal.replacingOccurrences(
            of: "    expr: date('2026-01-01') < ends",
            with: "    expr: |\n      date('2026-01-01')\n        < endz")
        let d = diagnostics(files(text))
        let at = try #require(position(of: "endz", in: text))
        #expect(d.contains { $0.line == at.0 && $0.column == at.1 }, "\(d)")
    }

    @Test func typeMismatchIsReported() throws {
        let text = minimal.replacingOccurrences(of: "date('2026-01-01') < ends", with: "3 < ends")
        let d = diagnostics(files(text))
        #expect(!d.isEmpty)
    }

    @Test func declaredTypeMustMatch() throws {
        let text = minimal.replacingOccurrences(of: "date('2026-01-01') < ends", with: "ends")
        let d = diagnostics(files(text))
        #expect(d.contains { $0.message.contains("gives a date, but true or false (bool) is expected") }, "\(d)")
    }

    @Test func cyclesNameTheirPath() throws {
        let text = minimal.replacingOccurrences(
            of: "expr: unit.installed_on.addMonths(params.months)", with: "expr: \"open ? date('2020-01-01') : date('2021-01-01')\"")
        let d = diagnostics(files(text))
        #expect(d.contains { $0.message.contains("cycle") && $0.message.contains("`ends`") && $0.message.contains("`open`") }, "\(d)")
    }

    @Test func badParameterValue() throws {
        let text = minimal.replacingOccurrences(of: "value: 12", with: "value: -3")
        let d = diagnostics(files(text))
        let at = try #require(position(of: "-3", in: text))
        #expect(d.contains { $0.line == at.0 && $0.column == at.1 && $0.message.contains("below its minimum") }, "\(d)")
        let text2 = minimal.replacingOccurrences(of: "value: 12", with: "value: twelve")
        #expect(diagnostics(files(text2)).contains { $0.message.contains("must be a whole number (int), not `twelve`") })
        let text3 = minimal.replacingOccurrences(of: "value: 12", with: "value: \"12\"")
        #expect(diagnostics(files(text3)).contains { $0.message.contains("must be a whole number (int), but `12` is quoted") }, "a quoted 12 is text")
    }

    @Test func duplicateKeysAndNames() throws {
        let text = minimal + "\n  open:\n    type: bool\n    clause: x\n    label: {zh: a, en: b}\n    expr: 'true'\n"
        let d = diagnostics(files(text))
        #expect(d.contains { $0.message.contains("duplicate key `open`") }, "\(d)")
        let two = files(minimal) + files(minimal, name: "q.yaml")
        #expect(diagnostics(two).contains { $0.message.contains("policy `p` is defined twice") })
    }

    @Test func everyProblemIsReportedNotTheFirst() throws {
        let text = minimal
            .replacingOccurrences(of: "    decision: true", with: "    decison: true")
            .replacingOccurrences(of: "value: 12", with: "value: x")
            .replacingOccurrences(of: "< ends", with: "< endz")
        let d = diagnostics(files(text))
        #expect(d.count >= 3, "\(d)")
    }

    @Test func enumValueTypoInExpression() throws {
        let text = minimal.replacingOccurrences(of: "date('2026-01-01') < ends", with: "market == 'c'")
        let d = diagnostics(files(text))
        #expect(!d.isEmpty)
    }

    @Test func overlappingPoliciesAreRejected() throws {
        let other = minimal.replacingOccurrences(of: "policy: p", with: "policy: q")
        let d = diagnostics(files(minimal) + files(other, name: "q.yaml"))
        #expect(d.contains { $0.message.contains("both apply") }, "\(d)")
        let disjoint = other.replacingOccurrences(of: "applies_to: {market: a}", with: "applies_to: {market: b}")
        #expect(diagnostics(files(minimal) + files(disjoint, name: "q.yaml")).isEmpty)
    }

    @Test func extendsUnknownAndCycles() throws {
        let unknown = minimal.replacingOccurrences(of: "policy: p", with: "policy: p\nextends: bsae")
        #expect(diagnostics(files(unknown)).contains { $0.message.contains("unknown policy `bsae`") })
        let a = "verdict: 1\npolicy: a\nextends: b\nabstract: true\n"
        let b = "verdict: 1\npolicy: b\nextends: a\nabstract: true\n"
        let d = diagnostics(files(a, name: "a.yaml") + files(b, name: "b.yaml") + files(minimal))
        #expect(d.contains { $0.message.contains("cycle") }, "\(d)")
    }

    @Test func yamlSyntaxErrorIsPositioned() throws {
        let d = diagnostics(files("verdict: 1\npolicy: [unclosed\n"))
        #expect(d.count == 1)
        #expect(d.first?.line ?? 0 >= 2)
    }

    @Test func missingClauseAndLabel() throws {
        let text = minimal.replacingOccurrences(of: "    clause: \"1.2\"\n", with: "")
        #expect(diagnostics(files(text)).contains { $0.message.contains("needs `clause`") })
    }

    @Test func rendererShowsLineAndCaret() throws {
        let text = minimal.replacingOccurrences(of: "< ends", with: "< endz")
        let d = try #require(diagnostics(files(text)).first)
        let rendered = DiagnosticRenderer.render(d, source: Array(text.utf8))
        #expect(rendered.hasPrefix("p.yaml:\(d.line):\(d.column): error: "))
        let lines = rendered.split(separator: "\n")
        #expect(lines.count >= 3)
        #expect(lines[1].contains("endz"))
        #expect(lines[2].contains("^"))
    }

    /// Short printable lines take a one-pass shortcut to their caret line: it
    /// must draw exactly what the general path draws (tabs kept, wide
    /// characters, carets clipped at the line's end, a column past it).
    @Test func plainLinesRenderAsTheGeneralPathDoes() throws {
        let lines = [
            "    expr: a < b", "\tkey: value\twith tabs", "x", "", String(repeating: "y", count: 120),
            "    e1: {label: {zh: 条目1的中文名称, en: Entry}}", "保修\t期 ok",
        ]
        for line in lines {
            for column in [1, 2, 5, 12, 20, 119, 200] {
                for length in [0, 1, 3, 50, 500] {
                    guard let plain = DiagnosticRenderer.plainLine(line, column: column, length: length) else {
                        Issue.record("no shortcut for \(line)")
                        continue
                    }
                    // The general path, as render() runs it for a line it cannot shortcut.
                    let all = Array(line.unicodeScalars)
                    var pad = ""
                    for (i, s) in all.enumerated() where i < column - 1 {
                        pad.unicodeScalars.append(s == "\t" ? "\t" : (DiagnosticRenderer.isWide(s) ? "　" : " "))
                    }
                    let remaining = max(1, min(length, all.count - (column - 1)))
                    var marks = "^"
                    if remaining > 1 {
                        for i in 1..<remaining { marks += DiagnosticRenderer.isWide(all[column - 1 + i]) ? "～" : "~" }
                    }
                    #expect(plain.pad == pad && plain.marks == marks, "\(line) \(column) \(length)")
                }
            }
        }
        #expect(DiagnosticRenderer.plainLine(String(repeating: "y", count: 121), column: 1, length: 1) == nil)
        #expect(DiagnosticRenderer.plainLine("a\u{1}b", column: 1, length: 1) == nil)
    }

    /// Rules computed on demand recurse along their dependencies, so a chain is bounded.
    @Test(arguments: [150, 300])
    func longRuleChains(_ length: Int) throws {
        var text = minimal + "\n"
        for i in 0..<length {
            let expr = i == 0 ? "unit.count" : "r\(i - 1) + 1"
            text += "  r\(i):\n    type: int\n    decision: \(i == length - 1)\n    clause: x\n    label: {zh: a, en: b}\n    expr: \(expr)\n"
        }
        let d = diagnostics(files(text))
        if length > PolicyCompiler.maxRuleChain {
            #expect(d.contains { $0.message.contains("chain of \(length) rules") }, "\(d.prefix(3))")
            return
        }
        #expect(d.isEmpty, "\(d.prefix(3))")
        let set = try PolicySet.load(files: files(text))
        let out = try answer(["{\"market\":\"a\",\"unit\":{\"installed_on\":\"2025-01-01\",\"count\":1}}"], with: set, ask: ["r\(length - 1)"])
        #expect(out.first?.contains("\"r\(length - 1)\":\(length)") == true, "\(out)")
        // Explained: every rule of the chain, with what it read (more reads
        // than the recorder's first log holds).
        let explained = try #require(
            answer(["{\"market\":\"a\",\"unit\":{\"installed_on\":\"2025-01-01\",\"count\":1}}"], with: set,
                ask: ["r\(length - 1)"], explain: true).first)
        #expect(explained.contains("\"expr\":\"unit.count\",\"used\":{\"unit.count\":1}}"))
        for i in 1..<length {
            #expect(explained.contains("\"value\":\(i + 1),\"expr\":\"r\(i - 1) + 1\",\"used\":{\"r\(i - 1)\":\(i)}}"), "r\(i)")
        }
    }

    /// A problem in what a child inherits is reported in the base's file, where it was written.
    @Test func inheritedValueErrorsPointAtTheBase() throws {
        let base = minimal
            .replacingOccurrences(of: "policy: p\napplies_to: {market: a}", with: "policy: base\nabstract: true")
            .replacingOccurrences(of: "value: 12", with: "value: twelve")
        let child = "verdict: 1\npolicy: child\nextends: base\napplies_to: {market: a}\nparameters:\n  months:\n    clause: \"9.9\"\n"
        let d = diagnostics(files(base, name: "base.yaml") + files(child, name: "child.yaml"))
        let at = try #require(position(of: "twelve", in: base))
        #expect(d.contains { $0.file == "base.yaml" && $0.line == at.0 && $0.column == at.1 }, "\(d)")
    }

    @Test func ownerSlipsGetHints() throws {
        let bang = minimal.replacingOccurrences(of: "expr: date('2026-01-01') < ends", with: "expr: !(date('2026-01-01') < ends)")
        let d1 = diagnostics(files(bang))
        #expect(d1.count == 1 && d1.first?.help?.contains("quote it") == true, "\(d1)")

        let colon = minimal.replacingOccurrences(of: "label: {zh: 开, en: open}", with: "label: {zh: 开, en: open: now}")
        let d2 = diagnostics(files(colon))
        #expect(d2.first?.help?.contains("quote a value") == true, "\(d2)")

        let quoted = minimal.replacingOccurrences(of: "value: 12", with: "value: \"12\"")
        #expect(diagnostics(files(quoted)).contains { $0.message.contains("is quoted, which makes it text") })

        let huge = minimal.replacingOccurrences(of: "value: 12", with: "value: 99999999999999999999")
        #expect(diagnostics(files(huge)).contains { $0.message.contains("out of the 64-bit integer range") })

        let bounds = minimal.replacingOccurrences(of: "min: 0\n    clause: \"1.1\"", with: "min: 5\n    max: 1\n    clause: \"1.1\"")
        #expect(diagnostics(files(bounds)).contains { $0.message.contains("`min` 5 above `max` 1") })

        let badLabel = minimal.replacingOccurrences(of: "label: {zh: 开, en: open}", with: "label: {en: open}")
        let d3 = diagnostics(files(badLabel))
        #expect(d3.count == 1, "an invalid label is one problem, not two: \(d3)")
    }
}
