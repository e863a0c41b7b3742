import Testing
import VerdictJSON

import CEL
@testable import VerdictCompiler
@testable import VerdictDiff
@testable import VerdictModel
@testable import VerdictRuntime

func setDiff(_ old: [(path: String, bytes: [UInt8])], _ new: [(path: String, bytes: [UInt8])]) throws -> SetDiff {
    SetDiff(old: try PolicySet.load(files: old), new: try PolicySet.load(files: new))
}

/// The changes to one policy.
func changes(_ d: SetDiff, _ name: String) -> [Change] {
    d.policies.filter { $0.name == name }.flatMap(\.changes)
}

@Suite struct DiffTests {
    @Test func identicalPoliciesHaveNoChange() throws {
        let files = try Repo.policyFiles()
        let d = try setDiff(files, files)
        #expect(!d.hasSemanticChanges)
        #expect(d.policies.allSatisfy { $0.old?.identity == $0.new?.identity })
    }

    @Test(arguments: SnapshotTests.reformattings.indices)
    func reformattingIsNoSemanticChange(_ i: Int) throws {
        let (name, file, edit) = SnapshotTests.reformattings[i]
        let d = try setDiff(Repo.policyFiles(), shipped(editing: file, edit))
        #expect(!d.hasSemanticChanges, "\(name): \(d.policies.flatMap(\.changes).map(\.subject))")
    }

    /// One edit, and the change `diff` must report for it.
    struct Expected: Sendable, CustomTestStringConvertible {
        var name: String
        var file: String
        var edit: @Sendable (String) -> String
        var policy: String
        var kind: Change.Kind
        var subject: String
        var aspect: String?
        var old: String?
        var new: String?
        /// A decision it must reach (nil: explanations only).
        var affects: String?
        var testDescription: String { name }
    }

    static let expected: [Expected] = [
        Expected(
            name: "parameter value", file: "export.yaml", edit: { $0.replacingOccurrences(of: "value: 3", with: "value: 6") },
            policy: "export", kind: .changed, subject: "parameter `onsite_window_months`", aspect: "value", old: "3", new: "6",
            affects: "visit_chargeable"),
        Expected(
            name: "rule expression", file: "equipment.yaml",
            edit: { $0.replacingOccurrences(of: "expr: ticket_date < warranty_end", with: "expr: ticket_date <= warranty_end") },
            policy: "domestic", kind: .changed, subject: "rule `in_warranty`", aspect: "expression",
            old: "ticket_date < warranty_end", new: "ticket_date <= warranty_end", affects: "fees"),
        Expected(
            name: "table row added", file: "equipment.yaml",
            edit: {
                $0.replacingOccurrences(
                    of: "      rows:\n        - when: customer.units_held >= params.maintenance_high_units",
                    with: "      rows:\n        - when: customer.units_held >= 50\n          then: 3\n          clause: \"7.1.4\"\n        - when: customer.units_held >= params.maintenance_high_units")
            },
            policy: "export", kind: .added, subject: "row 1 of `maintenance_visits_per_year`", aspect: nil, old: nil,
            new: "when customer.units_held >= 50 then 3", affects: "maintenance_visits_per_year"),
        Expected(
            name: "table row then", file: "equipment.yaml",
            edit: { $0.replacingOccurrences(of: "          then: params.maintenance_high_visits\n", with: "          then: 3\n") },
            policy: "export", kind: .changed, subject: "row 1 of `maintenance_visits_per_year`", aspect: "then",
            old: "params.maintenance_high_visits", new: "3", affects: "onsite_covered"),
        Expected(
            name: "default row", file: "equipment.yaml",
            edit: { $0.replacingOccurrences(of: "      default:\n        then: 0\n", with: "      default:\n        then: 1\n") },
            policy: "domestic", kind: .changed, subject: "the default of `maintenance_visits_per_year`", aspect: "then",
            old: "0", new: "1", affects: "maintenance_visits_per_year"),
        Expected(
            name: "item removed", file: "equipment.yaml",
            edit: {
                $0.replacingOccurrences(of: "      - id: purchasing\n        when: cause_outsourced\n        clause: \"6.8\"\n", with: "")
            },
            policy: "export", kind: .removed, subject: "item `purchasing` of `escalations`", aspect: nil,
            old: "when cause_outsourced", new: nil, affects: "escalations"),
        Expected(
            name: "item condition", file: "equipment.yaml",
            edit: { $0.replacingOccurrences(of: "        when: quality_fault\n        clause: \"4.2\"", with: "        when: quality_fault && in_warranty\n        clause: \"4.2\"") },
            policy: "export", kind: .changed, subject: "item `rnd` of `escalations`", aspect: "when", old: "quality_fault",
            new: "quality_fault && in_warranty", affects: "escalations"),
        Expected(
            name: "catalogue amount", file: "base.yaml",
            edit: { $0.replacingOccurrences(of: "parts: {label: {zh: 配件费, en: Parts fee}, clause: [\"7.1.6\", \"7.2.6\"]}", with: "parts: {label: {zh: 配件费, en: Parts fee}, clause: [\"7.1.6\", \"7.2.6\"], amount: 80, currency: EUR}") },
            policy: "material", kind: .changed, subject: "catalogue entry `fee_items.parts`", aspect: "amount",
            old: "no amount", new: "80 EUR", affects: nil),
        Expected(
            name: "enum values", file: "base.yaml",
            edit: { $0.replacingOccurrences(of: "values: [domestic, export]", with: "values: [domestic, export, eu]") },
            policy: "domestic", kind: .changed, subject: "input `market`", aspect: "enum values",
            old: "[domestic, export]", new: "[domestic, export, eu] (added [eu])", affects: nil),
        Expected(
            name: "applies_to", file: "material.yaml",
            edit: { $0.replacingOccurrences(of: "  market: [domestic, export]", with: "  market: [domestic]") },
            policy: "material", kind: .changed, subject: "`applies_to.market`", aspect: "values",
            old: "[domestic, export]", new: "[domestic]", affects: "response_due"),
        Expected(
            name: "version", file: "domestic.yaml",
            edit: { $0.replacingOccurrences(of: "version: \"2026.1\"", with: "version: \"2026.2\"") },
            policy: "domestic", kind: .changed, subject: "version", aspect: nil, old: "2026.1", new: "2026.2", affects: nil),
    ]

