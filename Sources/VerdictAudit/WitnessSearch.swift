import CEL
import VerdictJSON
import VerdictModel
import VerdictRuntime

/// Compares two policies decision by decision: two versions of one policy,
/// or two policies of one folder (domestic and export). For each decision it
/// either proves that both answer every ticket alike, or finds concrete
/// tickets on which they differ (witnesses), or says what it could not cover.
///
/// ## The method
///
/// 1. **Pre-pass.** Each rule the decision depends on (its closure, in each
///    version) is walked to find the values every expression can take
///    (constants, and *terms*: an input possibly shifted, such as
///    `unit.installed_on.addMonths(3)` or `date(opened_at)`) and every
///    comparison of a term with a constant or with another term. An
///    expression outside the analysable fragment (string functions, `matches`,
///    arithmetic or `size` on inputs, comprehensions, raw timestamp
///    comparisons…) is recorded as a reason.
/// 2. **Classes.** Each field the decision reads is split into classes by the
///    constants it is compared with in either version (`Partitioner`): every
///    enum value, both booleans, intervals of whole numbers and dates with each
///    constant on its own (`< c`, `c`, `> c`, and version bounds), text equal to
///    each constant or to none, and the field left out (and, where it differs
///    from leaving it out, a wrong value). Fields compared with each other
///    (`date(opened_at) < unit.installed_on.addMonths(k)`) get joint classes:
///    the ticket date just before, on and after each threshold, for
///    installation dates that include the 31st of a month and 29 February.
///    Object inputs are present, left out, or (where it matters) not objects.
/// 3. **Diagrams.** Each version's decision is evaluated symbolically into a
///    multi-valued decision diagram over those classes (`SymbolicEvaluator`):
///    CEL's own operators run on the terminals, fields are bound per class by
///    the version's own input binding (defaults, bounds, optional objects), so
///    errors, `&&`/`||` absorption, table hit policies and item lists behave
///    exactly as in the evaluator. A comparison on a class that holds many
///    values is decided by the class's representative; the classes were cut at
///    every constant of that comparison, and a guard re-checks both ends of the
///    class, so the answer holds for every member.
/// 4. **Comparison.** The two diagrams are combined into one whose terminals
///    say *same*, *different* or *cannot tell* (two input-dependent values that
///    are not the same term). No *different* and no *cannot tell*: the versions
///    are equivalent on all classes, and since every ticket falls in a class
///    whose members all answer alike, on every ticket: a proof, computed
///    without enumerating the product of classes. A *different* path gives a
///    witness; witnesses are chosen cheapest first (valid values before fields
///    left out) and as unlike each other as possible, and each is **verified**
///    by evaluating both compiled policies on it (an unverified one is never
///    reported).
/// 5. **Sampling.** Outside the fragment, the same classes (with constants of
///    the unanalysable expressions added, both ends of each interval, and
///    timestamps near midnight in offsets of both signs) are sampled, every
///    class combination when there are at most `Limits.maxSamples`, else
///    each class alone and in pairs, then a deterministic spread; differences
///    found are witnesses, and the verdict is `.unproven` with the reasons.
///
/// ## Limits
///
/// - Dates are whole days from 0001-01-01 to 9999-12-31; a shift's range
///   errors near either end are classes of their own. `t.addHours(k)` values
///   are compared as terms (same `k`: same value); their range errors at the
///   last hours of 9999 are not split by time of day.
/// - Two fields compared with each other must have one side unshifted
///   (`d < i.addMonths(k)`, not `d.addDays(1) < i.addMonths(k)`); the
///   unshifted one may not also be compared with itself shifted; at most two
///   fields may be linked by such comparisons (three or more are sampled).
/// - A decision whose value is an input's own value compared against a
///   different term with the same representative is reported as unproven.
///
/// ## Tickets
///
/// Witness tickets hold every field the decision reads (in the class that
/// shows the difference) and a plain valid value for every other field some
/// version requires (optional and defaulted fields are left out). They never
/// hold the `applies_to` selector keys (`market`, `product`): each side is
/// evaluated with its own selector values (the first value its `applies_to`
/// accepts) filled in, and the caller fills them per side when it prints or
/// replays a witness. Their `id` is `witness-<decision>-<n>`.
public struct WitnessSearch: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Witnesses per differing decision.
        public var maxWitnesses: Int
        /// Tickets evaluated for a decision outside the fragment.
        public var maxSamples: Int
        /// Nodes of a decision's diagram before the proof gives up.
        public var maxDiagramNodes: Int

        public init(maxWitnesses: Int = 3, maxSamples: Int = 100_000, maxDiagramNodes: Int = 2_000_000) {
            self.maxWitnesses = maxWitnesses
            self.maxSamples = maxSamples
            self.maxDiagramNodes = maxDiagramNodes
        }
    }

    public let old: CompiledPolicy
    public let oldSnapshot: PolicySnapshot
    public let new: CompiledPolicy
    public let newSnapshot: PolicySnapshot
    public let limits: Limits

    /// `old` and `new` are two policies to compare: two versions of one policy, or two markets' policies.
    public init(
        old: CompiledPolicy, oldSnapshot: PolicySnapshot, new: CompiledPolicy, newSnapshot: PolicySnapshot,
        limits: Limits = .init()
    ) {
        self.old = old
        self.oldSnapshot = oldSnapshot
        self.new = new
        self.newSnapshot = newSnapshot
        self.limits = limits
    }

    /// The decisions both policies have, in `new`'s order, or only those named
    /// (in `new`'s order; names that are not decisions of both are skipped).
    public var decisionNames: [String] { new.decisionNames.filter { old.decisionByName[$0] != nil } }

    /// A witness ticket as one side reads it: with that side's `applies_to`
    /// selector values filled in (`market`, `product`), ready for `eval`.
    public func ticket(_ witness: Witness, newSide: Bool) -> JSONObject {
        Selectors(old: old, new: new).applied(to: witness.ticket, side: newSide ? 1 : 0)
    }

    /// For each decision both policies have (in `new`'s order), or only those named.
    public func run(decisions: [String]? = nil) -> [DecisionComparison] {
        let session = Session(self)
        let names = decisionNames.filter { decisions?.contains($0) ?? true }
        return names.map { session.compare($0) }
    }
}

