import CEL
import VerdictCompiler
import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictRuntime

/// The language of readable explanations: the policies' labels and the few words around them.
public enum ExplainLanguage: String, Sendable, CaseIterable {
    case en, zh

    var yes: String { self == .zh ? "是" : "yes" }
    var no: String { self == .zh ? "否" : "no" }
    var none: String { self == .zh ? "无" : "none" }
    var undetermined: String { self == .zh ? "无法确定" : "undetermined" }
    var seeAbove: String { self == .zh ? "（见上）" : " (see above)" }
    var included: String { self == .zh ? "列入" : "included" }
    var notIncluded: String { self == .zh ? "不列入" : "not included" }
    var noRow: String { self == .zh ? "没有一行适用，取默认值" : "no row applies: the default" }
    var clause: String { self == .zh ? "条款" : "clause" }
    var given: String { self == .zh ? "已提供" : "given" }
    var notGiven: String { self == .zh ? "未提供" : "not given" }
    func row(_ n: Int) -> String { self == .zh ? "第\(n)行" : "row \(n)" }
    func setIn(_ at: String) -> String { self == .zh ? "设于 \(at)" : "set in \(at)" }
    func overriding(_ at: String) -> String { self == .zh ? "覆盖 \(at)" : "overriding \(at)" }
    func open(_ s: String) -> String { self == .zh ? "（\(s)）" : " (\(s))" }
}

/// Readable explanations: per decision, the answer and only the path that
/// decided it, as a short tree in the policies' own words (labels in English
/// or Chinese), with parameter values and where they are set, the matched
/// table row, why each list item is in or out, and catalogue labels and
/// amounts. Rendered from the same trace as `--explain`'s JSON
/// (`ExplainRecorder`, with expression node values).
public final class TextExplainer {
    let set: PolicySet
    /// The traced policies evaluation ran on: node ids refer to their programs.
    let running: CompiledPolicySet
    public let language: ExplainLanguage
    /// Per program: node id by (offset, length) of its principal token.
    private var nodeIndex: [ObjectIdentifier: [Int: Int]] = [:]

    public init(policies: PolicySet, running: CompiledPolicySet, language: ExplainLanguage = .en) {
        self.set = policies
        self.running = running
        self.language = language
    }

    struct Line {
        var text: String
        var children: [Line] = []
    }

    /// One ticket's explanation: a heading, then a tree per asked decision.
    public func render(_ e: Evaluation, plan: AskPlan, line: Int, recorder: ExplainRecorder) -> String {
        guard e.status == .answered else {
            return "line \(line): error: \(e.failure)\n\n"
        }
        var context = Context(explainer: self, policy: e.policy, recorder: recorder)
        let p = set.policies[e.policy]
        var out = "\(label(ofTicket: e, line: line)) — \(p.identity.description)\n"
        for (i, d) in plan.decisions[e.policy].enumerated() {
            guard let rule = d.rule else {
                if case .undetermined(let reason) = e.outcomes[i] { out += "\(d.name): \(language.undetermined): \(reason)\n" }
                continue
            }
            out += draw(context.rule(rule))
        }
        return out + "\n"
    }

    func label(ofTicket e: Evaluation, line: Int) -> String {
        switch e.id {
        case .string(let s)?: return s
        case let id?:
            var w = JSONWriter(capacity: 16)
            w.value(id)
            return String(decoding: w.bytes, as: UTF8.self)
        case nil: return "line \(line)"
        }
    }

    func draw(_ root: Line) -> String {
        var out = root.text + "\n"
        func walk(_ children: [Line], _ prefix: String) {
            for (i, c) in children.enumerated() {
                let last = i == children.count - 1
                out += prefix + (last ? "└─ " : "├─ ") + c.text + "\n"
                walk(c.children, prefix + (last ? "   " : "│  "))
            }
        }
        walk(root.children, "")
        return out
    }

    func nodeID(_ program: CELProgram, _ tree: CELSyntaxTree) -> Int? {
        let key = ObjectIdentifier(program)
        if nodeIndex[key] == nil {
            var index: [Int: Int] = [:]
            for (id, n) in program.nodes.enumerated() where index[n.offset << 20 | n.length] == nil {
                index[n.offset << 20 | n.length] = id
            }
            nodeIndex[key] = index
        }
        return nodeIndex[key]?[tree.offset << 20 | tree.length]
    }

