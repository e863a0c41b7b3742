import Testing
import VerdictJSON

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictRuntime

/// Records every event, as a coverage or test-report consumer would.
final class RecordingTracer: EvaluationTracer {
    let tracesExpressions: Bool
    var events: [String] = []
    var expressions: [ExpressionRef] = []
    var nodes: [(ExpressionRef, Int, CELValue)] = []

    init(expressions: Bool) { self.tracesExpressions = expressions }

    func ticketStarted(policy: Int) { events.append("ticket \(policy)") }
    func ruleStarted(_ rule: Int) { events.append("start \(rule)") }
    func ruleFinished(_ rule: Int, value: CELValue) { events.append("finish \(rule)") }
    func rowTried(rule: Int, row: Int, matched: Bool) { events.append("row \(rule).\(row) \(matched)") }
    func rowSelected(rule: Int, row: Int) { events.append("selected \(rule).\(row)") }
    func itemTried(rule: Int, item: Int, held: Bool) { events.append("item \(rule).\(item) \(held)") }
    func expressionStarted(_ e: ExpressionRef) { expressions.append(e) }
    func expressionFinished(_ e: ExpressionRef, value: CELValue) { expressions.removeLast() }
    func celNode(_ id: Int, value: CELValue) {
        if let e = expressions.last { nodes.append((e, id, value)) }
    }
}

@Suite struct TracingTests {
    func evaluate(_ set: PolicySet, _ tracer: (any EvaluationTracer)?, ask: [String] = []) throws -> Evaluation {
        let evaluator = Evaluator(
            policies: set.compiled, plan: try AskPlan(policies: set.compiled, ask: ask), tracer: tracer)
        var e = Evaluation()
        let bytes = Array(ticket.utf8)
        bytes.withUnsafeBytes { evaluator.evaluate(line: $0, into: &e) }
        return e
    }

    @Test func tracersDoNotChangeAnswers() throws {
        let set = try loadShipped()
        let plain = try evaluate(set, nil)
        let traced = try evaluate(set, RecordingTracer(expressions: true))
        #expect(plain.outcomes == traced.outcomes)
        #expect(plain.status == .answered && plain.policy == set.index(named: "export"))
    }

    @Test func rowsAndItemsAreReportedTriedOrNot() throws {
        let set = try loadShipped()
        let t = RecordingTracer(expressions: false)
        _ = try evaluate(set, t, ask: ["maintenance_visits_per_year", "required_forms"])
        let p = try #require(set.policy(named: "export"))
        let table = try #require(p.ruleIndex(named: "maintenance_visits_per_year"))
        let forms = try #require(p.ruleIndex(named: "required_forms"))
        // 12 units held: row 1 (20 or more) does not match, row 2 (10 or more) does.
        #expect(t.events.contains("row \(table).0 false"))
        #expect(t.events.contains("row \(table).1 true"))
        #expect(t.events.contains("selected \(table).1"))
        #expect(!t.events.contains("row \(table).-1 true"), "the default is not reached")
        #expect(t.events.contains("item \(forms).0 true"))
        #expect(t.events.contains("item \(forms).3 false"), "no training assessment for a repair")
        #expect(t.nodes.isEmpty, "no node events unless asked for")
    }

    /// Node events carry ids that map back to file:line:column through the source map.
    @Test func expressionNodesMapBackToTheFile() throws {
        let set = try loadShipped()
        let t = RecordingTracer(expressions: true)
        _ = try evaluate(set, t, ask: ["visit_chargeable"])
        let i = try #require(set.index(named: "export"))
        let p = set.policies[i].traced()
        let repair = try #require(p.ruleIndex(named: "covered_repair"))
        guard case .expr(let program) = p.rules[repair].body else { throw TestFailure("covered_repair is an expression") }
        let events = t.nodes.filter { $0.0 == ExpressionRef(rule: repair, part: .expr) }
        #expect(!events.isEmpty)
        // The operand `quality_fault` of the `&&` chain was seen true.
        let qf = program.nodes.firstIndex { n in
            n.parent.map { program.nodes[$0].function == "_&&_" } == true
                && program.source.unicodeScalars.dropFirst(n.offset).starts(with: "quality_fault".unicodeScalars)
        }
        let node = try #require(qf)
        #expect(events.contains { $0.1 == node && $0.2 == .bool(true) })
        // …and it stands on line 3 of the block scalar in equipment.yaml.
        let source = try #require(set.sourceMaps[i].expressions[.expr(rule: "covered_repair")])
        let at = source.ref(offset: program.nodes[node].offset, length: program.nodes[node].length)
        let text = String(decoding: try Repo.read("policies/equipment.yaml"), as: UTF8.self)
        let expected = try #require(position(of: "&& quality_fault", in: text))
        #expect(at.file.hasSuffix("equipment.yaml") && at.line == expected.0 && at.column == expected.1 + 3, "\(at)")
    }
}
