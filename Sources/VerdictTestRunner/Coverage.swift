import CEL
import VerdictCompiler
import VerdictJSONWriter
import VerdictModel
import VerdictRuntime

/// Counts what evaluation exercises, per policy: rules computed, table rows
/// matched and tried without matching, list items held and not held, and
/// each operand of `&&`, `||` and the condition of `?:` seen true and
/// false. A consumer of the trace stream; with no coverage asked for, it is
/// not attached and costs nothing.
public final class CoverageTracer: EvaluationTracer {
    public let tracesExpressions = true

    /// Per policy of the set.
    public struct Counts: Sendable {
        public var rules: [Int]
        /// Per rule, per row (the default last): [matched, tried and not matched].
        public var rows: [[(matched: Int, notMatched: Int)]]
        /// Per rule, per item.
        public var items: [[(held: Int, notHeld: Int)]]
        /// Per rule, per expression part, per node id: [seen true, seen false].
        public var branches: [[ExpressionRef.Part: [Int: (true: Int, false: Int)]]]
    }

    public private(set) var counts: [Counts]
    /// The traced policies node ids refer to.
    let running: CompiledPolicySet
    /// Per policy, per rule, per part: the node ids that are operands of a branch.
    let operands: [[[ExpressionRef.Part: Set<Int>]]]
    private var policy = -1
    private var expressions: [ExpressionRef] = []

    public init(running: CompiledPolicySet) {
        self.running = running
        var counts: [Counts] = []
        var operands: [[[ExpressionRef.Part: Set<Int>]]] = []
        for p in running.policies {
            counts.append(
                Counts(
                    rules: [Int](repeating: 0, count: p.rules.count),
                    rows: p.rules.map { r in
                        guard case .table(let t) = r.body else { return [] }
                        return [(Int, Int)](repeating: (0, 0), count: t.rows.count + (t.defaultRow == nil ? 0 : 1))
                    },
                    items: p.rules.map { r in
                        guard case .items(let items) = r.body else { return [] }
                        return [(Int, Int)](repeating: (0, 0), count: items.count)
                    },
                    branches: p.rules.map { _ in [:] }))
            operands.append(
                p.rules.map { r in
                    var parts: [ExpressionRef.Part: Set<Int>] = [:]
                    for (part, program) in r.body.programs { parts[part] = Self.operands(program) }
                    return parts
                })
        }
        self.counts = counts
        self.operands = operands
    }

    /// The nodes whose truth decides a branch: operands of `&&` and `||`, and the condition of `?:`.
    static func operands(_ program: CELProgram) -> Set<Int> {
        var out = Set<Int>()
        var firstChild: [Int: Int] = [:]
        for (id, n) in program.nodes.enumerated() {
            guard let parent = n.parent else { continue }
            switch program.nodes[parent].function {
            case "_&&_", "_||_": out.insert(id)
            case "_?_:_": if firstChild[parent] == nil { firstChild[parent] = id }
            default: break
            }
        }
        out.formUnion(firstChild.values)
        return out
    }

    public func ticketStarted(policy: Int) {
        self.policy = policy
        expressions.removeAll(keepingCapacity: true)
    }

    public func ruleFinished(_ rule: Int, value: CELValue) { counts[policy].rules[rule] += 1 }

    public func rowTried(rule: Int, row: Int, matched: Bool) {
        let index = row < 0 ? counts[policy].rows[rule].count - 1 : row
        guard index >= 0, index < counts[policy].rows[rule].count else { return }
        if matched { counts[policy].rows[rule][index].matched += 1 } else { counts[policy].rows[rule][index].notMatched += 1 }
    }

    public func itemTried(rule: Int, item: Int, held: Bool) {
        if held { counts[policy].items[rule][item].held += 1 } else { counts[policy].items[rule][item].notHeld += 1 }
    }

    public func expressionStarted(_ e: ExpressionRef) { expressions.append(e) }
    public func expressionFinished(_ e: ExpressionRef, value: CELValue) { expressions.removeLast() }

    public func celNode(_ id: Int, value: CELValue) {
        guard let e = expressions.last, operands[policy][e.rule][e.part]?.contains(id) == true else { return }
        var seen = counts[policy].branches[e.rule][e.part, default: [:]][id] ?? (0, 0)
        switch value {
        case .bool(true): seen.true += 1
        case .bool(false): seen.false += 1
        default: return
        }
        counts[policy].branches[e.rule][e.part, default: [:]][id] = seen
    }

