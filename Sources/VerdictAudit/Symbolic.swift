import CEL
import VerdictJSON
import VerdictRuntime

/// The variables of one decision's comparison: an object's presence, or a
/// component of fields and its classes (tuples). Ordered by where the first
/// field is declared.
struct Model {
    enum Var {
        case object(Int)
        case component(Component)
    }

    let tree: InputTree
    let selectors: Selectors
    var vars: [Var] = []
    var objectStates: [[FieldState]] = []
    var sizes: [Int] = []
    var varOfObject: [Int: Int] = [:]
    /// Field → (variable, index in the component's tuples).
    var place: [Int: (v: Int, k: Int)] = [:]

    init(tree: InputTree, selectors: Selectors, objects: [Int], components: [Component], hasTargets: Ordered<Int>) {
        self.tree = tree
        self.selectors = selectors
        var entries: [(first: Int, v: Var)] = objects.map { ($0, .object($0)) }
        entries += components.map { (($0.leaves.min() ?? 0), .component($0)) }
        entries.sort { $0.first < $1.first }
        for (i, e) in entries.enumerated() {
            vars.append(e.v)
            switch e.v {
            case .object(let node):
                varOfObject[node] = i
                let subtree = [node] + tree.descendants(node)
                let matters = subtree.contains { tree.absentIsValue($0) || hasTargets.contains($0) }
                let states: [FieldState] = matters ? [.present, .absent, .invalid] : [.present, .absent]
                objectStates.append(states)
                sizes.append(states.count)
            case .component(let c):
                for (k, leaf) in c.leaves.enumerated() { place[leaf] = (i, k) }
                objectStates.append([])
                sizes.append(c.tuples.count)
            }
        }
    }

    var classCount: Int { sizes.reduce(1) { Count.mul($0, $1) } }

    func cost(_ v: Int, _ c: Int) -> Int {
        switch vars[v] {
        case .object: return c * 16  // present 0, absent 1, invalid 2
        case .component(let comp): return comp.cost(c)
        }
    }

    /// Field states for a full assignment (fields outside the decision: nil);
    /// for the variables in `plain`, a class's plain member where it has one;
    /// `members` replaces a field's representative by another member of its
    /// class (keyed by variable, class and field).
    func states(_ assignment: [Int], plain: Set<Int> = [], members: [Member: CELValue] = [:]) -> [FieldState?] {
        var s = [FieldState?](repeating: nil, count: tree.nodes.count)
        for (v, c) in assignment.enumerated() where v < vars.count {
            switch vars[v] {
            case .object(let node): s[node] = objectStates[v][c]
            case .component(let comp):
                for (k, leaf) in comp.leaves.enumerated() {
                    let cls = comp.tuples[c][k]
                    if let m = members[Member(v: v, tuple: c, leaf: leaf)] {
                        s[leaf] = .value(m)
                    } else if plain.contains(v), case .value = cls.state, let p = cls.plain {
                        s[leaf] = .value(p)
                    } else {
                        s[leaf] = cls.state
                    }
                }
            }
        }
        return s
    }

    /// A field of one class of a component.
    struct Member: Hashable {
        var v: Int
        var tuple: Int
        var leaf: Int
    }

    /// The ticket of a full assignment, without selector keys.
    func ticket(_ assignment: [Int], id: String?, plain: Set<Int> = [], members: [Member: CELValue] = [:]) -> JSONObject {
        let t = tree.ticket(states: states(assignment, plain: plain, members: members), fill: true, skip: selectors.paths)
        guard let id, !(tree.byPath["id"].map { place[$0] != nil } ?? false) else { return t }
        return JSONObject([(key: "id", value: .string(id))] + t.entries.filter { $0.key != "id" })
    }
}