    /// What one ticket's explanation needs while it is being built.
    struct Context {
        let explainer: TextExplainer
        let policy: Int
        let recorder: ExplainRecorder
        var shown: Set<Int> = []

        var lang: ExplainLanguage { explainer.language }
        var snapshot: PolicySnapshot { explainer.set.snapshots[policy] }
        var sourceMap: PolicySourceMap { explainer.set.sourceMaps[policy] }
        var compiled: CompiledPolicy { explainer.running.policies[policy] }

        func text(_ l: Label?, _ fallback: String) -> String {
            guard let l, !(l.en.isEmpty && l.zh.isEmpty) else { return fallback }
            return lang == .zh ? l.zh : l.en
        }

        func clauses(_ c: Clause) -> String {
            let cited = snapshot.cited(c)
            return cited.isEmpty ? "" : "  [" + cited.joined(separator: ", ") + "]"
        }

        func format(_ v: CELValue) -> String {
            switch v {
            case .bool(let b): return b ? lang.yes : lang.no
            case .null: return lang.none
            case .string(let s): return s
            case .date(let d): return d.description
            case .timestamp(let t): return t.description
            case .list(let items): return "[" + items.map(format).joined(separator: ", ") + "]"
            case .error(let e): return lang.undetermined + lang.open(e.message)
            default: return v.celLiteral
            }
        }

        // MARK: rules

        mutating func rule(_ r: Int) -> Line {
            let rule = compiled.rules[r]
            let snap = snapshot.rules[r]
            let record = recorder.records[r]
            let value = recorder.wasEvaluated(r) ? record.value : .error(CELError(.other, "not evaluated"))
            var line = Line(text: "\(text(snap.label, rule.name)): \(format(value))\(clauses(snap.clause))")
            if shown.contains(r) {
                line.text += lang.seeAbove
                return line
            }
            shown.insert(r)
            switch rule.body {
            case .expr(let program):
                line.children = top(program, record.nodes[.expr] ?? [:])
            case .table(let table):
                line.children = self.table(r, table, snap, record)
            case .items(let items):
                line.children = self.items(r, items, record)
            }
            return line
        }

        mutating func table(_ r: Int, _ t: CompiledTable, _ snap: RuleSnapshot, _ record: RuleRecord) -> [Line] {
            guard case .table(let ts) = snap.body else { return [] }
            guard let row = record.row else { return [] }
            if row >= 0 {
                let rs = ts.rows[row]
                var line = Line(text: "\(lang.row(row + 1)): \(text(rs.label, rs.when?.text ?? ""))\(clauses(rs.clause))")
                if let when = t.rows[row].when { line.children = reasons(when, record.nodes[.when(row)] ?? [:]) }
                line.children += top(t.rows[row].then, record.nodes[.then(row)] ?? [:])
                return [line]
            }
            var line = Line(text: lang.noRow + (ts.defaultRow.map { ": " + text($0.label, $0.then.text) + clauses($0.clause) } ?? ""))
            for (i, row) in t.rows.enumerated() {
                guard let when = row.when, let v = record.nodes[.when(i)].flatMap({ explainer.rootValue(when, $0) }) else { continue }
                var child = Line(text: "\(lang.row(i + 1)) \(text(ts.rows[i].label, ts.rows[i].when?.text ?? "")): \(format(v))")
                child.children = reasons(when, record.nodes[.when(i)] ?? [:])
                line.children.append(child)
            }
            if let d = t.defaultRow { line.children += top(d.then, record.nodes[.then(-1)] ?? [:]) }
            return [line]
        }

