import Foundation
import Testing

/// `verdict test` as owners and CI run it.
@Suite struct TestCommandTests {
    @Test func theShippedSuitePasses() throws {
        let run = try verdict(["test", "--coverage"])
        #expect(run.status == 0, "\(run)")
        #expect(run.out.contains(" passed, 0 failed\n"), "\(run.out.suffix(400))")
        #expect(run.out.contains("total coverage:"), "\(run.out.suffix(400))")
    }

    @Test func aFailingCaseExitsOneAndBadFilesTwo() throws {
        let dir = try TempDir()
        try dir.write("wrong.yaml", """
            verdict_test: 1
            ticket: {market: export, opened_at: "2025-09-01T08:00:00+08:00", unit: {installed_on: "2025-06-01", install_count: 1}, request: {kind: repair, onsite: true}, fault: {cause: manufacturing, remote_resolvable: false}, customer: {units_held: 1, largest_single_purchase: 1, maintenance_visits_used: 0, installs_received: 1}}
            cases:
              - name: the window is open (it is not)
                expect: {onsite_window_open: true}
            """)
        let run = try verdict(["test", dir.path + "/wrong.yaml"])
        #expect(run.status == 1, "\(run)")
        #expect(run.out.contains("FAIL  the window is open (it is not)   (\(dir.path)/wrong.yaml:4)"), "\(run.out)")
        #expect(run.out.contains("onsite_window_open: expected true, got false"), "\(run.out)")
        #expect(run.out.hasSuffix("0 passed, 1 failed\n"), "\(run.out)")
        let junit = try verdict(["test", dir.path + "/wrong.yaml", "--format", "junit"])
        #expect(junit.out.hasPrefix("<?xml") && junit.out.contains("<failure "), "\(junit.out)")
        try dir.write("bad.yaml", "verdict_test: 1\ncases:\n  - name: x\n    expect: {in_waranty: true}\n    ticket: {market: export}\n")
        let bad = try verdict(["test", dir.path + "/bad.yaml"])
        #expect(bad.status == 2 && bad.err.contains("bad.yaml:4:14: error: `in_waranty` is not a decision of policy `export` [E0701]"), "\(bad)")
    }

    @Test func runFiltersByName() throws {
        let run = try verdict(["test", "--run", "29 February"])
        #expect(run.status == 0 && run.out.hasSuffix("2 passed, 0 failed\n"), "\(run.out)")
    }
}
