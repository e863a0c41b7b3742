import Foundation
import Testing

/// Expression cost: a worst case estimated at `check` (`--costs`, the budget
/// error E0603) and a per-ticket budget of steps at run time. The timings of
/// these reproductions are measured in bench/hardening.sh; here, what each
/// answers.
@Suite struct CostTests {
    static func policy(_ expr: String, tags: String = "{type: list, of: string}") -> String {
        """
        verdict: 1
        policy: t
        applies_to: {market: a}
        inputs:
          market: {type: enum, values: [a], label: {zh: 市, en: Market}}
          tags: \(tags)
        rules:
          r:
            type: bool
            decision: true
            clause: "1"
            label: {zh: 甲, en: R}
            expr: "\(expr)"
          size_of_tags:
            type: int
            decision: true
            clause: "1"
            label: {zh: 乙, en: Size}
            expr: size(tags)

        """
    }

    static let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"

    static func nested(_ depth: Int, _ macro: String = "all") -> String {
        let vars = (0..<depth).map { "v\($0)" }
        var body = vars.joined(separator: " + ") + " > 0"
        for v in vars.reversed() { body = "\(ten).\(macro)(\(v), \(body))" }
        return body
    }

    /// Nine nested `all` over ten items: 10⁹ iterations. `check` refuses the
    /// policy, naming the rule, its estimate and the list that drives it.
    @Test func checkRefusesAPolicyOverTheBudget() throws {
        let dir = try TempDir()
        try dir.write("p.yaml", Self.policy(Self.nested(9)))
        let run = try verdict(["check", "--policies", dir.path])
        #expect(run.status == 1, "\(run)")
        #expect(run.out.contains("[E0603]"), "\(run)")
        #expect(run.out.contains("rule `r` may take"), "\(run)")
        #expect(run.out.contains("over the budget of 1,000,000"), "\(run)")
        #expect(run.out.contains("9 levels deep over a list of 10 items"), "\(run)")
        // eval loads the same way: nothing is read.
        let eval = try verdict(["eval", "--policies", dir.path], stdin: Array("{\"market\":\"a\"}\n".utf8))
        #expect(eval.status == 2 && eval.stdout.isEmpty, "\(eval)")
    }

    @Test func theBudgetIsConfigurable() throws {
        let dir = try TempDir()
        try dir.write("p.yaml", Self.policy(Self.nested(3)))
        let run = try verdict(["check", "--policies", dir.path, "--costs"])
        #expect(run.status == 0, "\(run)")
        #expect(run.out.contains("t: at most"), "\(run)")
        #expect(run.out.contains("  r  (a list of 10 items written in the expression)"), "\(run)")
        let tight = try verdict(["check", "--policies", dir.path, "--cost-limit", "1000"])
        #expect(tight.status == 1 && tight.out.contains("over the budget of 1,000"), "\(tight)")
    }

    /// `max_items` bounds the estimate and the tickets: a longer list is an
    /// invalid input, so the decisions that read it are undetermined.
    @Test func maxItemsBoundsTheEstimateAndTheTicket() throws {
        let dir = try TempDir()
        try dir.write(
            "p.yaml",
            Self.policy("tags.all(a, tags.exists_one(b, a == b))", tags: "{type: list, of: string, max_items: 50}"))
        let check = try verdict(["check", "--policies", dir.path, "--costs"])
        #expect(check.status == 0, "\(check)")
        #expect(check.out.contains("`tags` has at most 50 items (its `max_items`)"), "\(check)")
        let long = "{\"market\":\"a\",\"tags\":[" + (0..<51).map { "\"t\($0)\"" }.joined(separator: ",") + "]}\n"
        let run = try verdict(["eval", "--policies", dir.path], stdin: Array(long.utf8))
        #expect(run.status == 0, "\(run)")
        #expect(run.out.contains(#""r":"tags: 51 items, more than its `max_items` 50""#), "\(run)")
    }

    /// `tags.all(a, tags.exists_one(b, a == b))` on 30,000 tags is 9 × 10⁸
    /// steps: the ticket's decision that needs it is undetermined with the
    /// reason, the others are answered, and the stream goes on.
    @Test func aTicketOverTheBudgetIsUndeterminedAndTheStreamGoesOn() throws {
        let dir = try TempDir()
        try dir.write("p.yaml", Self.policy("tags.all(a, tags.exists_one(b, a == b))"))
        let big = "{\"id\":\"big\",\"market\":\"a\",\"tags\":[" + (0..<30_000).map { "\"t\($0)\"" }.joined(separator: ",") + "]}\n"
        let small = "{\"id\":\"small\",\"market\":\"a\",\"tags\":[\"x\",\"y\"]}\n"
        let run = try verdict(["eval", "--policies", dir.path], stdin: Array((big + small).utf8))
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.count == 2, "\(run)")
        guard run.lines.count == 2 else { return }
        #expect(run.lines[0].contains(#""answers":{"size_of_tags":30000}"#), "\(run)")
        #expect(run.lines[0].contains("evaluation stopped after 1,000,000 steps"), "\(run)")
        #expect(run.lines[1].contains(#""answers":{"r":true,"size_of_tags":2}"#), "\(run)")
    }

    /// Nine nested `map` over ten items would build 10⁹ values: `expr` stops
    /// at the budget instead.
    @Test func exprStopsAtTheBudget() throws {
        let dir = try TempDir()
        try dir.write("l.json", #"{"L": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}"#)
        var e = "1"
        for v in ["a", "b", "c", "d", "e", "f", "g", "h", "i"].reversed() { e = "L.map(\(v), \(e))" }
        let run = try verdict(["expr", e, "--input", dir.path + "/l.json"])
        #expect(run.status == 1, "\(run)")
        #expect(run.err.contains("evaluation stopped after 1,000,000 steps"), "\(run)")
    }
}