    @Test(arguments: expected)
    func everyKindOfChangeIsReported(_ e: Expected) throws {
        let d = try setDiff(Repo.policyFiles(), shipped(editing: e.file, e.edit))
        let found = changes(d, e.policy).first { $0.subject == e.subject && $0.aspect == e.aspect && $0.kind == e.kind }
        let c = try #require(found, "\(e.name): \(changes(d, e.policy).map { "\($0.kind) \($0.subject) \($0.aspect ?? "")" })")
        if let old = e.old { #expect(c.old == old, "\(e.name)") }
        if let new = e.new { #expect(c.new == new, "\(e.name)") }
        if let affects = e.affects {
            #expect(c.affects.contains(affects), "\(e.name): \(c.affects)")
        }
        // Positions on the sides that have it.
        if c.kind != .added { #expect(c.oldAt != nil, "\(e.name): no old position") }
        if c.kind != .removed { #expect(c.newAt != nil || e.name == "enum values", "\(e.name): no new position") }
        // Nothing else changed in a policy the edit cannot reach.
        if e.file == "export.yaml" { #expect(changes(d, "domestic").isEmpty && changes(d, "material").isEmpty) }
    }

    @Test func aNewVersionIsComparedWithTheVersionItReplaces() throws {
        let d = try setDiff(Repo.policyFiles(), withExportVersion())
        let export = d.policies.filter { $0.name == "export" }
        #expect(export.count == 2)
        #expect(export[0].isUnchanged, "2026.1 is still there unchanged")
        let v2 = export[1]
        #expect(v2.old?.identity.version == "2026.1" && v2.new?.identity.version == "2026.2")
        #expect(v2.changes.contains { $0.subject == "parameter `warranty_months`" && $0.old == "12" && $0.new == "18" })
        #expect(v2.changes.contains { $0.subject == "the days it is in force" })
    }

    @Test func acrossMarketsTheGuidelinesDifferencesShow() throws {
        let set = try loadShipped()
        let a = try #require(set.index(named: "domestic"))
        let b = try #require(set.index(named: "export"))
        let d = SetDiff(comparing: PolicySide(set, a), with: PolicySide(set, b))
        let c = d.policies[0].changes
        #expect(c.contains { $0.subject == "parameter `onsite_window_months`" && $0.old == "12" && $0.new == "3" })
        #expect(c.contains { $0.subject == "rule `first_install_free`" && $0.aspect == "expression" })
        #expect(c.first { $0.subject == "`applies_to.market`" }?.affects == [], "different markets by design")
    }

    /// The replay's counts equal evaluating each ticket on both sides one by one.
    @Test(arguments: [1, 3])
    func replayCountsEqualBruteForce(_ workers: Int) throws {
        let old = try loadShipped()
        let new = try PolicySet.load(files: try shipped(editing: "export.yaml") { $0.replacingOccurrences(of: "value: 3", with: "value: 6") })
        var lines = try Repo.lines("Tests/Golden/spec-cases.jsonl") + (try Repo.lines("examples/tickets.jsonl"))
        lines.append("not json")
        let diff = SetDiff(old: old, new: new)
        let input = Array(lines.joined(separator: "\n").utf8)
        let replay = Replay(old: old, new: new, diff: diff, workers: workers, chunkBytes: 4096)
        let report = replay.run(read: reader(input), write: { _ in true })
        // Brute force.
        let a = Evaluator(policies: old.compiled, plan: AskPlan(allOf: old.compiled))
        let b = Evaluator(policies: new.compiled, plan: AskPlan(allOf: new.compiled))
        var changed: [String: Int] = [:]
        var changedTickets = 0
        for line in lines where !line.allSatisfy(\.isWhitespace) {
            var x = Evaluation()
            var y = Evaluation()
            Array(line.utf8).withUnsafeBytes { a.evaluate(line: $0, into: &x) }
            Array(line.utf8).withUnsafeBytes { b.evaluate(line: $0, into: &y) }
            guard x.status == .answered, y.status == .answered else { continue }
            var any = false
            for (k, d) in a.plan.decisions[x.policy].enumerated() {
                guard let j = b.plan.decisions[y.policy].firstIndex(where: { $0.name == d.name }) else { continue }
                let same: Bool =
                    switch (x.outcomes[k], y.outcomes[j]) {
                    case (.value(let p), .value(let q)): p == q
                    case (.undetermined, .undetermined): true
                    default: false
                    }
                if !same {
                    changed[d.name, default: 0] += 1
                    any = true
                }
            }
            if any { changedTickets += 1 }
        }
        #expect(report.tickets == lines.count)
        #expect(report.changedTickets == changedTickets)
        #expect(report.decisions.mapValues(\.changed) == changed)
        #expect(changedTickets > 0, "the edit changes some answers in the corpus")
        #expect(report.decisions["visit_chargeable"]?.explainedBy.isEmpty == false)
    }

    /// Runs a replay over `input` read `chunk` bytes at a time; the report and the per-ticket lines.
    func replay(
        _ old: PolicySet, _ new: PolicySet, _ input: [UInt8], chunk: Int, workers: Int = 2, allTickets: Bool = false,
        maxLineBytes: Int = 64 << 20
    ) -> (ReplayReport, [String]) {
        var out: [UInt8] = []
        let replay = Replay(
            old: old, new: new, diff: SetDiff(old: old, new: new), workers: workers, perTicket: true,
            allTickets: allTickets, chunkBytes: chunk, maxLineBytes: maxLineBytes)
        let report = replay.run(read: reader(input), write: { out += $0; return true })
        return (report, String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init))
    }

    /// 600 tickets, each opened at another hour, so that a longer reply time
    /// gives 600 distinct `response_due` pairs: more than a report keeps.
    func distinctReplyTimes() throws -> (PolicySet, PolicySet, [UInt8]) {
        let old = try loadShipped()
        let new = try PolicySet.load(
            files: try shipped(editing: "base.yaml") { $0.replacingOccurrences(of: "value: 24\n", with: "value: 48\n") })
        var text = ""
        for i in 0..<600 {
            let day = 1 + i / 24
            let hour = i % 24
            text += "{\"id\":\"R-\(i)\",\"market\":\"export\",\"opened_at\":\"2026-03-\(day < 10 ? "0" : "")\(day)T"
            text += "\(hour < 10 ? "0" : "")\(hour):00:00Z\"}\n"
        }
        return (old, new, Array(text.utf8))
    }

    /// Which value pairs a report keeps (the first 200 distinct ones in input
    /// order) does not depend on where the reads split the input.
    @Test func keptPairsDoNotDependOnReadBoundaries() throws {
        let (old, new, input) = try distinctReplyTimes()
        let (whole, _) = replay(old, new, input, chunk: 1 << 20, workers: 1)
        let due = try #require(whole.decisions["response_due"])
        #expect(due.changed == 600 && due.pairs.count == ReplayReport.maxPairs && due.otherPairs == 400)
        #expect(due.pairs.keys.contains("\"2026-03-02T00:00:00Z\" → \"2026-03-03T00:00:00Z\""), "the first ticket's pair")
        #expect(!due.pairs.keys.contains("\"2026-03-26T23:00:00Z\" → \"2026-03-27T23:00:00Z\""), "the last ticket's pair")
        for (chunk, workers) in [(97, 1), (4096, 2), (10_000, 3)] {
            let (r, _) = replay(old, new, input, chunk: chunk, workers: workers)
            let s = try #require(r.decisions["response_due"])
            #expect(s.pairs == due.pairs && s.otherPairs == due.otherPairs, "chunk \(chunk)")
            #expect(s.examples == ["R-0", "R-1", "R-2"])
        }
    }

    /// With `allTickets`, every non-blank line gets one line, in input order,
    /// and the lines add up to the report.
    @Test func everyTicketIsALineAndTheLinesAddUpToTheReport() throws {
        let old = try loadShipped()
        let new = try PolicySet.load(files: try shipped(editing: "export.yaml") { $0.replacingOccurrences(of: "value: 3", with: "value: 6") })
        var lines = try Repo.lines("examples/tickets.jsonl") + (try Repo.lines("Tests/Golden/spec-cases.jsonl"))
        lines.insert("", at: 3)
        lines.insert("not json", at: 5)
        lines.insert("{\"id\":\"long\",\"market\":\"export\",\"pad\":\"" + String(repeating: "x", count: 2000) + "\"}", at: 7)
        lines.append("   ")
        let input = Array(lines.joined(separator: "\n").utf8)
        let (report, out) = replay(old, new, input, chunk: 512, allTickets: true, maxLineBytes: 1024)
        let expected = lines.indices.filter { !lines[$0].allSatisfy(\.isWhitespace) }.map { $0 + 1 }
        let objects: [JSONObject] = try out.map {
            guard case .success(.object(let o)) = JSONReader.parse(Array($0.utf8)) else { throw TestFailure("not an object: \($0)") }
            return o
        }
        #expect(objects.map { o -> Int64? in if case .number(let n)? = o["line"] { n.int } else { nil } } == expected.map { Int64($0) })
        #expect(out.count == report.tickets)
        #expect(out[7 - 1].contains("\"old\":{\"error\":\"line is longer than 1024 bytes\"}"), "\(out[6])")
        #expect(out[7 - 1].hasPrefix("{\"line\":8,\"id\":null,"), "\(out[6])")
        // Changed tickets and counts per decision and per explaining change.
        var changed = 0
        var perDecision: [String: Int] = [:]
        var explained: [String: [Int: Int]] = [:]
        for o in objects {
            guard case .object(let c)? = o["changed"], !c.isEmpty else { continue }
            changed += 1
            for (name, entry) in c.entries {
                perDecision[name, default: 0] += 1
                guard case .object(let e) = entry, case .array(let indices)? = e["explained_by"] else { continue }
                for case .number(let i) in indices { explained[name, default: [:]][Int(i.int ?? -1), default: 0] += 1 }
            }
        }
        #expect(changed == report.changedTickets && changed > 0)
        #expect(perDecision == report.decisions.mapValues(\.changed))
        #expect(explained == report.decisions.mapValues(\.explainedBy).filter { !$0.value.isEmpty })
        // Without allTickets, the lines are the changed ones, the same bytes.
        let (_, changedOnly) = replay(old, new, input, chunk: 512, maxLineBytes: 1024)
        #expect(changedOnly == out.filter { !$0.hasSuffix(",\"changed\":{}}") })
    }
}
