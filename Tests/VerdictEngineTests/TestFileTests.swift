import Testing

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictRuntime
@testable import VerdictTestRunner

let testFileBase = """
    verdict_test: 1
    ticket:
      market: export
      opened_at: "2025-08-31T18:00:00+08:00"
      unit: {installed_on: "2025-06-01", install_count: 1}
      request: {kind: repair, onsite: true, parts_replaced: false}
      fault: {cause: manufacturing, remote_resolvable: false}
      customer: {units_held: 12, largest_single_purchase: 3, maintenance_visits_used: 0, installs_received: 1}
    cases:
      - name: window open
        expect:
          onsite_window_open: true
          fees: []

    """

func checkTests(_ text: String) throws -> [PolicyDiagnostic] {
    let runner = TestRunner(policies: try loadShipped())
    do {
        _ = try runner.prepare(files: [("t.yaml", Array(text.utf8))])
        return []
    } catch {
        return error.diagnostics
    }
}

@Suite struct TestFileTests {
    @Test func aValidFileHasNoProblem() throws {
        #expect(try checkTests(testFileBase).isEmpty)
    }

    static let mistakes: [(String, String, DiagnosticCode, String)] = [
        ("unknown decision", "      visit_chargable: true\n", .unknownDecision, "did you mean `visit_chargeable`?"),
        ("expectation type", "      visit_chargeable: yes\n", .expectationType, ""),
        ("catalogue id", "      required_forms: [service_reciept]\n", .expectationType, "did you mean `service_receipt`?"),
        ("date type", "      warranty_last_day: tomorrow\n", .expectationType, ""),
    ]

    @Test(arguments: mistakes.indices)
    func expectationsAreChecked(_ i: Int) throws {
        let (name, line, code, help) = Self.mistakes[i]
        let d = try checkTests(testFileBase + "  - name: bad\n    expect:\n" + line)
        #expect(d.contains { $0.code == code && (help.isEmpty || $0.help == help) }, "\(name): \(d.map { "\($0.code) \($0.message) \($0.help ?? "")" })")
        #expect(d.allSatisfy { $0.file == "t.yaml" && $0.line > 14 }, "\(d)")
    }

    @Test func ticketFieldsAreChecked() throws {
        let unknown = try checkTests(testFileBase + "  - name: bad\n    ticket: {unit: {instaled_on: \"2025-01-01\"}}\n    expect: {in_warranty: true}\n")
        #expect(unknown.contains { $0.code == .unknownTicketField && $0.help == "did you mean `installed_on`?" }, "\(unknown)")
        let wrong = try checkTests(testFileBase + "  - name: bad\n    ticket: {unit: {install_count: \"1\"}}\n    expect: {in_warranty: true}\n")
        #expect(wrong.contains { $0.code == .ticketType && $0.message.contains("whole number") }, "\(wrong)")
        let enumTypo = try checkTests(testFileBase + "  - name: bad\n    ticket: {request: {kind: repiar}}\n    expect: {in_warranty: true}\n")
        #expect(enumTypo.contains { $0.code == .ticketType && $0.message.contains("did you mean `repair`?") }, "\(enumTypo)")
        // A wrong value on purpose goes in raw_ticket, unchecked.
        let raw = try checkTests(testFileBase + "  - name: raw\n    raw_ticket: '{\"market\":\"export\",\"unit\":{\"install_count\":\"1\"}}'\n    expect: {first_install_free: undetermined}\n")
        #expect(raw.isEmpty, "\(raw)")
    }

    @Test func theAnsweringPolicyIsChecked() throws {
        let wrong = try checkTests(testFileBase.replacingOccurrences(of: "verdict_test: 1\n", with: "verdict_test: 1\npolicy: domestic\n"))
        #expect(wrong.contains { $0.code == .casePolicy && $0.message.contains("answered by policy `export 2026.1`, not `domestic`") }, "\(wrong)")
        let none = try checkTests(testFileBase + "  - name: mars\n    ticket: {market: mars}\n    expect: {fees: []}\n")
        #expect(none.contains { $0.code == .casePolicy && $0.message.contains("no policy answers") }, "\(none)")
    }

    @Test func aFailureSaysWhereWhatAndWhy() throws {
        let set = try loadShipped()
        let text = testFileBase + "  - name: wrong on purpose\n    ticket: {opened_at: \"2025-09-01T08:00:00+08:00\"}\n    expect:\n      visit_chargeable: false\n      in_warranty: undetermined\n"
        let runner = TestRunner(policies: set)
        let cases = try runner.prepare(files: [("t.yaml", Array(text.utf8))])
        let results = runner.run(cases)
        #expect(results[0].passed)
        let failed = try #require(results.last)
        #expect(!failed.passed && failed.at.line == 14 && failed.at.column == 5, "\(failed.at)")
        #expect(failed.failures.map(\.decision) == ["visit_chargeable", "in_warranty"])
        #expect(failed.failures[0].expected == "false" && failed.failures[0].actual == "true")
        #expect(failed.failures[1].expected == "undetermined" && failed.failures[1].actual == "true")
        let why = try #require(failed.explanation)
        #expect(why.contains("Within the free on-site window: no"), "\(why)")
        let report = TestReport(results: results)
        #expect(report.render(.text).hasSuffix("1 passed, 1 failed\n"))
        #expect(report.render(.junit).contains("<failure message=\"visit_chargeable: expected false, got true; in_warranty: expected undetermined, got true\">"))
        #expect(try parseJSON(report.render(.json)) != .null)
    }
}