        mutating func items(_ r: Int, _ items: [CompiledItem], _ record: RuleRecord) -> [Line] {
            var out: [Line] = []
            let catalog: CatalogSnapshot? = {
                if case .catalogList(let c) = snapshot.rules[r].type { return snapshot.catalog(named: c) }
                return nil
            }()
            for (i, held) in record.itemsTried {
                let item = items[i]
                var name = item.id
                if let entry = catalog?.entries.first(where: { $0.id == item.id }) {
                    var extra = text(entry.label, "")
                    if let a = entry.amount {
                        let amount = a == a.rounded() && abs(a) < 1e15 ? String(Int64(a)) : String(a)
                        extra += ", " + amount + (entry.currency.map { " " + $0 } ?? "")
                    }
                    if !extra.isEmpty { name += lang.open(extra) }
                }
                let snap: ItemSnapshot? = {
                    if case .items(let list) = snapshot.rules[r].body { return list[i] }
                    return nil
                }()
                var line = Line(
                    text: "\(name): \(held ? lang.included : lang.notIncluded)\(snap.map { clauses($0.clause) } ?? "")")
                line.children = reasons(item.when, record.nodes[.item(i)] ?? [:])
                out.append(line)
            }
            return out
        }

        // MARK: expressions

        /// The reasons of a whole expression: the root's own value is the rule's, so a
        /// value-giving root (a call, arithmetic) goes straight to what it used.
        mutating func top(_ program: CELProgram, _ nodes: [Int: CELValue]) -> [Line] {
            let tree = program.syntax
            if case .call(_, let f, let args) = tree.kind, !Self.boolean.contains(f), !f.hasPrefix("_") || f == "_[_]" {
                return args.flatMap { references(program, $0, nodes) }
                    + (Self.target(tree).map { references(program, $0, nodes) } ?? [])
            }
            if case .literal = tree.kind { return [] }
            if tree.qualifiedName != nil { return references(program, tree, nodes) }
            return reasons(program, tree, nodes)
        }

        mutating func reasons(_ program: CELProgram, _ nodes: [Int: CELValue]) -> [Line] {
            reasons(program, program.syntax, nodes)
        }

        static let boolean: Set<String> = ["_&&_", "_||_", "!_", "_?_:_"]

        static func target(_ t: CELSyntaxTree) -> CELSyntaxTree? {
            if case .call(let target, _, _) = t.kind { return target }
            return nil
        }

        func value(_ program: CELProgram, _ t: CELSyntaxTree, _ nodes: [Int: CELValue]) -> CELValue? {
            if case .literal(let v) = t.kind { return v }
            return explainer.nodeID(program, t).flatMap { nodes[$0] }
        }

        /// The deciding path of a condition: for `&&` that is false, its first false
        /// operand; for `||` that is true, its first true one; otherwise every operand.
        mutating func reasons(_ program: CELProgram, _ t: CELSyntaxTree, _ nodes: [Int: CELValue]) -> [Line] {
            switch t.kind {
            case .call(nil, let f, _) where f == "_&&_" || f == "_||_":
                let operands = Self.chain(t, f)
                let v = value(program, t, nodes)
                let decisive: CELValue = .bool(f == "_||_")
                if v == decisive, let first = operands.first(where: { value(program, $0, nodes) == decisive }) {
                    return reasons(program, first, nodes)
                }
                return operands.filter { value(program, $0, nodes) != nil }.flatMap { reasons(program, $0, nodes) }
            case .call(nil, "!_", let args):
                return args.flatMap { reasons(program, $0, nodes) }
            case .call(nil, "_?_:_", let args) where args.count == 3:
                let c = value(program, args[0], nodes)
                let chosen = c == .bool(true) ? args[1] : args[2]
                return reasons(program, args[0], nodes) + (c.map { _ in reasons(program, chosen, nodes) } ?? [])
            case .literal:
                return []
            default:
                if t.qualifiedName != nil { return references(program, t, nodes) }
                return [fact(program, t, nodes)]
            }
        }

        static func chain(_ t: CELSyntaxTree, _ f: String) -> [CELSyntaxTree] {
            if case .call(nil, let g, let args) = t.kind, g == f { return args.flatMap { chain($0, f) } }
            return [t]
        }

        /// A comparison or call with its operands' values, then what the operands refer to.
        mutating func fact(_ program: CELProgram, _ t: CELSyntaxTree, _ nodes: [Int: CELValue]) -> Line {
            var line = Line(text: describe(program, t, nodes, top: true))
            var children: [Line] = []
            func collect(_ sub: CELSyntaxTree) {
                if let name = sub.qualifiedName {
                    // Inputs show their values inline; rules and parameters have more to say.
                    if name.hasPrefix("params.") || compiled.ruleIndex(named: name) != nil {
                        children += references(program, sub, nodes)
                    }
                    return
                }
                switch sub.kind {
                case .call(let target, _, let args):
                    if let target { collect(target) }
                    args.forEach(collect)
                case .list(let items): items.forEach(collect)
                case .select(let operand, _): collect(operand)
                default: break
                }
            }
            collect(t)
            line.children = children
            return line
        }