/// One version's decision as a diagram: every expression is evaluated on
/// diagrams instead of values (CEL's operators applied class by class at the
/// terminals), input fields are read per class through the version's own
/// binding (defaults, bounds, optional objects), rules are memoised.
final class SymbolicEvaluator {
    let d: Diagram
    let model: Model
    let side: Int
    let policy: CompiledPolicy
    let analysis: TermAnalysis
    let facts: Facts
    let ops: ConcreteOps
    private let activation: TicketActivation
    private var rules: [Int: Int32] = [:]
    private var slots: [Int: Int32] = [:]
    private var has: [Int: Int32] = [:]
    private var ruleName = ""

    init(diagram: Diagram, model: Model, side: Int, policy: CompiledPolicy, analysis: TermAnalysis, facts: Facts, ops: ConcreteOps) {
        self.d = diagram
        self.model = model
        self.side = side
        self.policy = policy
        self.analysis = analysis
        self.facts = facts
        self.ops = ops
        self.activation = TicketActivation(policy: policy)
    }

    private func fail(_ t: CELSyntaxTree?, _ why: String) -> Unanalysable {
        if let t { return Unanalysable(reason: "rule `\(ruleName)`: `\(Printer.text(t))` \(why)") }
        return Unanalysable(reason: "rule `\(ruleName)`: \(why)")
    }

    // MARK: - Fields

    /// Reads a slot of this version for one class of the fields on its path.
    private func read(slot: Int, path node: Int, _ assignment: [Int: Int]) -> (CELValue, present: Bool) {
        var states = [FieldState?](repeating: nil, count: model.tree.nodes.count)
        var present = true
        for a in model.tree.ancestors(node) + [node] {
            if let v = model.varOfObject[a], let c = assignment[v] {
                states[a] = model.objectStates[v][c]
                if case .present = model.objectStates[v][c] {} else { present = false }
            } else if let (v, k) = model.place[a], let c = assignment[v], case .component(let comp) = model.vars[v] {
                states[a] = comp.tuples[c][k].state
            }
        }
        let ticket = model.selectors.applied(
            to: model.tree.ticket(states: states, fill: false, skip: model.selectors.paths), side: side)
        activation.reset(ticket: ticket)
        return (activation.value(slot: slot), present)
    }

    private func pathVars(_ node: Int) -> [Int] {
        var vars: [Int] = []
        for a in model.tree.ancestors(node) + [node] {
            if let v = model.varOfObject[a] { vars.append(v) } else if let (v, _) = model.place[a] { vars.append(v) }
        }
        return vars
    }

    func leaf(_ node: Int, slot: Int) throws(Unanalysable) -> Int32 {
        if let r = slots[slot] { return r }
        guard let (cv, k) = model.place[node], case .component(let comp) = model.vars[cv] else {
            throw fail(nil, "reads `\(model.tree.nodes[node].path)`, which has no classes")
        }
        let r = try d.build(pathVars(node)) { a throws(Unanalysable) -> Terminal in
            let (value, parentsPresent) = read(slot: slot, path: node, a)
            guard let t = a[cv] else { return .error }
            let cls = comp.tuples[t][k]
            if parentsPresent, case .value = cls.state, !cls.singleton, !value.isError, value != .null {
                return .sym(Sym(leaf: node, chain: [], tuple: t, rep: StrictValue(value)))
            }
            return .of(value)
        }
        slots[slot] = r
        return r
    }

    func object(_ node: Int, slot: Int) throws(Unanalysable) -> Int32 {
        if let r = slots[slot] { return r }
        let r = try d.build(pathVars(node)) { a throws(Unanalysable) -> Terminal in
            switch read(slot: slot, path: node, a).0 {
            case .null: return .of(.null)
            case .error: return .error
            default: return .of(.map(CELMap()))
            }
        }
        slots[slot] = r
        return r
    }

    func hasField(_ node: Int, slot: Int) throws(Unanalysable) -> Int32 {
        if let r = has[slot] { return r }
        let r = try d.build(pathVars(node)) { a throws(Unanalysable) -> Terminal in
            if case .error(let e) = read(slot: slot, path: node, a).0, e.code == .missing { return .of(.bool(false)) }
            return .of(.bool(true))
        }
        has[slot] = r
        return r
    }

    // MARK: - Rules