/// What the search found for one decision.
public struct DecisionComparison: Sendable {
    public var name: String
    public var verdict: Verdict
    /// Tickets on which the two policies answer this decision differently,
    /// each verified by evaluating both. Non-empty whenever `verdict` is
    /// `.different`; possibly non-empty for `.unproven` (the versions differ
    /// for sure, but not every class could be covered).
    public var witnesses: [Witness]
}

public enum Verdict: Sendable, Equatable {
    /// A proof: both policies answer alike on all `classes` classes, hence on every ticket.
    case equivalent(classes: Int)
    /// Both policies were analysed on all `classes` classes; they answer
    /// differently on `differing` of them.
    case different(differing: Int, classes: Int)
    /// Outside the analysable fragment: why, and how many tickets were tried.
    case unproven(reasons: [String], classesTried: Int)

    /// True when every class was analysed: the verdict is a proof, not a sample.
    public var isProven: Bool {
        if case .unproven = self { return false }
        return true
    }

    /// One line for a report: `equivalent on all 63 classes`, `differs on 12
    /// of 96 classes`, or what could not be covered and why.
    public var summary: String {
        switch self {
        case .equivalent(let n): return "equivalent on all \(n) classes"
        case .different(let d, let n): return "differs on \(d) of \(n) classes"
        case .unproven(let reasons, let tried):
            return "not proven (\(tried) tickets tried): " + reasons.joined(separator: "; ")
        }
    }
}

/// A ticket on which the two policies answer a decision differently.
public struct Witness: Sendable {
    /// Every input the decision needs; no `applies_to` selector keys.
    public var ticket: JSONObject
    public var old: DecisionOutcome
    public var new: DecisionOutcome
}

// MARK: - One run

final class Session {
    let search: WitnessSearch
    let policies: [CompiledPolicy]
    let tree: InputTree
    let selectors: Selectors
    let ops = ConcreteOps()
    let analyses: [TermAnalysis]
    private let activations: [TicketActivation]

