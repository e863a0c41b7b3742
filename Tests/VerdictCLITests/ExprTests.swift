import Foundation
import Testing

/// `verdict expr`: one CEL expression, its value printed as a CEL literal.
@Suite struct ExprTests {
    @Test(arguments: [
        ("1 + 2", "3"),
        ("[1, 2]", "[1, 2]"),
        (#"{"k": 1}"#, #"{"k": 1}"#),
        (#""s""#, #""s""#),
        ("'a' + 'b'", #""ab""#),
        ("1.0", "1.0"),
        ("null", "null"),
        ("date('2025-01-31').addMonths(1)", #"date("2025-02-28")"#),
        ("timestamp('2026-03-14T09:30:00+08:00').addHours(24)", #"timestamp("2026-03-15T09:30:00+08:00")"#),
        ("-1 + 2", "1"),
        ("-(3)", "-3"),
        ("--5", "5"),
    ])
    func printsTheValueAsACELLiteral(_ expression: String, _ literal: String) throws {
        let run = try verdict(["expr", expression])
        #expect(run.status == 0, "\(run)")
        #expect(run.out == literal + "\n", "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    /// Options may come after an expression that starts with a minus sign.
    @Test func optionsAfterANegativeExpression() throws {
        let dir = try TempDir()
        try dir.write("t.json", #"{"x": 4}"#)
        let run = try verdict(["expr", "-x * 2", "--input", dir.path + "/t.json"])
        #expect(run.status == 0 && run.out == "-8\n", "\(run)")
    }

    @Test func readsATicketFromAFileOrFromStdin() throws {
        let dir = try TempDir()
        try dir.write("ticket.json", ticket("t"))
        let expression = "date(unit.installed_on).addMonths(12)"

        let fromFile = try verdict(["expr", expression, "--input", dir.path + "/ticket.json"])
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(fromFile.out == "date(\"2026-06-01\")\n", "\(fromFile)")

        let fromStdin = try verdict(["expr", expression, "--input", "-"], stdin: Array(ticket("t").utf8))
        #expect(fromStdin.status == 0, "\(fromStdin)")
        #expect(fromStdin.out == "date(\"2026-06-01\")\n", "\(fromStdin)")
        #expect(fromStdin.stdinConsumed > 0)
    }

    @Test(arguments: ["1 / 0", "no_such_name + 1", "1 +", "'a' < 1"])
    func anErrorGoesToStderrWithExitOne(_ expression: String) throws {
        let run = try verdict(["expr", expression])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.err.contains("error"), "\(run)")
    }

    /// With --policy the ticket is typed as the policy declares it, and its
    /// parameters and rules are names in the expression.
    @Test func evaluatesInsideAPolicy() throws {
        let dir = try TempDir()
        try dir.write("ticket.json", ticket("t"))
        let input = dir.path + "/ticket.json"
        let typed = try verdict([
            "expr", "unit.installed_on.addMonths(params.warranty_months)", "--policy", "domestic",
            "--policies", Repo.path("policies"), "--input", input,
        ])
        #expect(typed.status == 0, "\(typed)")
        #expect(typed.out == "date(\"2026-06-01\")\n", "\(typed)")

        let rule = try verdict(["expr", "size(required_forms) > 0", "--policy", "export", "--policies", Repo.path("policies"), "--input", input])
        #expect(rule.status == 0, "\(rule)")
        #expect(rule.out == "true\n", "\(rule)")
        // The ticket is domestic: evaluating it under `export` comes with a note.
        #expect(rule.err.contains("would answer this ticket with policy `domestic`"), "\(rule)")
        #expect(typed.stderr.isEmpty, "\(typed)")

        let misspelt = try verdict(["expr", "in_waranty", "--policy", "domestic", "--policies", Repo.path("policies")])
        #expect(misspelt.status == 1, "\(misspelt)")
        #expect(misspelt.err.contains("did you mean `in_warranty`?"), "\(misspelt)")

        let missing = try verdict(["expr", "in_warranty", "--policy", "domestic", "--policies", Repo.path("policies")])
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.err.contains("is missing"), "\(missing)")

        let unknown = try verdict(["expr", "1", "--policy", "mars", "--policies", Repo.path("policies")])
        #expect(unknown.status == 2, "\(unknown)")
    }
}
