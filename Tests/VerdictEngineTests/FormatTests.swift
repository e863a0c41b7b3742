import Testing
import VerdictJSON

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime

/// Parts of the policy format the shipped policies do not use: `unique` and
/// `collect` tables, list inputs, list and date parameters, optional leaves.
let tablePolicy = """
    verdict: 1
    policy: t
    applies_to: {market: a}
    inputs:
      market: {type: enum, values: [a]}
      units: {type: int, min: 0}
      tags: {type: list, of: string, optional: true}
      since: {type: date, optional: true}
    parameters:
      vip_tags:
        type: list
        of: string
        value: [gold, platinum]
        clause: "1"
        label: {zh: 贵宾, en: VIP tags}
      launch:
        type: date
        value: 2025-01-01
        clause: "1"
        label: {zh: 上线, en: Launch}
    rules:
      tier:
        type: string
        decision: true
        clause: "2"
        label: {zh: 等级, en: Tier}
        table:
          hit: unique
          rows:
            - {when: units >= 10, then: "'large'", clause: "2.1"}
            - {when: units >= 5 && units < 10, then: "'medium'", clause: "2.2"}
            - {when: units >= 8 && units < 10, then: "'overlap'", clause: "2.3"}
          default: {then: "'small'", clause: "2.4"}
      perks:
        type: list
        of: string
        decision: true
        clause: "3"
        label: {zh: 权益, en: Perks}
        table:
          hit: collect
          rows:
            - {when: units > 0, then: "'support'", clause: "3.1"}
            - {when: "tags.exists(t, t in params.vip_tags)", then: "'lounge'", clause: "3.2"}
            - {when: units > 100, then: "'discount'", clause: "3.3"}
      early:
        type: bool
        decision: true
        clause: "4"
        label: {zh: 早期, en: Early}
        expr: since != null && since < params.launch
    """

@Suite struct FormatTests {
    func run(_ tickets: [String]) throws -> [JSONObject] {
        let set = try PolicySet.load(files: [("t.yaml", Array(tablePolicy.utf8))])
        return try answer(tickets, with: set).map { try object(parseJSON($0)).unwrap("not an object: \($0)") }
    }

    @Test func uniqueTableAnswersOneRowOrDefaultAndRejectsOverlap() throws {
        let out = try run([
            #"{"market":"a","units":12}"#,
            #"{"market":"a","units":6}"#,
            #"{"market":"a","units":1}"#,
            #"{"market":"a","units":9}"#,
        ])
        #expect(object(out[0]["answers"])?["tier"] == .string("large"))
        #expect(object(out[1]["answers"])?["tier"] == .string("medium"))
        #expect(object(out[2]["answers"])?["tier"] == .string("small"))
        // 9 matches rows 2 and 3: a unique table cannot answer.
        let reason = object(out[3]["undetermined"])?["tier"]
        #expect(reason == .string("rows 2 and 3 of `tier` both match, but its hit policy is `unique`"), "\(String(describing: reason))")
    }

    @Test func collectTableListsEveryMatchingRowInOrder() throws {
        let out = try run([
            #"{"market":"a","units":200,"tags":["silver","gold"]}"#,
            #"{"market":"a","units":0}"#,
            #"{"market":"a","units":3,"tags":"gold"}"#,
        ])
        #expect(object(out[0]["answers"])?["perks"] == .array([.string("support"), .string("lounge"), .string("discount")]))
        // An optional list left out is null: `exists` on null is an error, so perks is undetermined, not guessed.
        #expect(object(out[1]["undetermined"])?["perks"] != nil)
        // A list input given as a string is invalid.
        #expect(object(out[2]["undetermined"])?["perks"] != nil)
    }

    @Test func optionalLeavesAndDateParameters() throws {
        let out = try run([
            #"{"market":"a","units":1,"since":"2024-12-31"}"#,
            #"{"market":"a","units":1,"since":"2025-01-01"}"#,
            #"{"market":"a","units":1}"#,
        ])
        #expect(object(out[0]["answers"])?["early"] == .bool(true))
        #expect(object(out[1]["answers"])?["early"] == .bool(false))
        #expect(object(out[2]["answers"])?["early"] == .bool(false))
    }

    @Test func collectNeedsAListTypeAndNoDefault() throws {
        let wrongType = tablePolicy.replacingOccurrences(
            of: "    type: list\n    of: string\n    decision: true\n    clause: \"3\"",
            with: "    type: string\n    decision: true\n    clause: \"3\"")
        #expect(diagnostics([("t.yaml", Array(wrongType.utf8))]).contains { $0.message.contains("a `collect` table gives a list") })
        let withDefault = tablePolicy.replacingOccurrences(
            of: "        - {when: units > 100, then: \"'discount'\", clause: \"3.3\"}",
            with: "        - {when: units > 100, then: \"'discount'\", clause: \"3.3\"}\n      default: {then: \"'none'\", clause: \"3.4\"}")
        #expect(diagnostics([("t.yaml", Array(withDefault.utf8))]).contains { $0.message.contains("has no `default`") })
    }