    init(_ search: WitnessSearch) {
        self.search = search
        policies = [search.old, search.new]
        tree = InputTree(old: search.oldSnapshot.inputs, new: search.newSnapshot.inputs)
        selectors = Selectors(old: search.old, new: search.new)
        var analyses: [TermAnalysis] = []
        for side in 0..<2 {
            var fixed: [String: CELValue] = [:]
            for v in selectors.values { fixed[v.path] = .string(v.sides[side]) }
            analyses.append(TermAnalysis(policy: policies[side], tree: tree, fixed: fixed, ops: ops))
        }
        self.analyses = analyses
        activations = policies.map { TicketActivation(policy: $0) }
    }

    var limits: WitnessSearch.Limits { search.limits }

    func compare(_ name: String) -> DecisionComparison {
        guard let ro = policies[0].decisionByName[name], let rn = policies[1].decisionByName[name] else {
            return DecisionComparison(
                name: name, verdict: .unproven(reasons: ["`\(name)` is not a decision of both policies"], classesTried: 0),
                witnesses: [])
        }
        let rules = [ro, rn]
        var facts = Facts()
        for side in 0..<2 { facts.merge(analyses[side].facts(closureOf: rules[side])) }
        let (leaves, objects) = relevant(rules)
        var reasons = facts.reasons
        if reasons.isEmpty {
            var partitioner = Partitioner(tree: tree, facts: facts, sampling: false, isBare: analyses[1].isBare)
            let components = partitioner.components(leaves: leaves)
            reasons.formUnion(partitioner.reasons)
            if reasons.isEmpty {
                let model = Model(
                    tree: tree, selectors: selectors, objects: objects, components: components, hasTargets: facts.hasTargets)
                do {
                    switch try prove(name, rules, model, facts) {
                    case .done(let c): return c
                    case .unresolved(let why): reasons.insert(why)
                    }
                } catch {
                    reasons.insert(error.reason)
                }
            }
        }
        return sample(name, rules, facts, leaves, objects, reasons.items)
    }

    /// The fields and objects a decision reads in either version (selectors excluded).
    func relevant(_ rules: [Int]) -> (leaves: [Int], objects: [Int]) {
        var leaves = Set<Int>()
        var objects = Set<Int>()
        for side in 0..<2 {
            let p = policies[side]
            for r in [rules[side]] + p.graph.ruleClosure(of: rules[side]).sorted() where r < p.graph.inputs.count {
                for slot in p.graph.inputs[r] where slot < p.slotNames.count {
                    let path = p.slotNames[slot]
                    guard !selectors.paths.contains(path), let node = tree.byPath[path] else { continue }
                    if tree.nodes[node].kind == .object { objects.insert(node) } else { leaves.insert(node) }
                    for a in tree.ancestors(node) { objects.insert(a) }
                }
            }
        }
        return (leaves.sorted(), objects.sorted())
    }

    // MARK: - Proof

    enum ProofResult {
        case done(DecisionComparison)
        case unresolved(String)
    }

    private func prove(_ name: String, _ rules: [Int], _ model: Model, _ facts: Facts) throws(Unanalysable) -> ProofResult {
        let d = Diagram(sizes: model.sizes, maxNodes: limits.maxDiagramNodes)
        let evaluators = (0..<2).map {
            SymbolicEvaluator(
                diagram: d, model: model, side: $0, policy: policies[$0], analysis: analyses[$0], facts: facts, ops: ops)
        }
        let a = try evaluators[0].rule(rules[0])
        let b = try evaluators[1].rule(rules[1])
        var cannotTell: String?
        var members: [Model.Member: CELValue] = [:]
        let diff = try d.apply2(a, b) { x, y throws(Unanalysable) -> Terminal in
            var m = Self.mark(x, y)
            if m == 2, let found = self.member(x, y, model) {
                m = 1
                members[found.member] = found.value
            }
            if m == 2, cannotTell == nil { cannotTell = self.describeUnresolved(x, y) }
            return .mark(m)
        }
        let total = model.classCount
        let differing = d.count(diff) { $0 == .mark(1) }
        if differing == 0 {
            if let why = cannotTell { return .unresolved(why) }
            return .done(DecisionComparison(name: name, verdict: .equivalent(classes: total), witnesses: []))
        }
        let witnesses = pickFromDiagram(name, rules, model, d, diff, a, b, members)
        if witnesses.isEmpty {
            return .unresolved("(internal) no difference the diagram found could be verified")
        }
        return .done(
            DecisionComparison(name: name, verdict: .different(differing: differing, classes: total), witnesses: witnesses))
    }