    func rule(_ index: Int) throws(Unanalysable) -> Int32 {
        if let r = rules[index] { return r }
        guard index >= 0, index < policy.rules.count else { throw fail(nil, "an unknown rule") }
        let rule = policy.rules[index]
        let saved = ruleName
        ruleName = rule.name
        defer { ruleName = saved }
        var r: Int32
        switch rule.body {
        case .expr(let p):
            r = try eval(p.syntax)
        case .table(let t):
            r = try table(t)
        case .items(let items):
            r = try d.terminal(.of(.list([])))
            for item in items {
                let w = try eval(item.when.syntax)
                let id = item.value
                r = try d.apply2(r, w) { acc, w throws(Unanalysable) -> Terminal in
                    guard case .value(let a) = acc, !a.isError, case .list(let l) = a.value else { return .error }
                    guard case .value(let wv) = w, case .bool(let b) = wv.value else { return .error }
                    return b ? .of(.list(l + [id])) : acc
                }
            }
        }
        if rule.needsRuntimeCheck {
            let type = rule.celType
            r = try d.apply1(r) { t throws(Unanalysable) -> Terminal in
                guard case .value(let v) = t, !v.isError else { return t }
                return v.value.conforms(to: type) ? t : .error
            }
        }
        rules[index] = r
        return r
    }

    private func isTrue(_ t: Terminal) -> Bool? {
        guard case .value(let v) = t, case .bool(let b) = v.value else { return nil }
        return b
    }

    private func table(_ t: CompiledTable) throws(Unanalysable) -> Int32 {
        let trueRef = try d.terminal(.of(.bool(true)))
        var whens: [Int32] = []
        var thens: [Int32] = []
        for row in t.rows {
            if let w = row.when { whens.append(try eval(w.syntax)) } else { whens.append(trueRef) }
            thens.append(try eval(row.then.syntax))
        }
        let fallback: Int32
        if let row = t.defaultRow { fallback = try eval(row.then.syntax) } else { fallback = try d.terminal(.error) }
        switch t.hit {
        case .first:
            var acc = fallback
            for i in whens.indices.reversed() {
                acc = try d.apply3(whens[i], thens[i], acc) { w, th, rest throws(Unanalysable) -> Terminal in
                    switch self.isTrue(w) {
                    case true?: return th
                    case false?: return rest
                    case nil: return .error
                    }
                }
            }
            return acc
        case .unique:
            // Which row holds: -1 none yet; an error for an undecidable row or two holding.
            var which = try d.terminal(.of(.int(-1)))
            for (i, w) in whens.enumerated() {
                which = try d.apply2(which, w) { acc, w throws(Unanalysable) -> Terminal in
                    guard case .value(let a) = acc, case .int(let m) = a.value else { return .error }
                    switch self.isTrue(w) {
                    case true?: return m >= 0 ? .error : .of(.int(Int64(i)))
                    case false?: return acc
                    case nil: return .error
                    }
                }
            }
            var acc = try d.apply2(which, fallback) { w, f throws(Unanalysable) -> Terminal in
                guard case .value(let a) = w, case .int(let m) = a.value else { return .error }
                return m < 0 ? f : .error
            }
            for i in thens.indices {
                acc = try d.apply3(which, thens[i], acc) { w, th, rest throws(Unanalysable) -> Terminal in
                    guard case .value(let a) = w, case .int(let m) = a.value else { return .error }
                    return m == Int64(i) ? th : rest
                }
            }
            return acc
        case .collect:
            var acc = try d.terminal(.of(.list([])))
            for i in whens.indices {
                acc = try d.apply3(whens[i], thens[i], acc) { w, th, a throws(Unanalysable) -> Terminal in
                    switch self.isTrue(w) {
                    case false?: return a
                    case nil: return .error
                    case true?:
                        guard case .value(let av) = a, !av.isError, case .list(let l) = av.value else { return .error }
                        switch th {
                        case .value(let v): return v.isError ? .error : .of(.list(l + [v.value]))
                        default: throw self.fail(nil, "collects the value of an input")
                        }
                    }
                }
            }
            return acc
        }
    }

