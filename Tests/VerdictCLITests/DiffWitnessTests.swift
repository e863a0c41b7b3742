import Foundation
import Testing

/// `verdict diff` witnesses: tickets on which two policies answer a decision
/// differently, each a case for a test file, and proofs of equivalence.
@Suite struct DiffWitnessTests {
    struct Found {
        var decision: String
        var verdict: String
        var proven: Bool
        /// The test-case object, and the old and new answers.
        var witnesses: [(testCase: [String: Any], line: String, old: Any, new: Any)]
    }

    /// The witness sections of a `diff --format json` run, by decision.
    func witnesses(_ run: Run) throws -> [String: Found] {
        let report = try jsonObject(run.out)
        var out: [String: Found] = [:]
        for section in report["witnesses"] as? [[String: Any]] ?? [] {
            for d in section["decisions"] as? [[String: Any]] ?? [] {
                let name = d["name"] as? String ?? ""
                var found = Found(
                    decision: name, verdict: d["verdict"] as? String ?? "", proven: d["proven"] as? Bool ?? false,
                    witnesses: [])
                for w in d["witnesses"] as? [[String: Any]] ?? [] {
                    let testCase = w["case"] as? [String: Any] ?? [:]
                    let line = String(decoding: try JSONSerialization.data(withJSONObject: testCase, options: [.sortedKeys]), as: UTF8.self)
                    found.witnesses.append((testCase, line, w["old"] ?? NSNull(), w["new"] ?? NSNull()))
                }
                out[name] = found
            }
        }
        return out
    }

    /// A test file whose cases are the witness lines, as a user would paste them.
    func testFile(_ lines: [String]) -> String {
        "verdict_test: 1\ncases:\n" + lines.map { "  - " + $0 + "\n" }.joined()
    }

    @Test func eachWitnessIsATestCaseTheNewVersionPassesAndTheOldFails() throws {
        let copy = try PolicyCopy()
        try copy.edit("export.yaml", replacing: "    value: 3\n", with: "    value: 6\n")
        let run = try verdict(["diff", Repo.policies, copy.path, "--format", "json"])
        #expect(run.status == 1, "\(run)")
        let found = try witnesses(run)
        // The window decides these; the rest is proven equivalent, not sampled.
        let differing = Set(found.values.filter { !$0.witnesses.isEmpty }.map(\.decision))
        #expect(differing == ["onsite_window_open", "onsite_covered", "visit_chargeable", "fees"], "\(differing)")
        for f in found.values where f.witnesses.isEmpty {
            #expect(f.proven && f.verdict.hasPrefix("equivalent on all "), "\(f.decision): \(f.verdict)")
        }
        for f in found.values where !f.witnesses.isEmpty {
            #expect(f.proven && f.verdict.hasPrefix("differs on "), "\(f.decision): \(f.verdict)")
            #expect(f.witnesses.count == 3, "\(f.decision)")
        }
        // Each witness's ticket opens between the 3rd and the 6th month after installation.
        for f in found.values {
            for w in f.witnesses {
                let ticket = w.testCase["ticket"] as? [String: Any] ?? [:]
                #expect(ticket["market"] as? String == "export", "\(w.line)")
                let opened = (ticket["opened_at"] as? String ?? "").prefix(10)
                let installed = (ticket["unit"] as? [String: Any])?["installed_on"] as? String ?? ""
                #expect(opened >= installed.prefix(10), "\(w.line)")
            }
        }

        let lines = found.values.sorted { $0.decision < $1.decision }.flatMap { $0.witnesses.map(\.line) }
        let dir = try TempDir()
        try dir.write("witnesses.yaml", testFile(lines))
        // Pasted into a test file: every case passes on the new version…
        let new = try verdict(["test", dir.path + "/witnesses.yaml", "--policies", copy.path])
        #expect(new.status == 0, "\(new)")
        #expect(new.out.contains("\(lines.count) passed"), "\(new.out)")
        // …and every one fails on the old: each is a real difference, checked by the evaluator itself.
        let old = try verdict(["test", dir.path + "/witnesses.yaml", "--policies", Repo.policies])
        #expect(old.status == 1, "\(old)")
        #expect(old.out.contains("0 passed, \(lines.count) failed"), "\(old.out)")
    }

    @Test func theOldAnswerIsWhatTheOldVersionSays() throws {
        let copy = try PolicyCopy()
        try copy.edit("export.yaml", replacing: "    value: 3\n", with: "    value: 6\n")
        let found = try witnesses(try verdict(["diff", Repo.policies, copy.path, "--format", "json"]))
        let f = try #require(found["visit_chargeable"])
        for w in f.witnesses {
            let ticket = try JSONSerialization.data(withJSONObject: w.testCase["ticket"] ?? [:])
            for (policies, expected) in [(Repo.policies, w.old), (copy.path, w.new)] {
                let eval = try verdict(["eval", "--policies", policies, "--ask", "visit_chargeable"], stdin: [UInt8](ticket))
                let answers = try jsonObject(eval.out)["answers"] as? [String: Any]
                #expect(answers?["visit_chargeable"] as? Bool == expected as? Bool, "\(policies): \(eval.out)")
            }
        }
    }

    @Test func acrossMarketsEachSideReadsItsOwnMarket() throws {
        let run = try verdict(["diff", "--policies", "policies", "domestic", "export", "--format", "json"])
        let found = try witnesses(run)
        let f = try #require(found["first_install_free"])
        #expect(!f.witnesses.isEmpty)
        for w in f.witnesses {
            var ticket = w.testCase["ticket"] as? [String: Any] ?? [:]
            #expect(ticket["market"] as? String == "export")
            #expect((w.testCase["name"] as? String)?.hasPrefix("first_install_free: domestic ") == true, "\(w.line)")
            // The domestic answer is the one for the same ticket in the domestic market.
            ticket["market"] = "domestic"
            let eval = try verdict(
                ["eval", "--ask", "first_install_free"], stdin: [UInt8](try JSONSerialization.data(withJSONObject: ticket)))
            let line = try jsonObject(eval.out)
            let answer = (line["answers"] as? [String: Any])?["first_install_free"]
            if let old = w.old as? Bool {
                #expect(answer as? Bool == old, "\(eval.out)")
            } else {
                #expect(answer == nil, "undetermined on the domestic side: \(eval.out)")
            }
        }
        #expect(found["in_warranty"]?.proven == true && found["in_warranty"]?.witnesses.isEmpty == true)
    }

    @Test func noSearchWithZeroWitnessesOrNoChange() throws {
        let copy = try PolicyCopy()
        try copy.edit("export.yaml", replacing: "    value: 3\n", with: "    value: 6\n")
        let off = try verdict(["diff", Repo.policies, copy.path, "--format", "json", "--witnesses", "0"])
        #expect(try jsonObject(off.out)["witnesses"] == nil, "\(off.out)")
        let same = try verdict(["diff", Repo.policies, Repo.policies])
        #expect(same.status == 0 && !same.out.contains("witnesses"), "\(same)")
        let text = try verdict(["diff", Repo.policies, copy.path, "--witnesses", "1"])
        #expect(text.out.contains("witnesses, export 2026.1: 4 of 16 decisions answer differently, 12 proven equivalent"), "\(text.out)")
        #expect(text.out.contains("  onsite_window_open: differs on "), "\(text.out)")
        let bad = try verdict(["diff", Repo.policies, copy.path, "--witnesses", "-1"])
        #expect(bad.status == 2, "\(bad)")
    }
}