    /// 0: the same answer on the whole class; 1: different; 2: cannot tell.
    static func mark(_ x: Terminal, _ y: Terminal) -> Int {
        switch (x, y) {
        case (.value(let a), .value(let b)):
            if a.isError || b.isError { return a.isError == b.isError ? 0 : 1 }
            return a.value == b.value ? 0 : 1
        case (.sym(let s), .sym(let t)):
            if s == t { return 0 }
            return s.rep.value == t.rep.value ? 2 : 1
        case (.sym(let s), .value(let v)), (.value(let v), .sym(let s)):
            if v.isError { return 1 }
            return s.rep.value == v.value ? 2 : 1
        default:
            return 2
        }
    }

    /// Two input-dependent values whose representatives agree: another member
    /// of the class (near the representative) on which they differ, if any.
    private func member(_ x: Terminal, _ y: Terminal, _ model: Model) -> (member: Model.Member, value: CELValue)? {
        let s: Sym
        let other: Terminal
        switch (x, y) {
        case (.sym(let a), _):
            s = a
            other = y
        case (_, .sym(let b)):
            s = b
            other = x
        default: return nil
        }
        if case .sym(let t) = other, t.leaf != s.leaf || t.tuple != s.tuple { return nil }
        guard let (v, k) = model.place[s.leaf], case .component(let comp) = model.vars[v],
            let lo = comp.tuples[s.tuple][k].lo, let hi = comp.tuples[s.tuple][k].hi,
            case .value(let base) = comp.tuples[s.tuple][k].state
        else { return nil }
        let kind = tree.nodes[s.leaf].kind
        guard kind.isOrdered, let start = position(base, kind) else { return nil }
        func at(_ p: Int64, _ chain: [ChainOp]) -> (ticket: CELValue, value: CELValue) {
            let ticket: CELValue
            switch kind {
            case .int: ticket = .int(p)
            case .date: ticket = CELDate(daysSinceEpoch: p).map(CELValue.date) ?? StrictValue.errorValue
            default: ticket = Stamps.make(p, style: 0)
            }
            return (ticket, ops.apply(chain, to: ticket))
        }
        for step in 1...3000 {
            let delta = Int64((step + 1) / 2) * (step % 2 == 1 ? 1 : -1)
            guard let p = Partitioner.plus(start, delta), p >= lo, p <= hi else { continue }
            let (ticket, mine) = at(p, s.chain)
            let theirs: CELValue
            switch other {
            case .sym(let t): theirs = at(p, t.chain).value
            case .value(let v): theirs = v.value
            case .mark: return nil
            }
            if mine.isError != theirs.isError || (!mine.isError && mine != theirs) {
                return (Model.Member(v: v, tuple: s.tuple, leaf: s.leaf), ticket)
            }
        }
        return nil
    }

    private func position(_ v: CELValue, _ kind: LeafKind) -> Int64? {
        switch v {
        case .int(let i): return i
        case .date(let d): return d.daysSinceEpoch
        case .timestamp(let t): return t.date.daysSinceEpoch
        default: return nil
        }
    }

    private func describeUnresolved(_ x: Terminal, _ y: Terminal) -> String {
        func text(_ t: Terminal) -> String {
            switch t {
            case .sym(let s):
                var p = tree.nodes[s.leaf].path
                for op in s.chain { p = op == .toDate ? "date(\(p))" : p + op.text }
                return "`\(p)`"
            case .value(let v): return v.isError ? "undetermined" : "`\(v.value.celLiteral)`"
            case .mark: return "?"
            }
        }
        return "cannot tell \(text(x)) from \(text(y)) on every ticket of a class"
    }

    private func terminalKind(_ t: Terminal) -> String {
        switch t {
        case .value(let v): return v.description
        case .sym: return "input"
        case .mark(let m): return "mark\(m)"
        }
    }