    @Test func rowThenMustHaveTheRuleType() throws {
        let bad = tablePolicy.replacingOccurrences(of: "then: \"'medium'\"", with: "then: 5")
        let d = diagnostics([("t.yaml", Array(bad.utf8))])
        #expect(d.contains { $0.message.contains("`then` of row 2 of `tier` gives a whole number (int), but text (string) is expected") }, "\(d)")
    }

    @Test func collectExplanationListsEveryMatchingRow() throws {
        let set = try PolicySet.load(files: [("t.yaml", Array(tablePolicy.utf8))])
        let out = try answer([#"{"market":"a","units":200,"tags":["gold"]}"#], with: set, ask: ["perks"], explain: true)
        let line = try #require(out.first)
        let parsed = try parseJSON(line)
        let perks = try #require(object(object(object(parsed)?["explanation"])?["perks"]))
        guard case .array(let rows)? = perks["rows"] else { throw TestFailure("no rows: \(out)") }
        #expect(rows.count == 3)
        #expect(object(rows[1])?["clause"] == .array([.string("3.2")]))
    }

    /// The digest covers what a default means, not how it is written.
    @Test func digestCoversListDefaults() throws {
        let base = tablePolicy.replacingOccurrences(of: "tags: {type: list, of: string, optional: true}", with: "tags: {type: list, of: string, default: [a]}")
        let other = base.replacingOccurrences(of: "default: [a]", with: "default: [b]")
        let spelled = base.replacingOccurrences(of: "default: [a]", with: "default: [\"a\"]")
        let digest = { (text: String) throws -> String in
            try PolicySet.load(files: [("t.yaml", Array(text.utf8))]).policies[0].digest
        }
        #expect(try digest(base) != digest(other))
        #expect(try digest(base) == digest(spelled))
    }

    @Test func inputDefaultsRespectTheirBounds() throws {
        let text = tablePolicy.replacingOccurrences(of: "units: {type: int, min: 0}", with: "units: {type: int, min: 0, default: -5}")
        let d = diagnostics([("t.yaml", Array(text.utf8))])
        #expect(d.contains { $0.message.contains("below its minimum 0") }, "\(d)")
    }

    @Test func reservedNamesAreRejectedAtAnyDepth() throws {
        let text = tablePolicy.replacingOccurrences(
            of: "  since: {type: date, optional: true}",
            with: "  since: {type: date, optional: true}\n  box:\n    type: object\n    optional: true\n    fields:\n      in: {type: int}")
        let d = diagnostics([("t.yaml", Array(text.utf8))])
        #expect(d.contains { $0.message.contains("`in` is reserved") }, "\(d)")
    }

    /// A key one policy selects on and another does not: a ticket without it
    /// still reaches the policy that does not need it; each policy has its own default.
    @Test func selectionWithKeysSomePoliciesDoNotUse() throws {
        func policy(_ name: String, _ appliesTo: String, regionDefault: String? = nil) -> (path: String, bytes: [UInt8]) {
            let region = regionDefault.map { "{type: enum, values: [north, south], default: \($0)}" } ?? "{type: enum, values: [north, south], optional: true}"
            let text = """
                verdict: 1
                policy: \(name)
                applies_to: \(appliesTo)
                inputs:
                  market: {type: enum, values: [x, y]}
                  region: \(region)
                rules:
                  r:
                    type: int
                    decision: true
                    clause: "1"
                    label: {zh: 规, en: rule}
                    expr: "1"
                """
            return (name + ".yaml", Array(text.utf8))
        }
        let set = try PolicySet.load(files: [
            policy("a", "{market: x}"),
            policy("b", "{market: y, region: south}", regionDefault: "south"),
        ])
        let out = try answer(
            [#"{"market":"x"}"#, #"{"market":"y"}"#, #"{"market":"y","region":"north"}"#, #"{}"#, #"{"market":"X"}"#, #"{"market":"z"}"#],
            with: set)
        #expect(out[0].contains("\"name\":\"a\""), "\(out[0])")
        #expect(out[1].contains("\"name\":\"b\""), "b's own default for region applies: \(out[1])")
        #expect(out[2].contains(#"no policy applies to market \"y\" and region \"north\""#), "a text selector has no declared values: \(out[2])")
        #expect(out[3].contains("`market` is missing"), "\(out[3])")
        // A value the enum does not declare: the declared ones, and a hint for a case slip.
        #expect(out[4].contains(#"market \"X\" is not one of the declared values: x, y; did you mean \"x\"?"#), "\(out[4])")
        #expect(out[5].hasSuffix(#"market \"z\" is not one of the declared values: x, y"}"#), "\(out[5])")
    }
}
