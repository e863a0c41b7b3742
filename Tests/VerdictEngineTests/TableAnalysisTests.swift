import Foundation
import Testing
import VerdictCompiler
import VerdictModel

/// Static table analysis (`check`): seeded tables with known gaps, overlaps
/// and masked rows; each is found at its place, nothing else is reported,
/// and each example ticket really shows the problem when evaluated.
@Suite struct TableAnalysisTests {
    /// A policy with one decision table `t` over a few inputs.
    static func policy(hit: String = "first", type: String = "int", rows: [(when: String, then: String)],
                       default defaultThen: String? = nil, gaps: [String] = [], extraRules: String = "") -> String {
        var text = """
            verdict: 1
            policy: p
            applies_to: {market: home}
            title: {zh: 表, en: Tables}
            inputs:
              market: {type: enum, values: [home], label: {zh: 市场, en: Market}}
              kind: {type: enum, values: [a, b, c], label: {zh: 类, en: Kind}}
              n: {type: int, min: 0, label: {zh: 数, en: Number}}
              flag: {type: bool, label: {zh: 旗, en: Flag}}
              day: {type: date, label: {zh: 日, en: Day}}
            parameters:
              k: {type: int, value: 10, clause: "1", label: {zh: 参, en: K}}
            rules:
              t:
                type: \(type)
                decision: true
                clause: "1"
                label: {zh: 表, en: Table}
                table:
                  hit: \(hit)
                  rows:

            """
        for r in rows {
            text += "          - when: \"\(r.when)\"\n            then: \(r.then)\n            clause: \"1\"\n"
        }
        if let d = defaultThen { text += "      default:\n        then: \(d)\n        clause: \"1\"\n" }
        if !gaps.isEmpty {
            text += "      gaps:\n"
            for g in gaps { text += "        - when: \"\(g)\"\n          clause: \"1\"\n" }
        }
        return text + extraRules
    }

    /// The set's warnings and notes, as (code, line) pairs, and the set.
    func findings(_ text: String) throws -> (found: [PolicyDiagnostic], set: PolicySet) {
        let set = try PolicySet.load(files: files(text))
        return (set.warnings.filter { ["W0807", "W0808", "W0809", "W0810"].contains($0.code.id) }, set)
    }

    /// The example ticket quoted in a finding's message.
    func example(_ d: PolicyDiagnostic) -> String? {
        guard let start = d.message.range(of: "such as {") else { return nil }
        var depth = 0
        var out = ""
        for c in d.message[d.message.index(before: start.upperBound)...] {
            out.append(c)
            if c == "{" { depth += 1 }
            if c == "}" {
                depth -= 1
                if depth == 0 { break }
            }
        }
        return out
    }

    func line(of needle: String, in text: String) -> Int {
        (text.components(separatedBy: "\n").firstIndex { $0.contains(needle) } ?? -1) + 1
    }

    @Test func anEnumValueNoRowAnswersIsAGapAndEvalShowsIt() throws {
        let text = Self.policy(rows: [("kind == 'a'", "1"), ("kind == 'b'", "2")])
        let (found, set) = try findings(text)
        #expect(found.count == 1, "\(found)")
        let d = try #require(found.first)
        #expect(d.code == .tableGap && d.severity == .warning)
        #expect(d.line == line(of: "hit: first", in: text), "at the table: \(d)")
        let ticket = try #require(example(d))
        #expect(ticket.contains(#""kind":"c""#), "\(ticket)")
        let out = try answer([ticket], with: set, ask: ["t"])
        #expect(out[0].contains("no row of `t` applies to this ticket"), "\(out[0])")
    }

    @Test func aDefaultOrFullCoverLeavesNoGap() throws {
        #expect(try findings(Self.policy(rows: [("kind == 'a'", "1")], default: "0")).found.isEmpty)
        #expect(try findings(Self.policy(rows: [("flag && n >= 5", "1"), ("flag && n < 5", "2"), ("!flag", "3")])).found.isEmpty)
        #expect(try findings(Self.policy(rows: [("kind in ['a', 'b']", "1"), ("kind == 'c'", "2")])).found.isEmpty)
    }

    @Test func numberThresholdsLeaveTheLowNumbersOpen() throws {
        let text = Self.policy(rows: [("n >= params.k", "2"), ("n >= 5", "1")])
        let (found, set) = try findings(text)
        #expect(found.count == 1 && found.first?.code == .tableGap, "\(found)")
        let ticket = try #require(found.first.flatMap(example))
        // Classes cut at 5 and 10 within min 0: the first gap found is n = 0.
        #expect(ticket.contains(#""n":0"#), "\(ticket)")
        #expect(try answer([ticket], with: set, ask: ["t"])[0].contains("no row of `t`"))
    }

    @Test func datesBetweenTwoRowsAreAGap() throws {
        let text = Self.policy(rows: [("day < date('2026-01-01')", "1"), ("day >= date('2026-06-01')", "2")])
        let (found, set) = try findings(text)
        #expect(found.count == 1, "\(found)")
        let ticket = try #require(found.first.flatMap(example))
        #expect(ticket.contains(#""day":"2026-01-01""#) || ticket.contains(#""day":"2026-01-02""#), "\(ticket)")
        #expect(try answer([ticket], with: set, ask: ["t"])[0].contains("no row of `t`"))
    }

