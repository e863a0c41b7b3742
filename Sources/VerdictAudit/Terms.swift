import CEL
import VerdictModel
import VerdictRuntime

/// Insertion-ordered unique elements (no hash order leaks into results).
struct Ordered<T: Hashable>: Sendable where T: Sendable {
    private(set) var items: [T] = []
    private var seen: Set<T> = []

    @discardableResult
    mutating func insert(_ x: T) -> Bool {
        guard seen.insert(x).inserted else { return false }
        items.append(x)
        return true
    }

    mutating func formUnion(_ other: Ordered<T>) { for x in other.items { insert(x) } }
    func contains(_ x: T) -> Bool { seen.contains(x) }
    var isEmpty: Bool { items.isEmpty }
}

/// A term compared with a constant.
struct ConstCompare: Hashable, Sendable {
    var term: Term
    var value: StrictValue
}

/// Two terms of different inputs compared with each other.
struct CrossCompare: Hashable, Sendable {
    var a: Term
    var b: Term
}

/// Two shifts of one input compared with each other (`d.addMonths(1) < d.addDays(30)`).
struct SelfCompare: Hashable, Sendable {
    var leaf: Int
    var a: [ChainOp]
    var b: [ChainOp]
}

/// A value worth sampling for an input, from an expression the analysis cannot follow.
struct Hint: Hashable, Sendable {
    var leaf: Int
    var value: StrictValue
}

/// What the pre-pass learns from rules: every comparison the classes must
/// separate, every shift whose range errors cut the classes, and why a rule
/// is outside the analysable fragment.
struct Facts: Sendable {
    var constants = Ordered<ConstCompare>()
    var cross = Ordered<CrossCompare>()
    var selfPairs = Ordered<SelfCompare>()
    /// Every term with a chain (error zones, month-end clamping).
    var chained = Ordered<Term>()
    /// Fields and objects read by `has()`.
    var hasTargets = Ordered<Int>()
    var hints = Ordered<Hint>()
    var reasons = Ordered<String>()

    mutating func merge(_ o: Facts) {
        constants.formUnion(o.constants)
        cross.formUnion(o.cross)
        selfPairs.formUnion(o.selfPairs)
        chained.formUnion(o.chained)
        hasTargets.formUnion(o.hasTargets)
        hints.formUnion(o.hints)
        reasons.formUnion(o.reasons)
    }
}

/// A value an expression can take, as far as the pre-pass tracks it.
enum TermValue: Hashable, Sendable {
    case term(Term)
    case constant(StrictValue)
    /// An object input (`fault`): only `== null` and `!= null` are followed.
    case object(Int)
}

/// The values an expression can take: the tracked ones, and whether it can
/// also take values that are fixed on each class but not tracked here
/// (`other`: a boolean, a list of ids, a size…).
struct TermSet: Sendable {
    var items = Ordered<TermValue>()
    var other = false

    static let other: TermSet = {
        var s = TermSet()
        s.other = true
        return s
    }()

    static func constant(_ v: CELValue) -> TermSet {
        var s = TermSet()
        s.items.insert(.constant(StrictValue(v)))
        return s
    }

    var hasInputs: Bool {
        items.items.contains {
            switch $0 {
            case .term, .object: true
            case .constant: false
            }
        }
    }

    var constants: [CELValue] {
        items.items.compactMap {
            if case .constant(let v) = $0 { return v.value }
            return nil
        }
    }

    mutating func formUnion(_ o: TermSet) {
        items.formUnion(o.items)
        other = other || o.other
    }
}

/// The pre-pass over one version's rules: for each rule, the values it can
/// take (as terms and constants) and its own facts. A syntactic walk that
/// over-approximates: a comparison it records may never be reached, never
/// the other way round.
final class TermAnalysis {
    let policy: CompiledPolicy
    let tree: InputTree
    /// Selector inputs and their value on this side.
    let fixed: [String: CELValue]
    let ops: ConcreteOps
    private var ruleTerms: [Int: TermSet] = [:]
    private var ruleFacts: [Int: Facts] = [:]
    private var inProgress: Set<Int> = []

    init(policy: CompiledPolicy, tree: InputTree, fixed: [String: CELValue], ops: ConcreteOps) {
        self.policy = policy
        self.tree = tree
        self.fixed = fixed
        self.ops = ops
    }

    /// The facts of a rule and every rule it depends on.
    func facts(closureOf rule: Int) -> Facts {
        var f = Facts()
        var rules = [rule] + policy.graph.ruleClosure(of: rule).sorted()
        rules = rules.filter { $0 >= 0 && $0 < policy.rules.count }
        for r in rules {
            _ = terms(ofRule: r)
            if let rf = ruleFacts[r] { f.merge(rf) }
        }
        return f
    }