    // MARK: - Expressions

    func eval(_ t: CELSyntaxTree) throws(Unanalysable) -> Int32 {
        switch t.kind {
        case .literal(let v): return try d.terminal(.of(v))
        case .unsignedLiteral: return try d.terminal(.error)
        case .identifier, .select:
            guard let name = t.qualifiedName, let (r, rest) = analysis.resolve(name), rest.isEmpty else {
                throw fail(t, "selects a field of a value")
            }
            switch r {
            case .constant(let v): return try d.terminal(.of(v))
            case .rule(let i): return try rule(i)
            case .leaf(let node):
                guard let slot = policy.environment.slot(of: model.tree.nodes[node].path) else {
                    throw fail(t, "names an input this version does not declare")
                }
                return try leaf(node, slot: slot)
            case .object(let node):
                guard let slot = policy.environment.slot(of: model.tree.nodes[node].path) else {
                    throw fail(t, "names an input this version does not declare")
                }
                return try object(node, slot: slot)
            }
        case .list(let items):
            var acc = try d.terminal(.of(.list([])))
            for item in items {
                let x = try eval(item)
                acc = try d.apply2(acc, x) { a, b throws(Unanalysable) -> Terminal in
                    guard case .value(let av) = a, !av.isError, case .list(let l) = av.value else { return .error }
                    switch b {
                    case .value(let bv): return bv.isError ? .error : .of(.list(l + [bv.value]))
                    default: throw self.fail(t, "builds a list of input values")
                    }
                }
            }
            return acc
        case .map:
            throw fail(t, "builds a map")
        case .call(let target, let function, let args):
            return try call(t, target, function, args)
        }
    }

    private func call(_ t: CELSyntaxTree, _ target: CELSyntaxTree?, _ function: String, _ args: [CELSyntaxTree]) throws(Unanalysable) -> Int32 {
        if target == nil {
            switch (function, args.count) {
            case ("_&&_", 2), ("_||_", 2):
                let isAnd = function == "_&&_"
                return try d.apply2(try eval(args[0]), try eval(args[1])) { a, b throws(Unanalysable) -> Terminal in
                    let x = self.plain(a), y = self.plain(b)
                    return .of(isAnd ? Logic.and(x, y) : Logic.or(x, y))
                }
            case ("!_", 1):
                return try d.apply1(try eval(args[0])) { a throws(Unanalysable) -> Terminal in
                    guard case .value(let v) = a, case .bool(let b) = v.value else { return .error }
                    return .of(.bool(!b))
                }
            case ("_?_:_", 3):
                return try d.apply3(try eval(args[0]), try eval(args[1]), try eval(args[2])) {
                    c, x, y throws(Unanalysable) -> Terminal in
                    switch self.isTrue(c) {
                    case true?: return x
                    case false?: return y
                    case nil: return .error
                    }
                }
            case ("_==_", 2), ("_!=_", 2), ("_<_", 2), ("_<=_", 2), ("_>_", 2), ("_>=_", 2), ("@in", 2):
                let l = try eval(args[0]), r = try eval(args[1])
                return try d.apply2(l, r) { a, b throws(Unanalysable) -> Terminal in try self.compare(t, function, a, b) }
            case ("has", 1):
                guard let name = args[0].qualifiedName, let (r, rest) = analysis.resolve(name), rest.isEmpty else {
                    throw fail(t, "tests a field that is not declared")
                }
                switch r {
                case .leaf(let node), .object(let node):
                    guard let slot = policy.environment.slot(of: model.tree.nodes[node].path) else {
                        throw fail(t, "names an input this version does not declare")
                    }
                    return try hasField(node, slot: slot)
                case .constant: return try d.terminal(.of(.bool(true)))
                case .rule: throw fail(t, "tests a field of a rule")
                }
            case ("date", 1):
                return try d.apply1(try eval(args[0])) { a throws(Unanalysable) -> Terminal in
                    try self.shift(t, a, .toDate, text: "date(a0)", [])
                }
            default: break
            }
        } else if let target, args.count == 1, ["addMonths", "addDays", "addHours"].contains(function) {
            let base = try eval(target), k = try eval(args[0])
            return try d.apply2(base, k) { a, b throws(Unanalysable) -> Terminal in
                guard case .value(let kv) = b else { throw self.fail(t, "shifts by an input") }
                guard case .int(let n) = kv.value else { return self.concrete(function, true, [a, b]) }
                let op: ChainOp =
                    function == "addMonths" ? .addMonths(n) : function == "addDays" ? .addDays(n) : .addHours(n)
                return try self.shift(t, a, op, text: "a0.\(function)(a1)", [kv.value])
            }
        }
        if target != nil, ["all", "exists", "exists_one", "map", "filter"].contains(function) {
            throw fail(t, "uses the macro `\(function)`")
        }
        var operands: [Int32] = []
        if let target { operands.append(try eval(target)) }
        for a in args { operands.append(try eval(a)) }
        let hasTarget = target != nil
        switch operands.count {
        case 1:
            return try d.apply1(operands[0]) { a throws(Unanalysable) -> Terminal in
                try self.checkedConcrete(function, hasTarget, [a], t)
            }
        case 2:
            return try d.apply2(operands[0], operands[1]) { a, b throws(Unanalysable) -> Terminal in
                try self.checkedConcrete(function, hasTarget, [a, b], t)
            }
        case 3:
            return try d.apply3(operands[0], operands[1], operands[2]) { a, b, c throws(Unanalysable) -> Terminal in
                try self.checkedConcrete(function, hasTarget, [a, b, c], t)
            }
        default:
            throw fail(t, "calls `\(function)` with \(operands.count) operands")
        }
    }