    /// Adds another tracer's counts (same policies): for tracers of several workers.
    public func merge(_ other: CoverageTracer) {
        for p in counts.indices {
            for r in counts[p].rules.indices { counts[p].rules[r] += other.counts[p].rules[r] }
            for r in counts[p].rows.indices {
                for i in counts[p].rows[r].indices {
                    counts[p].rows[r][i].matched += other.counts[p].rows[r][i].matched
                    counts[p].rows[r][i].notMatched += other.counts[p].rows[r][i].notMatched
                }
                for i in counts[p].items[r].indices {
                    counts[p].items[r][i].held += other.counts[p].items[r][i].held
                    counts[p].items[r][i].notHeld += other.counts[p].items[r][i].notHeld
                }
                for (part, nodes) in other.counts[p].branches[r] {
                    for (id, seen) in nodes {
                        var mine = counts[p].branches[r][part, default: [:]][id] ?? (0, 0)
                        mine.true += seen.true
                        mine.false += seen.false
                        counts[p].branches[r][part, default: [:]][id] = mine
                    }
                }
            }
        }
    }
}

/// Coverage figures and what is not covered, per policy, with positions and clauses.
public struct CoverageReport: Sendable {
    public struct Figure: Sendable, Hashable {
        public var covered = 0
        public var total = 0
        public var percent: Double { total == 0 ? 100 : Double(covered) * 100 / Double(total) }
    }

    /// Something not exercised.
    public struct Gap: Sendable, Hashable {
        public var at: SourceRef?
        public var what: String
        public var clause: Clause
    }

    /// One source line's counts, for LCOV.
    public struct LineHits: Sendable, Hashable {
        public var at: SourceRef
        public var hits: Int
        /// A rule's own line (an LCOV function).
        public var function: String?
        /// Branch outcomes on this line: (block, branch, taken).
        public var branches: [(block: Int, branch: Int, taken: Int)] = []

        public static func == (a: LineHits, b: LineHits) -> Bool { a.at == b.at && a.hits == b.hits && a.function == b.function }
        public func hash(into h: inout Hasher) { h.combine(at) }
    }

    public struct PolicyCoverage: Sendable {
        public var policy: String
        public var rules = Figure()
        /// Rows (and defaults) matched at least once.
        public var rows = Figure()
        /// Item outcomes: each item held, and not held, at least once.
        public var items = Figure()
        /// Branch outcomes: each operand seen true, and false.
        public var branches = Figure()
        public var gaps: [Gap] = []
        public var lines: [LineHits] = []

        public var total: Figure {
            Figure(
                covered: rules.covered + rows.covered + items.covered + branches.covered,
                total: rules.total + rows.total + items.total + branches.total)
        }
    }

    public var policies: [PolicyCoverage]

    public var total: Figure {
        policies.reduce(Figure()) { Figure(covered: $0.covered + $1.total.covered, total: $0.total + $1.total.total) }
    }

    public init(_ tracer: CoverageTracer, set: PolicySet) {
        policies = set.policies.indices.map { p in Self.coverage(p, tracer, set) }
    }