    func terms(ofRule index: Int) -> TermSet {
        if let t = ruleTerms[index] { return t }
        guard index >= 0, index < policy.rules.count, !inProgress.contains(index) else { return .other }
        inProgress.insert(index)
        defer { inProgress.remove(index) }
        let rule = policy.rules[index]
        var facts = Facts()
        var result = TermSet()
        switch rule.body {
        case .expr(let p):
            result = program(p, rule.name, &facts)
        case .table(let t):
            for row in t.rows {
                if let w = row.when { _ = program(w, rule.name, &facts) }
                result.formUnion(program(row.then, rule.name, &facts))
            }
            if let d = t.defaultRow { result.formUnion(program(d.then, rule.name, &facts)) }
            if t.hit == .collect {
                if result.hasInputs {
                    facts.reasons.insert("rule `\(rule.name)`: a `collect` table of input values")
                }
                result = .other
            }
        case .items(let items):
            for item in items { _ = program(item.when, rule.name, &facts) }
            result = .other
        }
        ruleTerms[index] = result
        ruleFacts[index] = facts
        return result
    }

    /// Where an expression stands, for reasons.
    struct Context {
        var rule: String
    }

    /// One expression of a rule. When part of it is outside the fragment, every
    /// constant of the whole expression is worth sampling for the inputs it
    /// reads (`n * 2 > 10` is decided around 10 / 2).
    private func program(_ p: CELProgram, _ rule: String, _ facts: inout Facts) -> TermSet {
        var c = Context(rule: rule)
        let before = facts.reasons.items.count
        let t = p.syntax
        let result = terms(t, &c, &facts)
        if facts.reasons.items.count > before {
            let literals = literalsIn(t)
            for leaf in leavesIn(t) {
                for v in literals { facts.hints.insert(Hint(leaf: leaf, value: StrictValue(v))) }
            }
        }
        return result
    }

    // MARK: - Names

    enum Resolved {
        case leaf(Int)
        case object(Int)
        case constant(CELValue)
        case rule(Int)
    }

    /// A dotted name by its longest declared prefix, and the fields left over.
    func resolve(_ name: String) -> (Resolved, rest: [String])? {
        let segs = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for k in stride(from: segs.count, to: 0, by: -1) {
            let prefix = segs[0..<k].joined(separator: ".")
            guard let slot = policy.environment.slot(of: prefix), slot < policy.slotKinds.count else { continue }
            let rest = Array(segs[k...])
            switch policy.slotKinds[slot] {
            case .parameter:
                return (.constant(slot < policy.initialValues.count ? policy.initialValues[slot] : .null), rest)
            case .rule(let i): return (.rule(i), rest)
            case .group:
                guard let node = tree.byPath[policy.slotNames[slot]] else { return nil }
                return (.object(node), rest)
            case .input:
                let path = policy.slotNames[slot]
                if let v = fixed[path] { return (.constant(v), rest) }
                guard let node = tree.byPath[path] else { return nil }
                return (.leaf(node), rest)
            }
        }
        return nil
    }

    func leafTerms(_ node: Int) -> TermSet {
        switch tree.nodes[node].kind {
        case .bool, .enumeration: return .other
        default:
            // Left out, the field is null, an error or its default: the
            // partition covers defaults, and null and errors compare alike on a class.
            var s = TermSet()
            s.items.insert(.term(Term(leaf: node, chain: [])))
            return s
        }
    }

    // MARK: - The walk

    func terms(_ t: CELSyntaxTree, _ c: inout Context, _ f: inout Facts) -> TermSet {
        switch t.kind {
        case .literal(let v): return .constant(v)
        case .unsignedLiteral: return .other
        case .identifier, .select:
            if let name = t.qualifiedName, let (r, rest) = resolve(name) {
                if rest.isEmpty {
                    switch r {
                    case .leaf(let n): return leafTerms(n)
                    case .object(let n):
                        var s = TermSet()
                        s.items.insert(.object(n))
                        return s
                    case .constant(let v): return .constant(v)
                    case .rule(let i): return terms(ofRule: i)
                    }
                }
                opaque(t, "selects a field of a value", &c, &f, force: true)
                return .other
            }
            if case .select(let operand, _) = t.kind {
                let o = terms(operand, &c, &f)
                if o.hasInputs { opaque(t, "selects a field of a computed value", &c, &f) }
            }
            return .other
        case .list(let items):
            var all: [CELValue] = []
            var constant = true
            for i in items {
                let s = terms(i, &c, &f)
                if s.hasInputs { opaque(t, "builds a list of input values", &c, &f) }
                if s.other || s.items.items.count != 1 { constant = false } else if let v = s.constants.first { all.append(v) }
            }
            return constant ? .constant(.list(all)) : .other
        case .map(let entries):
            for e in entries {
                let k = terms(e.key, &c, &f)
                let v = terms(e.value, &c, &f)
                if k.hasInputs || v.hasInputs { opaque(t, "builds a map of input values", &c, &f) }
            }
            return .other
        case .call(let target, let function, let args):
            return call(t, target, function, args, &c, &f)
        }
    }