    /// A terminal's value where a sym stands for its representative (only for
    /// operations whose result cannot depend on which member of the class it is).
    private func plain(_ t: Terminal) -> CELValue {
        switch t {
        case .value(let v): return v.value
        case .sym(let s): return s.rep.value
        case .mark: return StrictValue.errorValue
        }
    }

    private func concrete(_ function: String, _ hasTarget: Bool, _ ts: [Terminal]) -> Terminal {
        .of(ops.apply(function: function, hasTarget: hasTarget, ts.map(plain)))
    }

    private func checkedConcrete(_ function: String, _ hasTarget: Bool, _ ts: [Terminal], _ t: CELSyntaxTree) throws(Unanalysable) -> Terminal {
        for x in ts {
            if case .sym(let s) = x {
                throw fail(t, "applies `\(Printer.functionName(function))` to `\(model.tree.nodes[s.leaf].path)`")
            }
        }
        return concrete(function, hasTarget, ts)
    }

    /// `date(x)` and shifts: a sym gets one more step in its chain.
    private func shift(_ t: CELSyntaxTree, _ a: Terminal, _ op: ChainOp, text: String, _ extra: [CELValue]) throws(Unanalysable) -> Terminal {
        switch a {
        case .value(let v):
            return .of(ops.apply(text, [v.value] + extra))
        case .mark:
            return .error
        case .sym(let s):
            let isDate = model.tree.nodes[s.leaf].kind == .date
            let chain = appending(op, to: s.chain, leafIsDate: isDate)
            let rep = ops.apply(text, [s.rep.value] + extra)
            // The class must not straddle the shift's valid range.
            if let (lo, hi) = bounds(s), !isHours(chain) {
                let a = termValue(s.leaf, chain, lo), b = termValue(s.leaf, chain, hi)
                if a.isError != rep.isError || b.isError != rep.isError {
                    throw fail(t, "(internal) a class of `\(model.tree.nodes[s.leaf].path)` straddles a range limit")
                }
            }
            if rep.isError { return .error }
            return .sym(Sym(leaf: s.leaf, chain: chain, tuple: s.tuple, rep: StrictValue(rep)))
        }
    }

    private func isHours(_ chain: [ChainOp]) -> Bool {
        chain.contains { if case .addHours = $0 { true } else { false } }
    }