        /// `Ticket date 2026-03-14 < First day after the warranty 2026-06-01: yes`.
        func describe(_ program: CELProgram, _ t: CELSyntaxTree, _ nodes: [Int: CELValue], top: Bool) -> String {
            let v = value(program, t, nodes)
            if let name = t.qualifiedName {
                return "\(named(name)) \(v.map(format) ?? "")".trimmingWhitespace()
            }
            switch t.kind {
            case .literal(let lit):
                return lit.celLiteral
            case .call(nil, let f, let args) where (f == "_!=_" || f == "_==_") && args.count == 2
                && args.contains(where: { if case .literal(.null) = $0.kind { true } else { false } }):
                // `fault != null`: whether the ticket gives it.
                let other = args.first { if case .literal(.null) = $0.kind { false } else { true } }
                let name = other?.qualifiedName.map(named) ?? other?.canonicalText ?? ""
                let given = (f == "_!=_") == (v == .bool(true))
                return name + ": " + (given ? lang.given : lang.notGiven)
            case .call(nil, let f, let args) where args.count == 2 && Self.operators[f] != nil:
                let text = describe(program, args[0], nodes, top: false) + " " + (Self.operators[f] ?? f) + " "
                    + describe(program, args[1], nodes, top: false)
                return top ? text + ": " + (v.map(format) ?? "?") : "(" + text + ")"
            default:
                return t.canonicalText + (v.map { " = " + format($0) } ?? "")
            }
        }

        static let operators: [String: String] = [
            "_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=", "@in": "in",
            "_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/", "_%_": "%",
        ]

        /// How a name reads: a rule's, an input's or a parameter's label.
        func named(_ name: String) -> String {
            if name.hasPrefix("params."), let p = snapshot.parameter(named: String(name.dropFirst(7))) {
                return text(p.label, name)
            }
            if let r = snapshot.rule(named: name) { return text(r.label, name) }
            if let i = input(name) { return text(i.label, name) + lang.open(name) }
            return name
        }

        func input(_ path: String) -> InputSnapshot? { snapshot.inputs.input(at: path) }

        /// What a name refers to: a rule (its own subtree), a parameter (its value and where it is set), an input.
        mutating func references(_ program: CELProgram, _ t: CELSyntaxTree, _ nodes: [Int: CELValue]) -> [Line] {
            guard let name = t.qualifiedName else { return [] }
            if name.hasPrefix("params.") {
                let p = String(name.dropFirst(7))
                guard let param = snapshot.parameter(named: p) else { return [] }
                var where_ = ""
                if let at = sourceMap[.parameterValue(p)] {
                    where_ = lang.setIn("\(Self.file(at.file)):\(at.line)")
                    if let origin = sourceMap[.parameterOrigin(p)], origin.file != at.file {
                        where_ += ", " + lang.overriding("\(Self.file(origin.file)):\(origin.line)")
                    }
                }
                let cited = snapshot.cited(param.clause).joined(separator: ", ")
                return [Line(text: "\(text(param.label, p)) = \(format(param.value))" + lang.open("\(lang.clause) \(cited); \(where_)"))]
            }
            if let r = compiled.ruleIndex(named: name) { return [rule(r)] }
            // The longest declared input the name starts with (`fault.cause` within `fault`).
            var path = name
            while input(path) == nil, let dot = path.lastIndex(of: ".") { path = String(path[..<dot]) }
            guard input(path) != nil else { return [] }
            let v = value(program, t, nodes)
            return [Line(text: "\(named(name)) = \(v.map(format) ?? "?")")]
        }

        static func file(_ path: String) -> String {
            path.split(separator: "/").last.map(String.init) ?? path
        }
    }

    func rootValue(_ program: CELProgram, _ nodes: [Int: CELValue]) -> CELValue? {
        let tree = program.syntax
        if case .literal(let v) = tree.kind { return v }
        return nodeID(program, tree).flatMap { nodes[$0] }
    }
}