    private func call(
        _ t: CELSyntaxTree, _ target: CELSyntaxTree?, _ function: String, _ args: [CELSyntaxTree],
        _ c: inout Context, _ f: inout Facts
    ) -> TermSet {
        if target == nil {
            switch (function, args.count) {
            case ("_&&_", 2), ("_||_", 2), ("!_", 1):
                for a in args { _ = terms(a, &c, &f) }
                return .other
            case ("_?_:_", 3):
                _ = terms(args[0], &c, &f)
                var s = terms(args[1], &c, &f)
                s.formUnion(terms(args[2], &c, &f))
                return s
            case ("_==_", 2), ("_!=_", 2), ("_<_", 2), ("_<=_", 2), ("_>_", 2), ("_>=_", 2):
                let l = terms(args[0], &c, &f)
                let r = terms(args[1], &c, &f)
                compare(t, l, r, relational: function != "_==_" && function != "_!=_", &c, &f)
                return .other
            case ("@in", 2):
                let l = terms(args[0], &c, &f)
                if case .list(let items) = args[1].kind {
                    for i in items { compare(t, l, terms(i, &c, &f), relational: false, &c, &f) }
                    return .other
                }
                let r = terms(args[1], &c, &f)
                if r.hasInputs {
                    opaque(t, "tests membership in an input", &c, &f)
                } else if l.hasInputs {
                    if r.other { opaque(t, "tests membership in a computed list", &c, &f) }
                    for v in r.constants {
                        if case .list(let elems) = v {
                            for e in elems { compare(t, l, .constant(e), relational: false, &c, &f) }
                        } else {
                            opaque(t, "tests membership in a value that is not a list", &c, &f)
                        }
                    }
                }
                return .other
            case ("has", 1):
                if let name = args[0].qualifiedName, let (r, rest) = resolve(name), rest.isEmpty {
                    switch r {
                    case .leaf(let n), .object(let n): f.hasTargets.insert(n)
                    default: break
                    }
                    return .other
                }
                if case .select(let operand, _) = args[0].kind, terms(operand, &c, &f).hasInputs {
                    opaque(t, "tests a field that is not declared", &c, &f, force: true)
                }
                return .other
            case ("date", 1):
                return dateOf(terms(args[0], &c, &f), t, &c, &f)
            default: break
            }
        } else if let target, args.count == 1, ["addMonths", "addDays", "addHours"].contains(function) {
            let base = terms(target, &c, &f)
            let k = terms(args[0], &c, &f)
            if k.hasInputs { opaque(t, "shifts by an input", &c, &f) }
            var out = TermSet()
            out.other = base.other
            for item in base.items.items {
                switch item {
                case .term(let term):
                    if k.other { opaque(t, "shifts by a computed amount", &c, &f) }
                    for kv in k.constants {
                        guard case .int(let n) = kv else { continue }
                        let op: ChainOp =
                            function == "addMonths" ? .addMonths(n) : function == "addDays" ? .addDays(n) : .addHours(n)
                        let chain = appending(op, to: term.chain, leafIsDate: tree.nodes[term.leaf].kind == .date)
                        let nt = Term(leaf: term.leaf, chain: chain)
                        if !chain.isEmpty { f.chained.insert(nt) }
                        out.items.insert(.term(nt))
                    }
                case .constant(let v):
                    if k.other { out.other = true }
                    for kv in k.constants {
                        out.items.insert(.constant(StrictValue(ops.apply(function: function, hasTarget: true, [v.value, kv]))))
                    }
                case .object:
                    opaque(t, "shifts an object", &c, &f)
                }
            }
            return out
        }
        // Anything else: fine on values fixed per class, outside the fragment on input values.
        let macro = target != nil && ["all", "exists", "exists_one", "map", "filter"].contains(function)
        var sets: [TermSet] = []
        if let target { sets.append(terms(target, &c, &f)) }
        if macro {
            opaque(t, "uses the macro `\(function)`", &c, &f, force: true)
            return .other
        }
        for a in args { sets.append(terms(a, &c, &f)) }
        if sets.contains(where: \.hasInputs) {
            let what: String
            switch function {
            case "_+_", "_-_", "_*_", "_/_", "_%_", "-_": what = "computes arithmetic on an input"
            case "size": what = "takes the size of an input"
            default: what = "applies `\(Printer.functionName(function))` to an input"
            }
            opaque(t, what, &c, &f)
            return .other
        }
        // Constant arguments: the value is a constant too.
        if sets.allSatisfy({ !$0.other && $0.items.items.count == 1 }) {
            let values = sets.compactMap(\.constants.first)
            if values.count == sets.count {
                return .constant(ops.apply(function: function, hasTarget: target != nil, values))
            }
        }
        return .other
    }