    @Test func overlapsOfAUniqueTableAreFoundPerPairAtTheLaterRow() throws {
        let text = Self.policy(hit: "unique", rows: [("n >= 5", "1"), ("kind == 'a'", "2"), ("n < 5", "3")])
        let (found, set) = try findings(text)
        let overlaps = found.filter { $0.code == .tableOverlap }
        // 1 & 2 overlap (n ≥ 5, kind a); 2 & 3 overlap (n < 5, kind a); 1 & 3 never.
        #expect(overlaps.count == 2, "\(found)")
        #expect(Set(overlaps.map(\.line)) == [line(of: "kind == 'a'", in: text), line(of: "n < 5", in: text)], "\(overlaps)")
        #expect(overlaps.allSatisfy { $0.message.contains("both match") })
        #expect(!found.contains { $0.code == .tableGap }, "n ≥ 5 or n < 5 covers every ticket: \(found)")
        for d in overlaps {
            let ticket = try #require(example(d))
            let out = try answer([ticket], with: set, ask: ["t"])
            #expect(out[0].contains("both match, but its hit policy is `unique`"), "\(out[0])")
        }
    }

    @Test func rowsHiddenByRowsAboveAndRowsNeverTrueAreMasked() throws {
        let text = Self.policy(rows: [("n >= 5", "1"), ("n >= 10", "2"), ("n < 0", "3"), ("n < 5", "4")])
        let (found, _) = try findings(text)
        let masked = found.filter { $0.code == .maskedRow }
        #expect(masked.count == 2, "\(found)")
        let hidden = masked.first { $0.line == line(of: "n >= 10", in: text) }
        #expect(hidden?.message.contains("rows above it match every ticket it matches") == true, "\(masked)")
        let never = masked.first { $0.line == line(of: "n < 0", in: text) }
        #expect(never?.message.contains("never matches") == true, "min 0 makes n < 0 impossible: \(masked)")
        #expect(found.count == 2, "no gap: n ≥ 5 or n < 5: \(found)")
    }

    @Test func aDeclaredGapIsANoteAndAStaleOneAWarning() throws {
        let text = Self.policy(rows: [("kind == 'a'", "1"), ("kind == 'b'", "2")], gaps: ["kind == 'c'"])
        let (found, _) = try findings(text)
        #expect(found.count == 1 && found.first?.severity == .note, "\(found)")
        #expect(found.first?.line == line(of: "- when: \"kind == 'c'\"", in: text))
        // Declaring a gap the rows already answer is stale.
        let stale = Self.policy(rows: [("kind == 'a'", "1"), ("kind != 'a'", "2")], gaps: ["kind == 'c'"])
        let s = try findings(stale).found
        #expect(s.count == 1 && s.first?.severity == .warning && s.first?.message.contains("declares no ticket") == true, "\(s)")
        // A gap only partly declared: the rest is still reported.
        let partial = Self.policy(rows: [("kind == 'a'", "1")], gaps: ["kind == 'b'"])
        let p = try findings(partial).found
        #expect(p.contains { $0.severity == .warning && $0.code == .tableGap && $0.message.contains(#""kind":"c""#) }, "\(p)")
        #expect(p.contains { $0.severity == .note }, "\(p)")
    }

    @Test func gapsCannotBeDeclaredBesideADefaultOrOnCollect() throws {
        let withDefault = Self.policy(rows: [("kind == 'a'", "1")], default: "0", gaps: ["kind == 'c'"])
        #expect(diagnostics(files(withDefault)).contains { $0.code == .tableShape && $0.message.contains("has no gaps") })
    }

    @Test func rulesReadByConditionsAreFreeAndTheFindingSaysSo() throws {
        let extra = """

              big:
                type: bool
                clause: "1"
                label: {zh: 大, en: Big}
                expr: n >= 100

            """
        let text = Self.policy(rows: [("big && kind == 'a'", "1"), ("!big", "2")], extraRules: extra)
        let (found, _) = try findings(text)
        #expect(found.count == 1, "\(found)")
        let d = try #require(found.first)
        #expect(d.code == .tableGap && d.message.contains("(with `big` true)"), "\(d)")
    }

    @Test func conditionsOutsideTheFragmentAreANote() throws {
        let text = Self.policy(rows: [("n + 1 > 5", "1")])
        let (found, _) = try findings(text)
        #expect(found.count == 1 && found.first?.code == .tableNotAnalysed && found.first?.severity == .note, "\(found)")
        #expect(found.first?.message.contains("`n + 1 > 5`") == true, "\(found)")
    }

    @Test func theShippedPoliciesHaveOnlyTheirDeclaredGap() throws {
        let set = try loadShipped()
        let tables = set.warnings.filter { ["W0807", "W0808", "W0809", "W0810"].contains($0.code.id) }
        #expect(tables.count == 1, "\(tables)")
        #expect(tables.first?.severity == .note, "\(tables)")
        #expect(tables.first?.file.hasSuffix("material.yaml") == true, "\(tables)")
        #expect(!set.warnings.contains { $0.severity == .warning }, "check --strict passes: \(set.warnings)")
    }
}
