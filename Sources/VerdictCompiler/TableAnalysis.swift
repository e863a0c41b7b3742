import CEL
import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictRuntime

/// Static analysis of a policy's decision tables, before any ticket:
/// tickets no row answers (gaps, for `first` and `unique` tables without a
/// `default`), tickets two rows of a `unique` table both match (overlaps), and
/// rows of a `first` table that can never answer (masked by the rows above,
/// or never true).
///
/// ## Method
///
/// The analysable fragment is what tables are made of: comparisons (`==`,
/// `!=`, `<`, `<=`, `>`, `>=`, `in`) of an input or a rule with a constant
/// (a literal, a parameter, `date('…')`, a list of them), bare true/false
/// inputs and rules, joined with `&&`, `||`, `!` and `? :`. Each variable's
/// domain is cut at every constant it is compared with: enum inputs take
/// each declared value, true/false both, whole numbers and dates the
/// constant itself and its neighbours on each side (within the input's
/// declared `min`/`max`), text each constant and one other value. Within a
/// class every comparison of the fragment has the same outcome, so
/// evaluating each row's compiled `when` on one representative per
/// combination of classes decides it for every ticket: the findings are
/// exact, not sampled.
///
/// ## Limits
///
/// - A table whose conditions hold anything else (two inputs compared with
///   each other, arithmetic or functions of inputs, `!= null`, `has`) is not
///   analysed; `check` says so in a note, naming the expression.
/// - Rules read by conditions are treated as free: any value of their type,
///   independently of the inputs they are computed from. A finding on such
///   a table may need rule values no ticket can produce, so it is a warning
///   that names the rule values assumed; findings on tables of inputs only
///   are confirmed by evaluating the policy on the example ticket before
///   they are reported. Every finding is a warning (or a note): the policy
///   loads, and `eval` on the example ticket shows the problem.
/// - Tickets with a field missing or invalid are not gaps: their answer is
///   undetermined for that reason, and says so.
/// - At most `maxWork` row evaluations per table (classes × rows); larger
///   tables get a note instead.
// @unchecked: `activation` is mutable scratch; in `diagnostics()` only the
// first worker uses this value's, the others make their own.
struct TableAnalysis: @unchecked Sendable {
    static let maxWork = 2_000_000

    let policy: CompiledPolicy
    let snapshot: PolicySnapshot
    let sourceMap: PolicySourceMap
    let gaps: [String: [DeclaredGap]]
    /// One activation for every table: each sets its variables' slots, and
    /// puts them back when it is done (no copy of every slot per table);
    /// constants read only parameters, which no table sets.
    var activation: CELArrayActivation
    /// Each slot's variable, worked out once for every table (nil for
    /// parameters, groups, and types the analysis does not cut).
    let variables: [Variable?]

    init(policy: CompiledPolicy, snapshot: PolicySnapshot, sourceMap: PolicySourceMap, gaps: [String: [DeclaredGap]]) {
        self.policy = policy
        self.snapshot = snapshot
        self.sourceMap = sourceMap
        self.gaps = gaps
        self.activation = CELArrayActivation(values: policy.initialValues)
        self.variables = policy.slotNames.indices.map { Self.variable(slot: $0, policy: policy, snapshot: snapshot) }
    }

    /// A variable a table's conditions read: an input leaf or a rule.
    struct Variable {
        var slot: Int
        var name: String
        var isRule: Bool
        var type: CELType
        var enumValues: [String]?
        var min: Int64?
        var max: Int64?
        var constants: [CELValue] = []
    }

    struct Finding {
        var diagnostic: PolicyDiagnostic
    }

    /// Every table's findings, in rule order. Tables are independent: large
    /// policies are analysed on every core, each worker with its own activation.
    func diagnostics() -> [PolicyDiagnostic] {
        let tables = policy.rules.indices.filter { if case .table = policy.rules[$0].body { true } else { false } }
        let workers = tables.count < 64 ? 1 : max(1, min(Threads.cores, tables.count / 32))
        let chunk = (tables.count + workers - 1) / max(1, workers)
        let results = ResultSlots<[PolicyDiagnostic]>(count: workers)
        Threads.concurrentPerform(iterations: workers) { w in
            var worker = self
            if w > 0 { worker.activation = CELArrayActivation(values: policy.initialValues) }
            var out: [PolicyDiagnostic] = []
            for index in tables[min(tables.count, w * chunk)..<min(tables.count, (w + 1) * chunk)] {
                guard case .table(let table) = policy.rules[index].body else { continue }
                out += worker.analyse(table, rule: index)
            }
            results.set(w, out)
        }
        return results.values.flatMap { $0 ?? [] }
    }

