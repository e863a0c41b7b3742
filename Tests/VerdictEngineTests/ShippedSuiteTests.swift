import Foundation
import Testing

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictRuntime
@testable import VerdictTestRunner

/// The shipped test suite (policies/tests) through the test runner.
func shippedCases(_ set: PolicySet) throws -> [PreparedCase] {
    let files = TestRunner.discover([], policiesDirectory: Repo.policies)
    #expect(!files.isEmpty, "no shipped test files")
    let inputs = try files.map { (path: $0, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0)))) }
    do {
        return try TestRunner(policies: set).prepare(files: inputs)
    } catch {
        throw TestFailure(error.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.message)" }.joined(separator: "\n"))
    }
}

@Suite struct ShippedSuiteTests {
    @Test func everyShippedCasePassesWithEveryRowAndItemCovered() throws {
        let set = try loadShipped()
        let cases = try shippedCases(set)
        let tracer = CoverageTracer(running: set.compiled.traced())
        let results = TestRunner(policies: set).run(cases, coverage: tracer)
        let failed = results.filter { !$0.passed }
        #expect(failed.isEmpty, "\(failed.map { "\($0.name): \($0.failures.map { "\($0.decision) \($0.expected)≠\($0.actual)" })" })")
        #expect(results.count >= 70)
        let coverage = CoverageReport(tracer, set: set)
        for p in coverage.policies {
            #expect(p.rows.covered == p.rows.total, "\(p.policy) rows: \(p.gaps.map(\.what))")
            #expect(p.items.covered == p.items.total, "\(p.policy) items: \(p.gaps.map(\.what))")
        }
    }

    /// Every used parameter, table row and list item, changed one at a time, makes some shipped case fail.
    @Test func everyMutantIsCaughtByTheShippedSuite() throws {
        let set = try loadShipped()
        let cases = try shippedCases(set)
        let runner = TestRunner(policies: set)
        var survivors: [String] = []
        var count = 0
        for (p, policy) in set.policies.enumerated() {
            for (name, mutant) in Mutants.of(policy) {
                count += 1
                var policies = set.compiled.policies
                policies[p] = mutant
                let results = runner.run(cases, on: CompiledPolicySet(policies: policies))
                if results.allSatisfy(\.passed) { survivors.append("\(policy.identity.description): \(name)") }
            }
        }
        #expect(count > 100, "\(count) mutants")
        #expect(survivors.isEmpty, "mutants no shipped test catches:\n\(survivors.joined(separator: "\n"))")
    }
}

/// Single changes to a compiled policy: parameter values, table rows, list items.
enum Mutants {
    static func of(_ p: CompiledPolicy) -> [(String, CompiledPolicy)] {
        var out: [(String, CompiledPolicy)] = []
        // Parameters some rule reads.
        let used = Set(p.graph.parameters.flatMap { $0 })
        for slot in used.sorted() {
            for (what, v) in values(p.initialValues[slot]) {
                var values = p.initialValues
                values[slot] = v
                out.append(("\(p.slotNames[slot]) \(what)", rebuild(p, values: values, rules: p.rules)))
            }
        }
        for (r, rule) in p.rules.enumerated() {
            switch rule.body {
            case .table(let t):
                for (i, row) in t.rows.enumerated() {
                    if let when = row.when, let neg = compile(p, "!(\(when.source))") {
                        var rows = t.rows
                        rows[i] = CompiledRow(when: neg, then: row.then)
                        out.append(("row \(i + 1) of \(rule.name): when negated", with(p, r, .table(CompiledTable(hit: t.hit, rows: rows, defaultRow: t.defaultRow)))))
                    }
                    if let then = changed(p, row.then) {
                        var rows = t.rows
                        rows[i] = CompiledRow(when: row.when, then: then)
                        out.append(("row \(i + 1) of \(rule.name): then changed", with(p, r, .table(CompiledTable(hit: t.hit, rows: rows, defaultRow: t.defaultRow)))))
                    }
                }
                if let d = t.defaultRow, let then = changed(p, d.then) {
                    out.append(("the default of \(rule.name): then changed", with(p, r, .table(CompiledTable(hit: t.hit, rows: t.rows, defaultRow: CompiledRow(when: nil, then: then))))))
                }
            case .items(let items):
                for (i, item) in items.enumerated() {
                    var fewer = items
                    fewer.remove(at: i)
                    out.append(("item \(item.id) of \(rule.name): removed", with(p, r, .items(fewer))))
                    if let neg = compile(p, "!(\(item.when.source))") {
                        var negated = items
                        negated[i] = CompiledItem(id: item.id, when: neg)
                        out.append(("item \(item.id) of \(rule.name): when negated", with(p, r, .items(negated))))
                    }
                }
            case .expr:
                break
            }
        }
        return out
    }

    static func values(_ v: CELValue) -> [(String, CELValue)] {
        switch v {
        case .int(let i): return [("+1", .int(i + 1)), ("-1", .int(i - 1))]
        case .bool(let b): return [("negated", .bool(!b))]
        case .list(let items): return items.indices.map { i in
            var fewer = items
            fewer.remove(at: i)
            return ("without \(items[i].celLiteral)", .list(fewer))
        }
        default: return []
        }
    }

    static func compile(_ p: CompiledPolicy, _ source: String) -> CELProgram? {
        if case .success(let program) = p.environment.compile(source) { return program }
        return nil
    }

    /// The same value, changed: a number plus one, a bool negated.
    static func changed(_ p: CompiledPolicy, _ program: CELProgram) -> CELProgram? {
        switch program.resultType {
        case .int: return compile(p, "(\(program.source)) + 1")
        case .bool: return compile(p, "!(\(program.source))")
        default: return nil
        }
    }

    static func with(_ p: CompiledPolicy, _ r: Int, _ body: CompiledBody) -> CompiledPolicy {
        var rules = p.rules
        let old = rules[r]
        rules[r] = CompiledRule(name: old.name, slot: old.slot, type: old.type, isDecision: old.isDecision, body: body)
        return rebuild(p, values: p.initialValues, rules: rules)
    }

    static func rebuild(_ p: CompiledPolicy, values: [CELValue], rules: [CompiledRule]) -> CompiledPolicy {
        CompiledPolicy(
            identity: p.identity, selectors: p.selectors, dating: p.dating, slotNames: p.slotNames,
            slotKinds: p.slotKinds, initialValues: values, inputs: p.inputs, rules: rules, graph: p.graph,
            environment: p.environment)
    }
}