    private func pickFromDiagram(
        _ name: String, _ rules: [Int], _ model: Model, _ d: Diagram, _ diff: Int32, _ a: Int32, _ b: Int32,
        _ members: [Model.Member: CELValue]
    ) -> [Witness] {
        let isDiffer: (Terminal) -> Bool = { $0 == .mark(1) }
        var candidates: [Candidate] = []
        var ways: Set<[Int]> = []
        func add(_ p: [Int]?) {
            guard let p else { return }
            // The way it differs: the classes of the fields whose change could
            // remove the difference; the others do not matter to it.
            var involved: [Int] = []
            var way: [Int] = []
            for v in p.indices {
                var q = p
                let matters = (0..<model.sizes[v]).contains { c in
                    q[v] = c
                    return d.evaluate(diff, q) != .mark(1)
                }
                way.append(matters ? p[v] : -1)
                if matters { involved.append(v) }
            }
            guard ways.insert(way).inserted else { return }
            candidates.append(
                Candidate(
                    assignment: p, cost: p.enumerated().reduce(0) { $0 + model.cost($1.offset, $1.element) },
                    kind: terminalKind(d.evaluate(a, p)) + "→" + terminalKind(d.evaluate(b, p)), order: candidates.count,
                    free: Set(p.indices).subtracting(involved)))
        }
        add(d.cheapest(diff, target: isDiffer, cost: model.cost))
        // One more candidate per class of each variable: the cheapest path through
        // it (bounded work on very large diagrams: the first variables only).
        let budget = 40_000_000
        var work = 0
        for v in model.sizes.indices {
            for c in 0..<model.sizes[v] where work < budget {
                work += d.nodeCount + 1
                add(d.cheapest(diff, target: isDiffer, cost: model.cost, forced: (v, c)))
            }
        }
        // Fields the difference does not depend on show their plain value
        // when their class holds it (any member of a class answers alike); if
        // that ever changed an answer, the representatives are used instead.
        return choose(candidates, name: name, rules: rules) { c, id, attempt in
            model.ticket(c.assignment, id: id, plain: attempt == 0 ? c.free : [], members: members)
        }
    }

    struct Candidate {
        var assignment: [Int]
        var cost: Int
        var kind: String
        var order: Int
        /// Variables the difference does not depend on.
        var free: Set<Int> = []
    }

    /// Up to `maxWitnesses` verified witnesses: the cheapest first (valid
    /// values before fields left out or wrong), then new kinds of difference,
    /// then the most unlike the ones chosen.
    private func choose(
        _ candidates: [Candidate], name: String, rules: [Int], ticket: (Candidate, String, Int) -> JSONObject
    ) -> [Witness] {
        var remaining = candidates
        var chosen: [Candidate] = []
        var out: [Witness] = []
        var kinds: Set<String> = []
        var tickets: Set<[UInt8]> = []
        while out.count < limits.maxWitnesses, !remaining.isEmpty {
            var bestIndex = 0
            var bestKey: (Int, Int, Int, Int) = (Int.min, Int.min, Int.min, Int.min)
            for (i, c) in remaining.enumerated() {
                let distance = chosen.map { o in zip(o.assignment, c.assignment).filter { $0 != $1 }.count }.min() ?? 0
                let key = (-c.cost, kinds.contains(c.kind) ? 0 : 1, distance, -c.order)
                if key > bestKey {
                    bestKey = key
                    bestIndex = i
                }
            }
            let c = remaining.remove(at: bestIndex)
            let id = "witness-\(name)-\(out.count + 1)"
            for attempt in 0..<2 {
                let t = ticket(c, id, attempt)
                let o = outcome(0, t, rules[0]), n = outcome(1, t, rules[1])
                guard Self.differ(o, n) else { continue }
                // Two classes can make the same ticket (fields of an absent object).
                guard tickets.insert(Array(TicketJSON.text(t).utf8)).inserted else { break }
                chosen.append(c)
                kinds.insert(c.kind)
                out.append(Witness(ticket: t, old: o, new: n))
                break
            }
        }
        return out
    }