    func at(_ element: PolicyElement) -> SourceRef? { sourceMap[element] }

    func diagnostic(
        _ code: DiagnosticCode, _ at: SourceRef?, _ severity: PolicyDiagnostic.Severity, _ message: String,
        help: String? = nil
    ) -> PolicyDiagnostic? {
        guard let at else { return nil }
        return PolicyDiagnostic(
            code, file: at.file, line: at.line, column: at.column, length: at.length, severity: severity,
            message: message, help: help)
    }

    // MARK: - One table

    func analyse(_ table: CompiledTable, rule index: Int) -> [PolicyDiagnostic] {
        let rule = policy.rules[index]
        let declared = gaps[rule.name] ?? []
        let tableAt = at(.table(rule: rule.name))
        var variables: [Int: Variable] = [:]
        var opaque: String?
        let programs = table.rows.compactMap(\.when) + declared.map(\.when)
        for program in programs where opaque == nil {
            opaque = collect(program.syntax, &variables)
        }
        if let opaque {
            return [
                diagnostic(
                    .tableNotAnalysed, tableAt, .note,
                    "the table of `\(rule.name)` is not analysed for gaps and overlaps: `\(opaque)` is not a comparison of one input or rule with constants")
            ].compactMap { $0 }
        }
        let vars = variables.values.sorted { $0.slot < $1.slot }
        let domains = vars.map(domain)
        let combinations = domains.reduce(1) { $0.multipliedReportingOverflow(by: max(1, $1.count)).partialValue }
        guard domains.allSatisfy({ !$0.isEmpty }),
            combinations <= Self.maxWork / max(1, table.rows.count + declared.count)
        else {
            return [
                diagnostic(
                    .tableNotAnalysed, tableAt, .note,
                    "the table of `\(rule.name)` is not analysed for gaps and overlaps: its conditions split the tickets into too many classes")
            ].compactMap { $0 }
        }
        let rulesRead = vars.filter(\.isRule)
        defer { for v in vars { activation.values[v.slot] = policy.initialValues[v.slot] } }

        var gap: [[CELValue]] = []
        var declaredHits = [Int](repeating: 0, count: declared.count)
        var declaredExample: [[CELValue]?] = Array(repeating: nil, count: declared.count)
        var overlaps: [[Int]: [CELValue]] = [:]
        var firstWins = [Bool](repeating: false, count: table.rows.count)
        var everMatches = [Bool](repeating: false, count: table.rows.count)

        // Reused across classes: the analysis of a big policy runs millions of them.
        var matched: [Int] = []
        matched.reserveCapacity(table.rows.count)
        forEachCombination(domains.map(\.count)) { combination in
            for (k, v) in vars.enumerated() { activation.values[v.slot] = domains[k][combination[k]] }
            matched.removeAll(keepingCapacity: true)
            var undetermined = false
            for (i, row) in table.rows.enumerated() {
                guard let when = row.when else {
                    matched.append(i)
                    continue
                }
                switch when.evaluate(activation) {
                case .bool(true): matched.append(i)
                case .bool(false): break
                default: undetermined = true
                }
                if undetermined || (table.hit == .first && !matched.isEmpty) { break }
            }
            // The class's values, built only when kept as an example.
            var assignment: [CELValue] { combination.enumerated().map { domains[$0.offset][$0.element] } }
            if !undetermined {
                for i in matched { everMatches[i] = true }
                if let first = matched.first { firstWins[first] = true }
                if matched.isEmpty, table.defaultRow == nil, table.hit != .collect {
                    if let g = declared.indices.first(where: { declared[$0].when.evaluate(activation) == .bool(true) }) {
                        declaredHits[g] += 1
                        if declaredExample[g] == nil { declaredExample[g] = assignment }
                    } else if gap.count < 2 {
                        gap.append(assignment)
                    }
                }
                if table.hit == .unique, matched.count >= 2 {
                    let pair = Array(matched.prefix(2))
                    if overlaps[pair] == nil { overlaps[pair] = assignment }
                }
            }
            return true
        }
        // A `first` table stops at its first match, so later rows were not
        // tried there; a second pass tells a masked row from one never true.
        if table.hit == .first, firstWins.contains(false) {
            everMatches = neverTrue(table, vars, domains, only: Set(firstWins.indices.filter { !firstWins[$0] }))
        }

        var out: [PolicyDiagnostic?] = []
        let assumed = { (a: [CELValue]) -> String in
            let parts = zip(vars, a).filter { $0.0.isRule }.map { "`\($0.0.name)` \($0.1.celLiteral)" }
            return parts.isEmpty ? "" : " (with " + parts.joined(separator: ", ") + ")"
        }
        for example in gap where confirms(example, vars, rule: index, expecting: "no row of") || !rulesRead.isEmpty {
            out.append(
                diagnostic(
                    .tableGap, tableAt, .warning,
                    "no row of `\(rule.name)` matches tickets such as \(ticket(example, vars))\(assumed(example)), and the table has no `default`",
                    help: "add a row or a `default`, or declare the gap under `gaps:` if the guideline leaves these tickets open")
            )
            break
        }
        for (g, decl) in declared.enumerated() {
            if let example = declaredExample[g] {
                let clause = decl.clause.isEmpty ? "" : " (clause \(decl.clause.joined(separator: ", ")))"
                out.append(
                    diagnostic(
                        .tableGap, decl.at, .note,
                        "declared gap of `\(rule.name)`: tickets such as \(ticket(example, vars))\(assumed(example)) match no row and stay undetermined\(clause)"
                    ))
            } else {
                out.append(
                    diagnostic(
                        .tableGap, decl.at, .warning,
                        "gap \(g + 1) of `\(rule.name)` declares no ticket the rows leave open",
                        help: "the rows or a `default` already answer every ticket it holds for: remove it"))
            }
        }
        for (pair, example) in overlaps.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let rowAt = at(.row(rule: rule.name, row: pair[1]))
            let message =
                "rows \(pair[0] + 1) and \(pair[1] + 1) of `\(rule.name)` both match tickets such as \(ticket(example, vars))\(assumed(example)), but its hit policy is `unique`"
            let help = "narrow one row's `when`, or use `hit: first` if the order of the rows is meant to decide"
            if !rulesRead.isEmpty || confirms(example, vars, rule: index, expecting: "both match") {
                out.append(diagnostic(.tableOverlap, rowAt, .warning, message, help: help))
            }
        }
        if table.hit == .first {
            for i in table.rows.indices where !firstWins[i] {
                let rowAt = at(.row(rule: rule.name, row: i))
                let never = !everMatches[i]
                out.append(
                    diagnostic(
                        .maskedRow, rowAt, .warning,
                        never
                            ? "row \(i + 1) of `\(rule.name)` never matches: its `when` is false for every ticket"
                            : "row \(i + 1) of `\(rule.name)` can never answer: rows above it match every ticket it matches",
                        help: never ? "fix its `when`, or remove it" : "remove it, or move it above the rows that hide it"))
            }
        }
        return out.compactMap { $0 }
    }

    /// For a `first` table: whether each row's `when` is true for some class.
    func neverTrue(_ table: CompiledTable, _ vars: [Variable], _ domains: [[CELValue]], only rows: Set<Int>) -> [Bool] {
        var seen = table.rows.indices.map { !rows.contains($0) }
        forEachCombination(domains.map(\.count)) { combination in
            for (k, v) in vars.enumerated() { activation.values[v.slot] = domains[k][combination[k]] }
            for (i, row) in table.rows.enumerated() where !seen[i] {
                if let when = row.when {
                    if when.evaluate(activation) == .bool(true) { seen[i] = true }
                } else {
                    seen[i] = true
                }
            }
            return seen.contains(false)
        }
        return seen
    }

    // MARK: - Conditions

    /// Records the variables of a condition and the constants each is
    /// compared with; returns the first expression outside the fragment.
    func collect(_ t: CELSyntaxTree, _ vars: inout [Int: Variable]) -> String? {
        switch t.kind {
        case .literal(.bool):
            return nil
        case .identifier, .select:
            guard let v = variable(t), v.type == .bool else { return t.canonicalText }
            if vars[v.slot] == nil { vars[v.slot] = v }
            return nil
        case .call(nil, let f, let args):
            switch f {
            case "_&&_", "_||_", "!_", "_?_:_":
                for a in args { if let o = collect(a, &vars) { return o } }
                return nil
            case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "@in":
                guard args.count == 2 else { return t.canonicalText }
                let pairs: [(CELSyntaxTree, CELSyntaxTree)] = f == "@in" ? [(args[0], args[1])] : [(args[0], args[1]), (args[1], args[0])]
                for (x, c) in pairs {
                    guard let v = variable(x), let value = constant(c) else { continue }
                    let added: [CELValue]
                    if f == "@in", case .list(let items) = value {
                        added = items
                    } else if f != "@in" {
                        added = [value]
                    } else {
                        continue
                    }
                    // Appended in place: a copy per row would make big tables quadratic.
                    if vars[v.slot] == nil { vars[v.slot] = v }
                    vars[v.slot]?.constants += added
                    return nil
                }
                return t.canonicalText
            default:
                return t.canonicalText
            }
        default:
            return t.canonicalText
        }
    }

    /// `request.kind`, `in_warranty`: an input leaf or a rule, with its type.
    func variable(_ t: CELSyntaxTree) -> Variable? {
        guard let name = dotted(t), let slot = policy.environment.slot(of: name), slot < variables.count else {
            return nil
        }
        return variables[slot]
    }

    static func variable(slot: Int, policy: CompiledPolicy, snapshot: PolicySnapshot) -> Variable? {
        guard slot < policy.slotKinds.count, slot < policy.slotNames.count else { return nil }
        let name = policy.slotNames[slot]
        switch policy.slotKinds[slot] {
        case .input:
            guard let input = snapshot.inputs.input(at: name) else { return nil }
            let type: CELType
            var enumValues: [String]?
            switch input.type {
            case .bool: type = .bool
            case .int: type = .int
            case .double: type = .double
            case .string: type = .string
            case .date: type = .date
            case .enumeration(let values):
                type = .string
                enumValues = values
            default: return nil
            }
            return Variable(
                slot: slot, name: name, isRule: false, type: type, enumValues: enumValues, min: input.min, max: input.max)
        case .rule(let r):
            let rule = policy.rules[r]
            var enumValues: [String]?
            if case .enumeration(let values, _) = rule.type { enumValues = values }
            switch rule.celType {
            case .bool, .int, .double, .string, .date: break
            default: return nil
            }
            return Variable(slot: slot, name: name, isRule: true, type: rule.celType, enumValues: enumValues)
        case .parameter, .group:
            return nil
        }
    }

    func dotted(_ t: CELSyntaxTree) -> String? {
        switch t.kind {
        case .identifier(let n): return n
        case .select(let operand, let field): return dotted(operand).map { $0 + "." + field }
        default: return nil
        }
    }

    /// The value of an expression that reads parameters and literals only.
    func constant(_ t: CELSyntaxTree) -> CELValue? {
        // Literals, parameters and lists of them need no compiling.
        switch t.kind {
        case .literal(let v): return v
        case .identifier, .select:
            guard let name = dotted(t), let slot = policy.environment.slot(of: name), slot < policy.slotKinds.count,
                case .parameter = policy.slotKinds[slot]
            else { return nil }
            return policy.initialValues[slot]
        case .list(let items):
            var values: [CELValue] = []
            for item in items {
                guard let v = constant(item) else { return nil }
                values.append(v)
            }
            return .list(values)
        default:
            break
        }
        guard readsOnlyConstants(t), case .success(let program) = policy.environment.compile(t.canonicalText) else {
            return nil
        }
        let v = program.evaluate(activation)
        if case .error = v { return nil }
        return v
    }

    func readsOnlyConstants(_ t: CELSyntaxTree) -> Bool {
        switch t.kind {
        case .literal: return true
        case .unsignedLiteral: return false
        case .identifier, .select:
            guard let name = dotted(t), let slot = policy.environment.slot(of: name), slot < policy.slotKinds.count,
                case .parameter = policy.slotKinds[slot]
            else { return false }
            return true
        case .call(let target, _, let args):
            return (target.map(readsOnlyConstants) ?? true) && args.allSatisfy(readsOnlyConstants)
        case .list(let items): return items.allSatisfy(readsOnlyConstants)
        case .map: return false
        }
    }

    // MARK: - Domains

    /// One representative per class of a variable.
    func domain(_ v: Variable) -> [CELValue] {
        if let values = v.enumValues { return values.map { .string($0) } }
        switch v.type {
        case .bool:
            return [.bool(false), .bool(true)]
        case .int:
            // Each constant, the value just above it (standing for the open
            // interval up to the next constant), and one value below them all.
            var points = Set<Int64>()
            var lowest: Int64?
            for case .int(let c) in v.constants {
                points.insert(c)
                let (above, overflow) = c.addingReportingOverflow(1)
                if !overflow { points.insert(above) }
                lowest = min(lowest ?? c, c)
            }
            if let lowest {
                let (below, overflow) = lowest.subtractingReportingOverflow(1)
                if !overflow { points.insert(below) }
            }
            for case .double(let c) in v.constants where c.isFinite && abs(c) < 1e15 {
                let f = Int64(c.rounded(.down))
                points.formUnion([f - 1, f, f + 1, f + 2])
            }
            if let m = v.min { points.insert(m) }
            if points.isEmpty { points.insert(v.min ?? 0) }
            return points.filter { x in (v.min.map { x >= $0 } ?? true) && (v.max.map { x <= $0 } ?? true) }
                .sorted().map { .int($0) }
        case .double:
            var points = Set<Double>()
            for c in v.constants {
                let x: Double
                switch c {
                case .double(let d): x = d
                case .int(let i): x = Double(i)
                default: continue
                }
                points.formUnion([x - 0.5, x, x + 0.5])
            }
            if points.isEmpty { points.insert(0) }
            return points.sorted().map { .double($0) }
        case .date:
            var points = Set<CELDate>()
            var lowest: CELDate?
            for case .date(let c) in v.constants {
                points.insert(c)
                if let x = c.addingDays(1) { points.insert(x) }
                lowest = min(lowest ?? c, c)
            }
            if let lowest, let x = lowest.addingDays(-1) { points.insert(x) }
            if points.isEmpty, let d = CELDate(year: 2026, month: 1, day: 1) { points.insert(d) }
            return points.sorted().map { .date($0) }
        case .string:
            var texts: [String] = []
            for case .string(let s) in v.constants where !texts.contains(s) { texts.append(s) }
            var other = "other"
            while texts.contains(other) { other += "_" }
            return (texts + [other]).map { .string($0) }
        default:
            return []
        }
    }

    // MARK: - Example tickets

    /// The example as a ticket: its input variables, nested by path, with the
    /// policy's own selector values (and version date) so that `eval` routes it here.
    func ticket(_ assignment: [CELValue], _ vars: [Variable]) -> String {
        var fields: [(path: [String], value: CELValue)] = []
        let inputs = zip(vars, assignment).filter { !$0.0.isRule }
        for s in policy.selectors where !inputs.contains(where: { $0.0.name == s.key }) {
            if let first = s.values.first { fields.append((s.key.split(separator: ".").map(String.init), .string(first))) }
        }
        for (v, value) in inputs { fields.append((v.name.split(separator: ".").map(String.init), value)) }
        if let dating = policy.dating, let from = dating.from,
            !fields.contains(where: { $0.path.joined(separator: ".") == dating.input })
        {
            let text = dating.inputIsTimestamp ? "\(from)T12:00:00Z" : from.description
            fields.append((dating.input.split(separator: ".").map(String.init), .string(text)))
        }
        var w = JSONWriter(capacity: 256)
        write(fields, &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private func write(_ fields: [(path: [String], value: CELValue)], _ w: inout JSONWriter) {
        w.raw("{")
        var keys: [String] = []
        for f in fields where !keys.contains(f.path[0]) { keys.append(f.path[0]) }
        for (i, key) in keys.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(key)
            w.raw(":")
            let mine = fields.filter { $0.path[0] == key }
            if let leaf = mine.first(where: { $0.path.count == 1 }) {
                switch leaf.value {
                case .bool(let b): w.bool(b)
                case .int(let n): w.int(n)
                case .double(let d): w.double(d)
                case .string(let s): w.string(s)
                case .date(let d): w.string(d.description)
                default: w.null()
                }
            } else {
                write(mine.map { (Array($0.path.dropFirst()), $0.value) }, &w)
            }
        }
        w.raw("}")
    }

    /// Whether evaluating the policy on the example ticket gives the error
    /// the analysis predicts (tables of inputs only).
    func confirms(_ assignment: [CELValue], _ vars: [Variable], rule: Int, expecting: String) -> Bool {
        guard vars.allSatisfy({ !$0.isRule }),
            case .success(.object(let object)) = JSONReader.parse(Array(ticket(assignment, vars).utf8))
        else { return false }
        let activation = TicketActivation(policy: policy)
        activation.reset(ticket: object)
        if case .error(let e) = activation.ruleValue(rule) { return e.message.contains(expecting) }
        return false
    }
}
