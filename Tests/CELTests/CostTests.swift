import Testing

@testable import CEL

/// The static cost estimate (cel-go's estimator: a comprehension costs its
/// iteration count times its body) and the run-time budget (cel-go's CostLimit).
@Suite struct CELCostTests {
    func program(_ src: String, _ env: CELEnvironment) -> CELProgram? {
        if case .success(let p) = env.compile(src) { return p }
        return nil
    }

    @Test func aComprehensionCostsItsSizeTimesItsBody() throws {
        var env = CELEnvironment()
        let tags = env.declare(variable: "tags", type: .list(.string))
        let bound = CELSizeBound(items: 50, reason: "tags")
        let one = try #require(program("tags.all(a, a == 'x')", env)).estimateCost { $0 == tags ? bound : nil }
        let two = try #require(program("tags.all(a, tags.exists(b, a == b))", env)).estimateCost {
            $0 == tags ? bound : nil
        }
        #expect(one.steps >= 50 && one.steps < 50 * 10)
        #expect(two.steps >= 50 * 50 && two.steps < 50 * 50 * 10)
        #expect(two.drivers == [bound])
        #expect(two.nesting == 2)
    }

    @Test func anUnknownSizeIsAssumed() throws {
        var env = CELEnvironment()
        env.declare(variable: "tags", type: .list(.string))
        let e = try #require(program("tags.all(a, a == 'x')", env)).estimateCost { _ in nil }
        #expect(e.drivers.map(\.items) == [CELCost.assumedItems])
        #expect(e.drivers.first?.reason.contains("`tags` has no declared size") == true)
    }

    @Test func mapAndFilterKeepTheirRangeSize() throws {
        let env = CELEnvironment()
        let e = try #require(program("[1, 2, 3].map(x, x * 2).filter(y, y > 2).all(z, z > 0)", env)).estimateCost { _ in nil }
        #expect(e.drivers.allSatisfy { $0.items == 3 })
    }

    @Test func estimatesSaturate() throws {
        let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
        var e = "true"
        for v in (0..<25).map({ "v\($0)" }) { e = "\(ten).all(\(v), \(e))" }
        let env = CELEnvironment()
        let estimate = try #require(program(e, env)).estimateCost { _ in nil }
        #expect(estimate.steps == UInt64.max)
    }

    final class Budgeted: CELActivation {
        let values: [CELValue]
        let budget: CELBudget?
        init(_ values: [CELValue], limit: Int) {
            self.values = values
            self.budget = CELBudget(limit: limit)
        }
        func value(slot: Int) -> CELValue { values[slot] }
    }

    @Test func theBudgetIsSharedAndStopsEvaluation() throws {
        var env = CELEnvironment()
        env.declare(variable: "l", type: .list(.int))
        let items = CELValue.list((0..<100).map { .int(Int64($0)) })
        let a = Budgeted([items], limit: 150)
        let p = try #require(program("l.all(x, x >= 0)", env))
        #expect(p.evaluate(a) == .bool(true))  // 100 steps
        guard case .error(let e) = p.evaluate(a) else {  // 100 more: over 150
            Issue.record("expected the budget to run out")
            return
        }
        #expect(e.code == .costLimit)
        a.budget?.reset()
        #expect(p.evaluate(a) == .bool(true))
    }

    /// Inside a comprehension, `in` over a list counts the items it scans.
    @Test func inInsideAComprehensionCountsItsScan() throws {
        var env = CELEnvironment()
        env.declare(variable: "l", type: .list(.int))
        let items = CELValue.list((0..<1000).map { .int(Int64($0)) })
        let p = try #require(program("l.all(x, x in l)", env))
        let a = Budgeted([items], limit: 100_000)
        guard case .error(let e) = p.evaluate(a) else {
            Issue.record("expected the budget to run out")
            return
        }
        #expect(e.code == .costLimit)
    }

    /// `false && over-budget` is false: the error is absorbed as CEL absorbs errors.
    @Test func absorbedLikeAnyError() throws {
        var env = CELEnvironment()
        env.declare(variable: "l", type: .list(.int))
        let items = CELValue.list((0..<1000).map { .int(Int64($0)) })
        let p = try #require(program("size(l) == 0 && l.all(x, l.all(y, x == y))", env))
        #expect(p.evaluate(Budgeted([items], limit: 10)) == .bool(false))
    }

    @Test func formatsWithThousandsSeparators() {
        #expect(CELBudget.format(0) == "0")
        #expect(CELBudget.format(999) == "999")
        #expect(CELBudget.format(1000) == "1,000")
        #expect(CELBudget.format(1_234_567) == "1,234,567")
        #expect(CELBudget.format(-1234) == "-1,234")
    }
}