    /// `date(x)`: a timestamp term gets its calendar date; constants are computed.
    private func dateOf(_ s: TermSet, _ t: CELSyntaxTree, _ c: inout Context, _ f: inout Facts) -> TermSet {
        var out = TermSet()
        out.other = s.other
        for item in s.items.items {
            switch item {
            case .term(let term):
                let chain = appending(.toDate, to: term.chain, leafIsDate: tree.nodes[term.leaf].kind == .date)
                let nt = Term(leaf: term.leaf, chain: chain)
                if !chain.isEmpty { f.chained.insert(nt) }
                out.items.insert(.term(nt))
            case .constant(let v):
                out.items.insert(.constant(StrictValue(ops.apply("date(a0)", [v.value]))))
            case .object:
                opaque(t, "takes the date of an object", &c, &f)
            }
        }
        return out
    }

    /// Whether a term is the input itself on its ordered scale (a date, an
    /// int, or a timestamp's calendar date).
    func isBare(_ term: Term) -> Bool {
        switch tree.nodes[term.leaf].kind {
        case .timestamp: return term.chain == [.toDate]
        default: return term.chain.isEmpty
        }
    }

    /// Whether a term lives on the ordered scale of its input (dates and ints),
    /// where it can be cut at constants.
    func isPositional(_ term: Term) -> Bool {
        switch tree.nodes[term.leaf].kind {
        case .int: return term.chain.isEmpty
        case .date: return !term.chain.contains { if case .addHours = $0 { true } else { false } }
        case .timestamp:
            return term.chain.first == .toDate && !term.chain.contains { if case .addHours = $0 { true } else { false } }
        default: return false
        }
    }

    private func compare(
        _ t: CELSyntaxTree, _ l: TermSet, _ r: TermSet, relational: Bool, _ c: inout Context, _ f: inout Facts
    ) {
        guard l.hasInputs || r.hasInputs else { return }
        for (x, y) in [(l, r), (r, l)] {
            for a in x.items.items {
                switch a {
                case .object:
                    if relational || y.other || y.items.items.contains(where: { $0 != .constant(StrictValue(.null)) }) {
                        opaque(t, "compares an object with something other than null", &c, &f)
                    }
                case .term(let ta):
                    if y.other { opaque(t, "compares an input with a computed value", &c, &f) }
                    for b in y.items.items {
                        switch b {
                        case .constant(let v):
                            if case .null = v.value, !relational { continue }
                            record(t, ta, v, relational: relational, &c, &f)
                        case .term(let tb):
                            record(t, ta, tb, relational: relational, &c, &f)
                        case .object:
                            break
                        }
                    }
                case .constant:
                    break
                }
            }
        }
    }

    private func record(
        _ t: CELSyntaxTree, _ a: Term, _ v: StrictValue, relational: Bool, _ c: inout Context, _ f: inout Facts
    ) {
        let kind = tree.nodes[a.leaf].kind
        switch kind {
        case .string:
            if relational { opaque(t, "orders text", &c, &f) } else { f.constants.insert(ConstCompare(term: a, value: v)) }
        case .double:
            f.constants.insert(ConstCompare(term: a, value: v))
        case .int, .date, .timestamp:
            if isPositional(a) {
                f.constants.insert(ConstCompare(term: a, value: v))
            } else {
                opaque(t, "compares the timestamp `\(tree.nodes[a.leaf].path)` itself", &c, &f)
            }
        default:
            opaque(t, "compares the \(kindName(kind)) `\(tree.nodes[a.leaf].path)`", &c, &f)
        }
    }

    private func record(
        _ t: CELSyntaxTree, _ a: Term, _ b: Term, relational: Bool, _ c: inout Context, _ f: inout Facts
    ) {
        guard isPositional(a), isPositional(b) else {
            opaque(t, "compares two inputs that are not dates or whole numbers", &c, &f)
            return
        }
        if a.leaf == b.leaf {
            if a.chain != b.chain { f.selfPairs.insert(SelfCompare(leaf: a.leaf, a: a.chain, b: b.chain)) }
            return
        }
        let pair = a.leaf < b.leaf ? CrossCompare(a: a, b: b) : CrossCompare(a: b, b: a)
        f.cross.insert(pair)
    }