    func outcome(_ side: Int, _ ticket: JSONObject, _ rule: Int) -> DecisionOutcome {
        let a = activations[side]
        a.reset(ticket: selectors.applied(to: ticket, side: side))
        switch a.ruleValue(rule) {
        case .error(let e): return .undetermined(e.message)
        case let v: return .value(v)
        }
    }

    static func differ(_ x: DecisionOutcome, _ y: DecisionOutcome) -> Bool {
        switch (x, y) {
        case (.undetermined, .undetermined): return false
        case (.value(let a), .value(let b)): return a != b
        default: return true
        }
    }

    // MARK: - Sampling

    private func sample(
        _ name: String, _ rules: [Int], _ facts: Facts, _ leaves: [Int], _ objects: [Int], _ reasons: [String]
    ) -> DecisionComparison {
        var partitioner = Partitioner(tree: tree, facts: facts, sampling: true, isBare: analyses[1].isBare)
        let components = partitioner.components(leaves: leaves)
        let model = Model(
            tree: tree, selectors: selectors, objects: objects, components: components, hasTargets: facts.hasTargets)
        var tried = 0
        var found: [Candidate] = []
        for assignment in Self.samples(model.sizes, cost: model.cost, budget: limits.maxSamples) {
            tried += 1
            let t = model.ticket(assignment, id: nil)
            let o = outcome(0, t, rules[0]), n = outcome(1, t, rules[1])
            guard Self.differ(o, n) else { continue }
            if found.count < 1000 {
                found.append(
                    Candidate(
                        assignment: assignment,
                        cost: assignment.enumerated().reduce(0) { $0 + model.cost($1.offset, $1.element) },
                        kind: Self.kind(o) + "→" + Self.kind(n), order: found.count))
            }
        }
        let witnesses = choose(found, name: name, rules: rules) { c, id, _ in model.ticket(c.assignment, id: id) }
        return DecisionComparison(name: name, verdict: .unproven(reasons: reasons, classesTried: tried), witnesses: witnesses)
    }

    static func kind(_ o: DecisionOutcome) -> String {
        switch o {
        case .undetermined: return "undetermined"
        case .value(let v): return StrictValue(v).description
        }
    }

    /// Class combinations to try, deterministic: all of them when few enough;
    /// else the cheapest one, each class alone, pairs of classes, then a spread.
    static func samples(_ sizes: [Int], cost: (Int, Int) -> Int, budget: Int) -> [[Int]] {
        let total = sizes.reduce(1) { Count.mul($0, $1) }
        guard budget > 0 else { return [] }
        if total <= budget {
            var out: [[Int]] = []
            out.reserveCapacity(total)
            var a = [Int](repeating: 0, count: sizes.count)
            if sizes.contains(0) { return [] }
            while true {
                out.append(a)
                var v = sizes.count - 1
                while v >= 0 {
                    a[v] += 1
                    if a[v] < sizes[v] { break }
                    a[v] = 0
                    v -= 1
                }
                if v < 0 { break }
            }
            return out
        }
        var out: [[Int]] = []
        var seen: Set<[Int]> = []
        func add(_ a: [Int]) -> Bool {
            if seen.insert(a).inserted { out.append(a) }
            return out.count < budget
        }
        let base = sizes.indices.map { v in (0..<sizes[v]).min { (cost(v, $0), $0) < (cost(v, $1), $1) } ?? 0 }
        guard add(base) else { return out }
        for v in sizes.indices {
            for c in 0..<sizes[v] {
                var a = base
                a[v] = c
                guard add(a) else { return out }
            }
        }
        for v in sizes.indices {
            for w in sizes.indices where w > v {
                for c in 0..<sizes[v] {
                    for e in 0..<sizes[w] {
                        var a = base
                        a[v] = c
                        a[w] = e
                        guard add(a) else { return out }
                    }
                }
            }
        }
        var i: UInt64 = 0
        var misses = 0
        while out.count < budget, misses < budget {
            var a = base
            for v in sizes.indices {
                a[v] = Int(splitmix(i &* 1_000_003 &+ UInt64(v)) % UInt64(sizes[v]))
            }
            i &+= 1
            if seen.insert(a).inserted { out.append(a) } else { misses += 1 }
        }
        return out
    }

    static func splitmix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