    static func coverage(_ p: Int, _ tracer: CoverageTracer, _ set: PolicySet) -> PolicyCoverage {
        let compiled = tracer.running.policies[p]
        let snapshot = set.snapshots[p]
        let map = set.sourceMaps[p]
        let counts = tracer.counts[p]
        var out = PolicyCoverage(policy: compiled.identity.description)
        for (r, rule) in compiled.rules.enumerated() {
            let snap = snapshot.rules[r]
            out.rules.total += 1
            if counts.rules[r] > 0 {
                out.rules.covered += 1
            } else {
                out.gaps.append(Gap(at: map[.rule(rule.name)], what: "rule `\(rule.name)` never computed", clause: snap.clause))
            }
            if let at = map[.rule(rule.name)] { out.lines.append(LineHits(at: at, hits: counts.rules[r], function: rule.name)) }
            if case .table(let t) = rule.body, case .table(let ts) = snap.body {
                for (i, c) in counts.rows[r].enumerated() {
                    let isDefault = i == t.rows.count
                    let row = isDefault ? -1 : i
                    let name = isDefault ? "the default of `\(rule.name)`" : "row \(i + 1) of `\(rule.name)`"
                    let clause = isDefault ? (ts.defaultRow?.clause ?? []) : ts.rows[i].clause
                    out.rows.total += 1
                    if c.matched > 0 {
                        out.rows.covered += 1
                    } else {
                        let tried = c.notMatched > 0 ? "tried \(c.notMatched) times, never matched" : "never reached"
                        out.gaps.append(Gap(at: map[.row(rule: rule.name, row: row)], what: "\(name): \(tried)", clause: clause))
                    }
                    if let at = map[.row(rule: rule.name, row: row)] { out.lines.append(LineHits(at: at, hits: c.matched)) }
                }
            }
            if case .items(let items) = rule.body, case .items(let ss) = snap.body {
                for (i, c) in counts.items[r].enumerated() {
                    out.items.total += 2
                    out.items.covered += (c.held > 0 ? 1 : 0) + (c.notHeld > 0 ? 1 : 0)
                    let at = map[.item(rule: rule.name, item: i)]
                    if c.held == 0 || c.notHeld == 0 {
                        let never = c.held == 0 && c.notHeld == 0 ? "never tried" : (c.held == 0 ? "never held" : "always held")
                        out.gaps.append(Gap(at: at, what: "item `\(items[i].id)` of `\(rule.name)`: \(never)", clause: ss[i].clause))
                    }
                    if let at {
                        out.lines.append(
                            LineHits(at: at, hits: c.held, branches: [(i, 0, c.held), (i, 1, c.notHeld)]))
                    }
                }
            }
            for (part, program) in rule.body.programs {
                let site = Self.site(rule.name, part)
                let source = map.expressions[site]
                for id in tracer.operands[p][r][part]?.sorted() ?? [] {
                    let seen = counts.branches[r][part]?[id] ?? (0, 0)
                    out.branches.total += 2
                    out.branches.covered += (seen.true > 0 ? 1 : 0) + (seen.false > 0 ? 1 : 0)
                    let node = program.nodes[id]
                    let at = source?.ref(offset: node.offset, length: node.length)
                    if seen.true == 0 || seen.false == 0 {
                        let text = Self.text(program, node)
                        let never = seen.true == 0 && seen.false == 0 ? "never evaluated" : (seen.true == 0 ? "never true" : "never false")
                        out.gaps.append(
                            Gap(at: at, what: "`\(text)` in `\(rule.name)`: \(never)", clause: snap.clause))
                    }
                    if let at {
                        out.lines.append(
                            LineHits(at: at, hits: seen.true + seen.false, branches: [(id, 0, seen.true), (id, 1, seen.false)]))
                    }
                }
            }
        }
        out.gaps.sort { ($0.at?.file ?? "", $0.at?.line ?? 0, $0.at?.column ?? 0) < ($1.at?.file ?? "", $1.at?.line ?? 0, $1.at?.column ?? 0) }
        return out
    }

    static func site(_ rule: String, _ part: ExpressionRef.Part) -> ExpressionSite {
        switch part {
        case .expr: .expr(rule: rule)
        case .when(let i): .when(rule: rule, row: i)
        case .then(let i): .then(rule: rule, row: i)
        case .item(let i): .item(rule: rule, item: i)
        }
    }

    /// The operand as canonical text: the subtree whose principal token the node is.
    static func text(_ program: CELProgram, _ node: CELNodeInfo) -> String {
        func find(_ t: CELSyntaxTree) -> CELSyntaxTree? {
            if t.offset == node.offset, t.length == node.length { return t }
            switch t.kind {
            case .call(let target, _, let args):
                if let target, let hit = find(target) { return hit }
                for a in args { if let hit = find(a) { return hit } }
            case .select(let operand, _): return find(operand)
            case .list(let items): for i in items { if let hit = find(i) { return hit } }
            case .map(let entries):
                for e in entries { if let hit = find(e.key) ?? find(e.value) { return hit } }
            default: break
            }
            return nil
        }
        return find(program.syntax)?.canonicalText ?? program.source
    }

    // MARK: - Rendering

    public func text() -> String {
        var out = ""
        for p in policies {
            out += "coverage of \(p.policy):\n"
            out += line("rules", p.rules, "computed")
            out += line("rows", p.rows, "matched")
            out += line("items", p.items, "outcomes: each item held and not held")
            out += line("branches", p.branches, "outcomes: each operand of &&, ||, ?: seen true and false")
            if p.gaps.isEmpty {
                out += "  nothing left uncovered\n"
            } else {
                out += "  not covered:\n"
                for g in p.gaps {
                    let at = g.at.map { "\($0.file):\($0.line):\($0.column)" } ?? "?"
                    out += "    \(at)  \(g.what)" + (g.clause.isEmpty ? "" : "   [\(g.clause.joined(separator: ", "))]") + "\n"
                }
            }
        }
        let t = total
        out += "total coverage: \(t.covered)/\(t.total) = \(Self.percent(t.percent))\n"
        return out
    }

