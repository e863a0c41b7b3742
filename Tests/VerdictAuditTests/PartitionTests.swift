import CEL
import Testing
@testable import VerdictAudit
import VerdictCompiler
import VerdictJSON
import VerdictModel
import VerdictRuntime

/// The classes of a decision's fields, from the comparisons of both versions.
@Suite struct PartitionTests {
    /// Facts and fields of one decision of two policies, as the search sees them.
    static func facts(_ old: CompiledPolicy, _ oldSnapshot: PolicySnapshot,
                      _ new: CompiledPolicy, _ newSnapshot: PolicySnapshot, decision: String) throws
        -> (InputTree, Facts, [Int], TermAnalysis)
    {
        let tree = InputTree(old: oldSnapshot.inputs, new: newSnapshot.inputs)
        let ops = ConcreteOps()
        let selectors = Selectors(old: old, new: new)
        var facts = Facts()
        var leaves = Set<Int>()
        var last: TermAnalysis?
        for (side, p) in [old, new].enumerated() {
            var fixed: [String: CELValue] = [:]
            for v in selectors.values { fixed[v.path] = .string(v.sides[side]) }
            let a = TermAnalysis(policy: p, tree: tree, fixed: fixed, ops: ops)
            let rule = try #require(p.decisionByName[decision])
            facts.merge(a.facts(closureOf: rule))
            for r in [rule] + p.graph.ruleClosure(of: rule) {
                for slot in p.graph.inputs[r] {
                    if let n = tree.byPath[p.slotNames[slot]], tree.nodes[n].kind != LeafKind.object, fixed[p.slotNames[slot]] == nil {
                        leaves.insert(n)
                    }
                }
            }
            last = a
        }
        return (tree, facts, leaves.sorted(), try #require(last))
    }

    static func day(_ s: String) throws -> Int64 { try #require(CELDate.parse(s)).daysSinceEpoch }

    /// The ticket date just before, on and after each threshold of the
    /// installation date, for installation dates on the 31st and on 29 February.
    @Test func ticketDateAroundEveryThreshold() throws {
        let base = try Repo.policies()
        let edited = try Repo.policies(editing: "export.yaml", [("    value: 3\n", "    value: 6\n")])
        let (o, os) = try base.unit("export")
        let (n, ns) = try edited.unit("export")
        let (tree, facts, leaves, analysis) = try Self.facts(o, os, n, ns, decision: "onsite_covered")
        #expect(facts.reasons.isEmpty, "\(facts.reasons.items)")
        var partitioner = Partitioner(tree: tree, facts: facts, sampling: false, isBare: analysis.isBare)
        let components = partitioner.components(leaves: leaves)
        #expect(partitioner.reasons.isEmpty)
        let opened = try #require(tree.byPath["opened_at"]), installed = try #require(tree.byPath["unit.installed_on"])
        let dates = try #require(components.first { $0.leaves.contains(opened) })
        #expect(dates.leaves == [installed, opened], "the installation date first: the ticket date is cut at its thresholds")
        var installations: [CELDate] = []
        for t in dates.tuples {
            guard case .value(.date(let i)) = t[0].state else { continue }
            if !installations.contains(i) { installations.append(i) }
        }
        #expect(installations.contains { $0.day == 31 })
        #expect(installations.contains { $0.month == 2 && $0.day == 29 })
        for i in installations where i.year < 9000 {
            let days = dates.tuples.compactMap { t -> Int64? in
                guard case .value(.date(i)) = t[0].state, case .value(.timestamp(let d)) = t[1].state else { return nil }
                return d.date.daysSinceEpoch
            }
            for k in [3, 6, 12] as [Int64] {
                let threshold = try #require(i.addingMonths(k)).daysSinceEpoch
                #expect(days.contains(threshold - 1) && days.contains(threshold), "\(i) + \(k) months: \(days)")
                #expect(dates.tuples.contains { t in
                    guard case .value(.date(i)) = t[0].state, let lo = t[1].lo, let hi = t[1].hi else { return false }
                    return lo == threshold + 1 || (lo <= threshold + 1 && threshold + 1 <= hi)
                }, "after \(i) + \(k) months")
            }
        }
        // Whole numbers: each constant alone, the intervals between, within the bounds.
        let held = try #require(tree.byPath["customer.units_held"])
        let classes = try #require(components.first { $0.leaves == [held] }).tuples.map { $0[0] }
        let intervals = classes.compactMap { c -> ClosedRange<Int64>? in
            guard let lo = c.lo, let hi = c.hi else { return nil }
            return lo...hi
        }
        #expect(intervals == [0...9, 10...10, 11...19, 20...20, 21...Int64.max])
        #expect(classes.contains { if case .absent = $0.state { true } else { false } })
    }

    @Test func shiftsOfOneFieldSplitByTheCalendar() throws {
        let policy = """
            verdict: 1
            policy: p
            applies_to: {market: a}
            inputs:
              market: {type: enum, values: [a, b]}
              opened_at: {type: timestamp}
              installed_on: {type: date}
            rules:
              d:
                type: bool
                decision: true
                clause: "1"
                label: {zh: 规则, en: rule}
                expr: "date(opened_at) < installed_on.addMonths(1) && date(opened_at) < installed_on.addDays(30)"
            """
        let set = try loadInline([policy])
        let (p, snapshot) = try set.unit("p")
        let (tree, facts, leaves, analysis) = try Self.facts(p, snapshot, p, snapshot, decision: "d")
        var partitioner = Partitioner(tree: tree, facts: facts, sampling: false, isBare: analysis.isBare)
        let components = partitioner.components(leaves: leaves)
        #expect(partitioner.reasons.isEmpty)
        let installed = try #require(tree.byPath["installed_on"])
        let dates = try #require(components.first { $0.leaves.first == installed })
        // A month is longer, shorter, or as long as 30 days, depending on the day.
        var orders: Set<Int> = []
        for t in dates.tuples {
            guard case .value(.date(let i)) = t[0].state, let m = i.addingMonths(1), let d = i.addingDays(30) else { continue }
            orders.insert(m < d ? -1 : m == d ? 0 : 1)
        }
        #expect(orders == [-1, 0, 1])
    }
}