    private func kindName(_ k: LeafKind) -> String {
        switch k {
        case .list: "list"
        case .object: "object"
        case .conflict: "input"
        default: "input"
        }
    }

    /// Records that `t` is outside the fragment (when it involves inputs, or
    /// with `force`), and keeps its constants as values worth sampling.
    private func opaque(_ t: CELSyntaxTree, _ why: String, _ c: inout Context, _ f: inout Facts, force: Bool = false) {
        let leaves = leavesIn(t)
        guard force || !leaves.isEmpty else { return }
        f.reasons.insert("rule `\(c.rule)`: `\(Printer.text(t))` \(why)")
        let literals = literalsIn(t)
        for leaf in leaves {
            for v in literals { f.hints.insert(Hint(leaf: leaf, value: StrictValue(v))) }
        }
    }

    /// The inputs an expression reads, through the rules it names.
    private func leavesIn(_ t: CELSyntaxTree) -> [Int] {
        var out = Ordered<Int>()
        var visitedRules: Set<Int> = []
        collectLeaves(t, &out, &visitedRules)
        return out.items
    }

    private func collectLeaves(_ t: CELSyntaxTree, _ out: inout Ordered<Int>, _ visited: inout Set<Int>) {
        if let name = t.qualifiedName, let (r, _) = resolve(name) {
            switch r {
            case .leaf(let n), .object(let n): out.insert(n)
            case .rule(let i):
                guard visited.insert(i).inserted, i < policy.rules.count else { return }
                for (_, p) in policy.rules[i].body.programs { collectLeaves(p.syntax, &out, &visited) }
            case .constant: break
            }
            return
        }
        switch t.kind {
        case .select(let o, _): collectLeaves(o, &out, &visited)
        case .call(let target, _, let args):
            if let target { collectLeaves(target, &out, &visited) }
            for a in args { collectLeaves(a, &out, &visited) }
        case .list(let items): for i in items { collectLeaves(i, &out, &visited) }
        case .map(let entries):
            for e in entries {
                collectLeaves(e.key, &out, &visited)
                collectLeaves(e.value, &out, &visited)
            }
        default: break
        }
    }

    /// Literal values in an expression (and what a regular expression's plain
    /// prefix spells), for sampling around them.
    private func literalsIn(_ t: CELSyntaxTree) -> [CELValue] {
        var out: [CELValue] = []
        func walk(_ t: CELSyntaxTree, inMatches: Bool) {
            switch t.kind {
            case .literal(let v):
                out.append(v)
                if inMatches, case .string(let s) = v { out.append(.string(Printer.plainPrefix(ofRegex: s))) }
            case .identifier: break
            case .unsignedLiteral: break
            case .select(let o, _): walk(o, inMatches: false)
            case .call(let target, let fn, let args):
                if (fn == "date" || fn == "timestamp"), target == nil, args.count == 1, case .literal = args[0].kind {
                    let v = ops.apply(function: fn, hasTarget: false, [literalValue(args[0])])
                    if !v.isError { out.append(v) }
                }
                if let target { walk(target, inMatches: false) }
                for a in args { walk(a, inMatches: fn == "matches") }
            case .list(let items): for i in items { walk(i, inMatches: false) }
            case .map(let entries):
                for e in entries {
                    walk(e.key, inMatches: false)
                    walk(e.value, inMatches: false)
                }
            }
        }
        walk(t, inMatches: false)
        // Sums and differences of numeric literals: `x + 1 > 10` is decided at 9.
        let ints = out.compactMap { v -> Int64? in
            if case .int(let i) = v { return i }
            return nil
        }
        if ints.count <= 8 {
            for a in ints {
                for b in ints where a != b {
                    let (s, o1) = a.subtractingReportingOverflow(b)
                    if !o1 { out.append(.int(s)) }
                    let (q, o2) = a.dividedReportingOverflow(by: b)
                    let (r, o3) = a.remainderReportingOverflow(dividingBy: b)
                    if b != 0, !o2, !o3 {
                        out.append(.int(q))
                        if r != 0, q < Int64.max { out.append(.int(q + 1)) }
                    }
                }
            }
        }
        return out
    }

    private func literalValue(_ t: CELSyntaxTree) -> CELValue {
        if case .literal(let v) = t.kind { return v }
        return .null
    }
}