    func line(_ name: String, _ f: Figure, _ what: String) -> String {
        "  " + name.padded(to: 9) + "\(f.covered)/\(f.total)".padded(to: 10) + Self.percent(f.percent).padded(to: 9)
            + "(\(what))\n"
    }

    public static func percent(_ p: Double) -> String {
        let tenths = Int((p * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) %"
    }

    public func json() -> String {
        var w = JSONWriter(capacity: 4096)
        func figure(_ f: Figure) {
            w.raw("{\"covered\":")
            w.int(Int64(f.covered))
            w.raw(",\"total\":")
            w.int(Int64(f.total))
            w.raw("}")
        }
        w.raw("{\"policies\":[")
        for (i, p) in policies.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"policy\":")
            w.string(p.policy)
            for (key, f) in [("rules", p.rules), ("rows", p.rows), ("items", p.items), ("branches", p.branches)] {
                w.raw(",")
                w.string(key)
                w.raw(":")
                figure(f)
            }
            w.raw(",\"uncovered\":[")
            for (j, g) in p.gaps.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw("{\"at\":")
                if let at = g.at { w.string("\(at.file):\(at.line):\(at.column)") } else { w.null() }
                w.raw(",\"what\":")
                w.string(g.what)
                w.raw(",\"clause\":[")
                for (k, c) in g.clause.enumerated() {
                    if k > 0 { w.raw(",") }
                    w.string(c)
                }
                w.raw("]}")
            }
            w.raw("]}")
        }
        w.raw("],\"total\":")
        figure(total)
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// LCOV tracefile: per policy file, rules as functions, rows, items and operands as lines with branches.
    public func lcov() -> String {
        var byFile: [String: [LineHits]] = [:]
        for p in policies {
            for l in p.lines { byFile[l.at.file, default: []].append(l) }
        }
        var out = ""
        for file in byFile.keys.sorted() {
            let lines = byFile[file] ?? []
            out += "TN:\nSF:\(file)\n"
            // A rule in a shared base is one function, its hits summed over the policies.
            var functions: [(line: Int, name: String)] = []
            var functionHits: [String: Int] = [:]
            for l in lines {
                guard let name = l.function else { continue }
                let key = "\(l.at.line),\(name)"
                if functionHits[key] == nil { functions.append((l.at.line, name)) }
                functionHits[key, default: 0] += l.hits
            }
            for f in functions { out += "FN:\(f.line),\(f.name)\n" }
            for f in functions { out += "FNDA:\(functionHits["\(f.line),\(f.name)"] ?? 0),\(f.name)\n" }
            var byLine: [Int: Int] = [:]
            for l in lines { byLine[l.at.line, default: 0] += l.hits }
            var branchOrder: [String] = []
            var branchTaken: [String: Int] = [:]
            for l in lines.sorted(by: { ($0.at.line, $0.at.column) < ($1.at.line, $1.at.column) }) {
                for b in l.branches {
                    let key = "\(l.at.line),\(b.block),\(b.branch)"
                    if branchTaken[key] == nil { branchOrder.append(key) }
                    branchTaken[key, default: 0] += b.taken
                }
            }
            for key in branchOrder { out += "BRDA:\(key),\(branchTaken[key] ?? 0)\n" }
            let branches = branchOrder.count
            let taken = branchTaken.values.filter { $0 > 0 }.count
            for line in byLine.keys.sorted() { out += "DA:\(line),\(byLine[line] ?? 0)\n" }
            out += "BRF:\(branches)\nBRH:\(taken)\n"
            out += "LF:\(byLine.count)\nLH:\(byLine.values.filter { $0 > 0 }.count)\nend_of_record\n"
        }
        return out
    }
}

/// How a coverage report is written.
public enum CoverageFormat: String, Sendable, CaseIterable {
    case text, json, lcov
}

extension CoverageReport {
    public func render(_ format: CoverageFormat) -> String {
        switch format {
        case .text: text()
        case .json: json()
        case .lcov: lcov()
        }
    }
}