    /// The interval of positions a sym's class covers.
    private func bounds(_ s: Sym) -> (Int64, Int64)? {
        guard let (v, k) = model.place[s.leaf], case .component(let comp) = model.vars[v] else { return nil }
        let cls = comp.tuples[s.tuple][k]
        guard let lo = cls.lo, let hi = cls.hi else { return nil }
        return (lo, hi)
    }

    /// A term's value at a position of its field.
    private func termValue(_ leaf: Int, _ chain: [ChainOp], _ p: Int64) -> CELValue {
        let base: CELValue
        switch model.tree.nodes[leaf].kind {
        case .int: base = .int(p)
        case .date: base = CELDate(daysSinceEpoch: p).map(CELValue.date) ?? StrictValue.errorValue
        case .timestamp: base = Stamps.make(p, style: 0)
        default: return StrictValue.errorValue
        }
        return ops.apply(chain, to: base)
    }

    /// A comparison. On a sym, the representative decides for the whole class;
    /// a guard checks that the class does not straddle the other side (which
    /// the cuts of the partition exclude: a failure is reported, never hidden).
    private func compare(_ t: CELSyntaxTree, _ function: String, _ a: Terminal, _ b: Terminal) throws(Unanalysable) -> Terminal {
        switch (a, b) {
        case (.value(let x), .value(let y)):
            return .of(ops.apply(function: function, hasTarget: false, [x.value, y.value]))
        default: break
        }
        let result = ops.apply(function: function, hasTarget: false, [plain(a), plain(b)])
        if function == "@in" {
            guard case .sym(let s) = a, case .value(let list) = b else { throw fail(t, "tests membership in an input") }
            if case .list(let items) = list.value {
                for item in items { try guardConstant(t, s, item) }
            }
            return .of(result)
        }
        switch (a, b) {
        case (.sym(let s), .value(let y)), (.value(let y), .sym(let s)):
            try guardConstant(t, s, y.value)
        case (.sym(let s), .sym(let r)):
            if s.leaf == r.leaf {
                // Shifts of one field: the partition keeps their order fixed within a class.
                guard s.tuple == r.tuple else { throw fail(t, "(internal) compares two classes of one field") }
            } else {
                guard let (vs, ks) = model.place[s.leaf], let (vr, kr) = model.place[r.leaf], vs == vr else {
                    throw fail(t, "(internal) compares fields that were not partitioned together")
                }
                // The later field of the component was cut at the earlier one's values.
                if ks > kr { try guardConstant(t, s, r.rep.value) } else { try guardConstant(t, r, s.rep.value) }
            }
        default:
            return .error
        }
        return .of(result)
    }

    /// Checks that comparing a class with `c` gives one answer on the whole class.
    private func guardConstant(_ t: CELSyntaxTree, _ s: Sym, _ c: CELValue) throws(Unanalysable) {
        if case .null = c { return }
        if c.isError { return }
        let kind = model.tree.nodes[s.leaf].kind
        switch kind {
        case .string, .double:
            // Their classes are the constants compared with and what lies between.
            guard facts.constants.items.contains(where: { $0.term.leaf == s.leaf && $0.value == StrictValue(c) }) else {
                throw fail(t, "(internal) `\(model.tree.nodes[s.leaf].path)` is compared with an unexpected value")
            }
            return
        case .list:
            throw fail(t, "compares the list `\(model.tree.nodes[s.leaf].path)`")
        default: break
        }
        guard let (lo, hi) = bounds(s) else { return }
        let a = termValue(s.leaf, s.chain, lo), b = termValue(s.leaf, s.chain, hi)
        for f in ["_<_", "_==_", "_>_"] {
            let r = StrictValue(ops.apply(function: f, hasTarget: false, [s.rep.value, c]))
            guard StrictValue(ops.apply(function: f, hasTarget: false, [a, c])) == r,
                StrictValue(ops.apply(function: f, hasTarget: false, [b, c])) == r
            else {
                throw fail(t, "(internal) a class of `\(model.tree.nodes[s.leaf].path)` straddles \(c.celLiteral)")
            }
        }
    }
}
