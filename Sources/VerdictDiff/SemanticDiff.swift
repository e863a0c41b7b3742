import CEL
import VerdictCompiler
import VerdictModel
import VerdictRuntime

/// One policy on one side of a diff: what it means, where it was written,
/// and its compiled form (for canonical expressions and the rule graph).
public struct PolicySide: Sendable {
    public var snapshot: PolicySnapshot
    public var sourceMap: PolicySourceMap
    public var compiled: CompiledPolicy

    public init(_ set: PolicySet, _ index: Int) {
        snapshot = set.snapshots[index]
        sourceMap = set.sourceMaps[index]
        compiled = set.policies[index]
    }

    public var identity: PolicyIdentity { compiled.identity }
}

/// One semantic change between two versions of a policy.
public struct Change: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case added, removed, changed
    }

    public var kind: Kind
    /// What changed, in words: `parameter `warranty_months``, `row 2 of `maintenance_visits_per_year``.
    public var subject: String
    /// Which aspect of it changed (`value`, `expression`, `label`, `enum values`…), nil when added or removed.
    public var aspect: String?
    /// The old and new values, rendered for people (a canonical expression, a CEL literal…).
    public var old: String?
    public var new: String?
    /// The guideline clauses of what changed (the new side's, else the old side's).
    public var clause: Clause
    public var oldAt: SourceRef?
    public var newAt: SourceRef?
    /// The decisions whose answers it can change (through the rule graph).
    public var affects: [String]
    /// True when it can change explanations only (labels, clauses, amounts), not answers.
    public var explanationOnly: Bool
    /// What a ticket's evaluation must show for this change to explain a
    /// changed answer on it (any one of them, on either side).
    public var evidence: [Evidence]
    /// Said instead of what it can change, where that is more telling.
    public var note: String?
}

/// Something a traced evaluation can show: the link between a change and a ticket.
public enum Evidence: Sendable, Hashable {
    case ruleEvaluated(String)
    case parameterRead(String)
    /// The input, its object or one of its fields was read.
    case inputRead(String)
    /// The item with this id of the rule held.
    case itemHeld(rule: String, id: String)
    /// The row (-1: the default) decided the table, on the old or the new side.
    case rowSelected(rule: String, old: Int?, new: Int?)
}

/// What changed between two policies: the snapshots compared element by
/// element (so layout, key order, comments and file placement never show),
/// each change with its place on both sides and the decisions it can affect.
public struct PolicyDiff: Sendable {
    public var name: String
    public var old: PolicySide?
    public var new: PolicySide?
    public var changes: [Change]

    public var isUnchanged: Bool { changes.isEmpty }

    /// Compares two sides; either may be missing (a policy added or removed).
    /// `acrossPolicies` compares two different policies (two markets), whose
    /// `applies_to` differ by design.
    public init(old: PolicySide?, new: PolicySide?, acrossPolicies: Bool = false) {
        self.name = new?.snapshot.name ?? old?.snapshot.name ?? ""
        self.old = old
        self.new = new
        var d = Differ(old: old, new: new, acrossPolicies: acrossPolicies)
        if let old, let new {
            d.compare(old, new)
        } else if let side = new ?? old {
            let kind: Change.Kind = new == nil ? .removed : .added
            let label = side.identity.version.map { "version \($0) of policy `\(side.snapshot.name)`" }
                ?? "policy `\(side.snapshot.name)`"
            d.add(
                kind, label, element: .policy, clause: [],
                detail: side.snapshot.effectiveFrom.map { "in force from \($0)" },
                affects: side.compiled.decisionNames, rules: side.compiled.rules.map(\.name))
        }
        self.changes = d.changes
    }
}

/// Walks two snapshots and collects changes.
struct Differ {
    let old: PolicySide?
    let new: PolicySide?
    let acrossPolicies: Bool
    var changes: [Change] = []

    mutating func add(
        _ kind: Change.Kind, _ subject: String, aspect: String? = nil, element: PolicyElement?, oldElement: PolicyElement? = nil,
        old oldValue: String? = nil, new newValue: String? = nil, clause: Clause, detail: String? = nil,
        affects: [String], explanationOnly: Bool = false, rules: [String], evidence: [Evidence]? = nil,
        note: String? = nil
    ) {
        changes.append(
            Change(
                kind: kind, subject: subject, aspect: aspect, old: oldValue ?? (kind == .removed ? detail : nil),
                new: newValue ?? (kind == .added ? detail : nil), clause: clause,
                oldAt: kind == .added ? nil : (oldElement ?? element).flatMap { old?.sourceMap[$0] },
                newAt: kind == .removed ? nil : element.flatMap { new?.sourceMap[$0] },
                affects: affects, explanationOnly: explanationOnly,
                evidence: evidence ?? rules.map(Evidence.ruleEvaluated), note: note))
    }

    mutating func compare(_ o: PolicySide, _ n: PolicySide) {
        let os = o.snapshot
        let ns = n.snapshot
        let everything = n.compiled.decisionNames
        let allRules = n.compiled.rules.map(\.name)
        if os.version != ns.version {
            add(.changed, "version", element: .version, old: show(os.version), new: show(ns.version), clause: [],
                affects: [], explanationOnly: true, rules: [], note: "every answer line names the version")
        }
        if os.effectiveFrom != ns.effectiveFrom || os.datedBy != ns.datedBy {
            add(
                .changed, "the days it is in force", element: .effectiveFrom,
                old: dating(os), new: dating(ns), clause: [], affects: everything, rules: allRules)
        }
        if os.title != ns.title {
            add(.changed, "title", element: .title, old: show(os.title), new: show(ns.title), clause: [], affects: [],
                explanationOnly: true, rules: [])
        }
        compareAppliesTo(os, ns, everything, allRules)
        compareInputs(flatten(os.inputs), flatten(ns.inputs))
        compareParameters(os, ns)
        compareRules(o, n)
        compareCatalogs(os, ns)
        if os.rules.filter(\.decision).map(\.name) != ns.rules.filter(\.decision).map(\.name),
            Set(os.rules.filter(\.decision).map(\.name)) == Set(ns.rules.filter(\.decision).map(\.name))
        {
            add(
                .changed, "the order of decisions", element: nil,
                old: os.rules.filter(\.decision).map(\.name).joined(separator: ", "),
                new: ns.rules.filter(\.decision).map(\.name).joined(separator: ", "), clause: [], affects: [],
                explanationOnly: true, rules: [])
        }
    }

    // MARK: applies_to

    mutating func compareAppliesTo(_ os: PolicySnapshot, _ ns: PolicySnapshot, _ everything: [String], _ rules: [String]) {
        let o = Dictionary(os.appliesTo.map { ($0.key, $0.values) }) { a, _ in a }
        let n = Dictionary(ns.appliesTo.map { ($0.key, $0.values) }) { a, _ in a }
        for key in Set(o.keys).union(n.keys).sorted() where o[key] != n[key] {
            let kind: Change.Kind = o[key] == nil ? .added : (n[key] == nil ? .removed : .changed)
            add(
                kind, "`applies_to.\(key)`", aspect: kind == .changed ? "values" : nil, element: .selector(key),
                old: o[key].map(list), new: n[key].map(list), clause: [], affects: acrossPolicies ? [] : everything,
                rules: rules, note: acrossPolicies ? "the two policies answer different tickets" : nil)
        }
    }

    // MARK: inputs

    func flatten(_ inputs: [InputSnapshot]) -> [(path: String, input: InputSnapshot)] {
        inputs.flatMap { i in [(i.path, i)] + (i.fields.map(flatten) ?? []) }
    }

    mutating func compareInputs(_ o: [(path: String, input: InputSnapshot)], _ n: [(path: String, input: InputSnapshot)]) {
        let oldBy = Dictionary(o.map { ($0.path, $0.input) }) { a, _ in a }
        let newBy = Dictionary(n.map { ($0.path, $0.input) }) { a, _ in a }
        for (path, ni) in n where oldBy[path] == nil {
            add(.added, "input `\(path)`", element: .input(path), clause: [], detail: ni.type.name,
                affects: readers(ofInput: path), rules: [], evidence: [.inputRead(path)])
        }
        for (path, oi) in o where newBy[path] == nil {
            add(.removed, "input `\(path)`", element: .input(path), clause: [], detail: oi.type.name,
                affects: readers(ofInput: path, side: old), rules: [], evidence: [.inputRead(path)])
        }
        for (path, ni) in n {
            guard let oi = oldBy[path] else { continue }
            let subject = "input `\(path)`"
            let affects = readers(ofInput: path)
            let rules: [String] = []
            let read: [Evidence] = [.inputRead(path)]
            switch (oi.type, ni.type) {
            case (.enumeration(let a), .enumeration(let b)) where a != b:
                let added = b.filter { !a.contains($0) }
                let removed = a.filter { !b.contains($0) }
                var parts: [String] = []
                if !added.isEmpty { parts.append("added " + list(added)) }
                if !removed.isEmpty { parts.append("removed " + list(removed)) }
                if parts.isEmpty { parts.append("reordered") }
                add(.changed, subject, aspect: "enum values", element: .input(path), old: list(a), new: list(b) + " (" + parts.joined(separator: ", ") + ")",
                    clause: [], affects: affects, rules: rules, evidence: read)
            case (.object, .object):
                break
            default:
                if oi.type != ni.type {
                    add(.changed, subject, aspect: "type", element: .input(path), old: oi.type.name, new: ni.type.name,
                        clause: [], affects: affects, rules: rules, evidence: read)
                }
            }
            if oi.optional != ni.optional {
                add(.changed, subject, aspect: "optional", element: .input(path), old: "\(oi.optional)", new: "\(ni.optional)",
                    clause: [], affects: affects, rules: rules, evidence: read)
            }
            if oi.defaultValue != ni.defaultValue {
                add(.changed, subject, aspect: "default", element: .inputDefault(path), old: show(oi.defaultValue),
                    new: show(ni.defaultValue), clause: [], affects: affects, rules: rules, evidence: read)
            }
            if oi.min != ni.min || oi.max != ni.max {
                add(.changed, subject, aspect: "bounds", element: .input(path), old: bounds(oi.min, oi.max),
                    new: bounds(ni.min, ni.max), clause: [], affects: affects, rules: rules, evidence: read)
            }
            if oi.maxItems != ni.maxItems {
                add(.changed, subject, aspect: "max_items", element: .input(path), old: oi.maxItems.map { "\($0)" } ?? "none",
                    new: ni.maxItems.map { "\($0)" } ?? "none", clause: [], affects: affects, rules: rules, evidence: read)
            }
            if oi.label != ni.label {
                add(.changed, subject, aspect: "label", element: .input(path), old: show(oi.label), new: show(ni.label),
                    clause: [], affects: [], explanationOnly: true, rules: [])
            }
        }
    }

    // MARK: parameters

    mutating func compareParameters(_ os: PolicySnapshot, _ ns: PolicySnapshot) {
        for p in ns.parameters where os.parameter(named: p.name) == nil {
            add(.added, "parameter `\(p.name)`", element: .parameterValue(p.name), clause: p.clause,
                detail: p.value.celLiteral, affects: readers(ofParameter: p.name), rules: [],
                evidence: [.parameterRead(p.name)])
        }
        for p in os.parameters where ns.parameter(named: p.name) == nil {
            add(.removed, "parameter `\(p.name)`", element: .parameterValue(p.name), clause: p.clause,
                detail: p.value.celLiteral, affects: readers(ofParameter: p.name, side: old), rules: [],
                evidence: [.parameterRead(p.name)])
        }
        for np in ns.parameters {
            guard let op = os.parameter(named: np.name) else { continue }
            let subject = "parameter `\(np.name)`"
            let affects = readers(ofParameter: np.name)
            if op.value != np.value || op.type != np.type {
                add(.changed, subject, aspect: "value", element: .parameterValue(np.name), old: op.value.celLiteral,
                    new: np.value.celLiteral, clause: np.clause, affects: affects, rules: [],
                    evidence: [.parameterRead(np.name)])
            }
            if op.min != np.min || op.max != np.max {
                add(.changed, subject, aspect: "bounds", element: .parameter(np.name), old: bounds(op.min, op.max),
                    new: bounds(np.min, np.max), clause: np.clause, affects: [], explanationOnly: true, rules: [])
            }
            if op.clause != np.clause {
                add(.changed, subject, aspect: "clause", element: .parameter(np.name), old: list(op.clause),
                    new: list(np.clause), clause: np.clause, affects: [], explanationOnly: true, rules: [])
            }
            if op.label != np.label {
                add(.changed, subject, aspect: "label", element: .parameter(np.name), old: show(op.label),
                    new: show(np.label), clause: np.clause, affects: [], explanationOnly: true, rules: [])
            }
        }
    }

    // MARK: rules

    mutating func compareRules(_ o: PolicySide, _ n: PolicySide) {
        let os = o.snapshot
        let ns = n.snapshot
        for r in ns.rules where os.rule(named: r.name) == nil {
            add(.added, (r.decision ? "decision" : "rule") + " `\(r.name)`", element: .rule(r.name), clause: r.clause,
                detail: bodySummary(r, n), affects: dependents(of: [r.name]), rules: [r.name])
        }
        for r in os.rules where ns.rule(named: r.name) == nil {
            add(.removed, (r.decision ? "decision" : "rule") + " `\(r.name)`", element: .rule(r.name), clause: r.clause,
                detail: bodySummary(r, o), affects: dependents(of: [r.name], side: old) + (r.decision ? [r.name] : []),
                rules: [r.name])
        }
        for nr in ns.rules {
            guard let or = os.rule(named: nr.name) else { continue }
            let subject = "rule `\(nr.name)`"
            let affects = dependents(of: [nr.name])
            if or.type != nr.type {
                add(.changed, subject, aspect: "type", element: .rule(nr.name), old: or.type.description,
                    new: nr.type.description, clause: nr.clause, affects: affects, rules: [nr.name])
            }
            if or.decision != nr.decision {
                add(.changed, subject, aspect: "decision", element: .rule(nr.name), old: "\(or.decision)",
                    new: "\(nr.decision)", clause: nr.clause, affects: [nr.name], rules: [nr.name])
            }
            if or.clause != nr.clause {
                add(.changed, subject, aspect: "clause", element: .rule(nr.name), old: list(or.clause),
                    new: list(nr.clause), clause: nr.clause, affects: [], explanationOnly: true, rules: [])
            }
            if or.label != nr.label {
                add(.changed, subject, aspect: "label", element: .rule(nr.name), old: show(or.label),
                    new: show(nr.label), clause: nr.clause, affects: [], explanationOnly: true, rules: [])
            }
            compareBodies(or, nr, o, n, affects: affects)
        }
    }

    mutating func compareBodies(_ or: RuleSnapshot, _ nr: RuleSnapshot, _ o: PolicySide, _ n: PolicySide, affects: [String]) {
        let name = nr.name
        switch (or.body, nr.body) {
        case (.expr(let a), .expr(let b)):
            if a != b {
                add(.changed, "rule `\(name)`", aspect: "expression", element: .rule(name),
                    old: canonical(o, name, .expr), new: canonical(n, name, .expr), clause: nr.clause,
                    affects: affects, rules: [name])
            }
        case (.table(let a), .table(let b)):
            if a.hit != b.hit {
                add(.changed, "table `\(name)`", aspect: "hit policy", element: .table(rule: name), old: a.hit.rawValue,
                    new: b.hit.rawValue, clause: nr.clause, affects: affects, rules: [name])
            }
            compareRows(name, a, b, o, n, affects: affects)
        case (.items(let a), .items(let b)):
            compareItems(name, a, b, o, n, affects: affects)
        default:
            add(.changed, "rule `\(name)`", aspect: "kind", element: .rule(name), old: bodySummary(or, o),
                new: bodySummary(nr, n), clause: nr.clause, affects: affects, rules: [name])
        }
    }

    /// Rows are matched by their condition (a longest common subsequence of
    /// `when` texts), so inserting a row reports one added row, not every row
    /// after it as changed.
    mutating func compareRows(
        _ rule: String, _ a: TableSnapshot, _ b: TableSnapshot, _ o: PolicySide, _ n: PolicySide, affects: [String]
    ) {
        let pairs = lcs(a.rows.map { $0.when?.text ?? "" }, b.rows.map { $0.when?.text ?? "" })
        var matchedOld = Set<Int>()
        var matchedNew = Set<Int>()
        for (i, j) in pairs {
            matchedOld.insert(i)
            matchedNew.insert(j)
            compareRow(rule, i, j, a.rows[i], b.rows[j], o, n, affects: affects, label: "row \(j + 1)")
        }
        for j in b.rows.indices where !matchedNew.contains(j) {
            add(.added, "row \(j + 1) of `\(rule)`", element: .row(rule: rule, row: j), clause: b.rows[j].clause,
                detail: rowSummary(n, rule, j), affects: affects, rules: [],
                evidence: [.rowSelected(rule: rule, old: nil, new: j)])
        }
        for i in a.rows.indices where !matchedOld.contains(i) {
            add(.removed, "row \(i + 1) of `\(rule)`", element: .row(rule: rule, row: i), clause: a.rows[i].clause,
                detail: rowSummary(o, rule, i), affects: affects, rules: [],
                evidence: [.rowSelected(rule: rule, old: i, new: nil)])
        }
        switch (a.defaultRow, b.defaultRow) {
        case (nil, let d?):
            add(.added, "the default of `\(rule)`", element: .row(rule: rule, row: -1), clause: d.clause,
                detail: rowSummary(n, rule, -1), affects: affects, rules: [],
                evidence: [.rowSelected(rule: rule, old: nil, new: -1)])
        case (let d?, nil):
            add(.removed, "the default of `\(rule)`", element: .row(rule: rule, row: -1), clause: d.clause,
                detail: rowSummary(o, rule, -1), affects: affects, rules: [],
                evidence: [.rowSelected(rule: rule, old: -1, new: nil)])
        case (let x?, let y?):
            compareRow(rule, -1, -1, x, y, o, n, affects: affects, label: "the default")
        default:
            break
        }
    }

    mutating func compareRow(
        _ rule: String, _ i: Int, _ j: Int, _ x: RowSnapshot, _ y: RowSnapshot, _ o: PolicySide, _ n: PolicySide,
        affects: [String], label: String
    ) {
        let subject = "\(label) of `\(rule)`"
        let element = PolicyElement.row(rule: rule, row: j)
        let oldElement = PolicyElement.row(rule: rule, row: i)
        let selected: [Evidence] = [.rowSelected(rule: rule, old: i, new: j)]
        if x.then != y.then {
            add(.changed, subject, aspect: "then", element: element, oldElement: oldElement,
                old: canonical(o, rule, .then(i)), new: canonical(n, rule, .then(j)), clause: y.clause,
                affects: affects, rules: [], evidence: selected)
        }
        if x.when != y.when {
            add(.changed, subject, aspect: "when", element: element, oldElement: oldElement,
                old: canonical(o, rule, .when(i)), new: canonical(n, rule, .when(j)), clause: y.clause,
                affects: affects, rules: [rule])
        }
        if x.clause != y.clause {
            add(.changed, subject, aspect: "clause", element: element, oldElement: oldElement, old: list(x.clause),
                new: list(y.clause), clause: y.clause, affects: [], explanationOnly: true, rules: [])
        }
        if x.label != y.label {
            add(.changed, subject, aspect: "label", element: element, oldElement: oldElement, old: show(x.label),
                new: show(y.label), clause: y.clause, affects: [], explanationOnly: true, rules: [])
        }
    }

    mutating func compareItems(
        _ rule: String, _ a: [ItemSnapshot], _ b: [ItemSnapshot], _ o: PolicySide, _ n: PolicySide, affects: [String]
    ) {
        for (j, item) in b.enumerated() where !a.contains(where: { $0.id == item.id }) {
            add(.added, "item `\(item.id)` of `\(rule)`", element: .item(rule: rule, item: j), clause: item.clause,
                detail: "when " + canonical(n, rule, .item(j)), affects: affects, rules: [],
                evidence: [.itemHeld(rule: rule, id: item.id)])
        }
        for (i, item) in a.enumerated() where !b.contains(where: { $0.id == item.id }) {
            add(.removed, "item `\(item.id)` of `\(rule)`", element: .item(rule: rule, item: i), clause: item.clause,
                detail: "when " + canonical(o, rule, .item(i)), affects: affects, rules: [],
                evidence: [.itemHeld(rule: rule, id: item.id)])
        }
        for (j, y) in b.enumerated() {
            guard let i = a.firstIndex(where: { $0.id == y.id }) else { continue }
            let x = a[i]
            let subject = "item `\(y.id)` of `\(rule)`"
            let element = PolicyElement.item(rule: rule, item: j)
            let oldElement = PolicyElement.item(rule: rule, item: i)
            if x.when != y.when {
                add(.changed, subject, aspect: "when", element: element, oldElement: oldElement,
                    old: canonical(o, rule, .item(i)), new: canonical(n, rule, .item(j)), clause: y.clause,
                    affects: affects, rules: [], evidence: [.itemHeld(rule: rule, id: y.id)])
            }
            if x.clause != y.clause {
                add(.changed, subject, aspect: "clause", element: element, oldElement: oldElement, old: list(x.clause),
                    new: list(y.clause), clause: y.clause, affects: [], explanationOnly: true, rules: [])
            }
            if x.label != y.label {
                add(.changed, subject, aspect: "label", element: element, oldElement: oldElement, old: show(x.label),
                    new: show(y.label), clause: y.clause, affects: [], explanationOnly: true, rules: [])
            }
        }
        let common = b.map(\.id).filter { id in a.contains { $0.id == id } }
        if a.map(\.id).filter({ common.contains($0) }) != common {
            add(.changed, "items of `\(rule)`", aspect: "order", element: .rule(rule),
                old: list(a.map(\.id)), new: list(b.map(\.id)), clause: [], affects: affects, rules: [rule])
        }
    }

    // MARK: catalogues

    mutating func compareCatalogs(_ os: PolicySnapshot, _ ns: PolicySnapshot) {
        let names = Set(os.catalogs.map(\.name)).union(ns.catalogs.map(\.name)).sorted()
        for name in names {
            let oe = os.catalog(named: name)?.entries ?? []
            let ne = ns.catalog(named: name)?.entries ?? []
            let users = catalogRules(name)
            for e in ne where !oe.contains(where: { $0.id == e.id }) {
                add(.added, "catalogue entry `\(name).\(e.id)`", element: .catalogEntry(catalog: name, id: e.id),
                    clause: e.clause, detail: entrySummary(e), affects: [], explanationOnly: true, rules: [])
            }
            for e in oe where !ne.contains(where: { $0.id == e.id }) {
                add(.removed, "catalogue entry `\(name).\(e.id)`", element: .catalogEntry(catalog: name, id: e.id),
                    clause: e.clause, detail: entrySummary(e), affects: [], explanationOnly: true, rules: [])
            }
            for y in ne {
                guard let x = oe.first(where: { $0.id == y.id }) else { continue }
                let subject = "catalogue entry `\(name).\(y.id)`"
                let element = PolicyElement.catalogEntry(catalog: name, id: y.id)
                if x.amount != y.amount || x.currency != y.currency {
                    add(.changed, subject, aspect: "amount", element: element, old: amount(x), new: amount(y),
                        clause: y.clause, affects: users, explanationOnly: true, rules: [])
                }
                if x.label != y.label {
                    add(.changed, subject, aspect: "label", element: element, old: show(x.label), new: show(y.label),
                        clause: y.clause, affects: users, explanationOnly: true, rules: [])
                }
                if x.clause != y.clause {
                    add(.changed, subject, aspect: "clause", element: element, old: list(x.clause),
                        new: list(y.clause), clause: y.clause, affects: users, explanationOnly: true, rules: [])
                }
            }
        }
    }

    // MARK: what a change reaches

    /// The decisions among `rules` and everything that depends on them, in the policy's order.
    func dependents(of rules: [String], side: PolicySide? = nil) -> [String] {
        guard let p = (side ?? new)?.compiled else { return [] }
        var reached = Set(rules.compactMap { p.ruleIndex(named: $0) })
        var changed = true
        while changed {
            changed = false
            for (r, deps) in p.graph.rules.enumerated() where !reached.contains(r) && deps.contains(where: reached.contains) {
                reached.insert(r)
                changed = true
            }
        }
        return p.decisions.filter(reached.contains).map { p.rules[$0].name }
    }

    func ruleNames(readingParameter name: String, side: PolicySide? = nil) -> [String] {
        guard let p = (side ?? new)?.compiled, let slot = p.slotNames.firstIndex(of: "params." + name) else { return [] }
        return p.rules.indices.filter { p.graph.parameters[$0].contains(slot) }.map { p.rules[$0].name }
    }

    func readers(ofParameter name: String, side: PolicySide? = nil) -> [String] {
        dependents(of: ruleNames(readingParameter: name, side: side), side: side)
    }

    /// Rules reading an input, its object, or its fields.
    func ruleNames(readingInput path: String, side: PolicySide? = nil) -> [String] {
        guard let p = (side ?? new)?.compiled else { return [] }
        let slots = Set(
            p.slotNames.indices.filter { i in
                let s = p.slotNames[i]
                return s == path || s.hasPrefix(path + ".") || path.hasPrefix(s + ".")
            })
        return p.rules.indices.filter { p.graph.inputs[$0].contains(where: slots.contains) }.map { p.rules[$0].name }
    }

    func readers(ofInput path: String, side: PolicySide? = nil) -> [String] {
        dependents(of: ruleNames(readingInput: path, side: side), side: side)
    }

    /// Decisions listing ids of a catalogue (their explanations show its entries).
    func catalogRules(_ catalog: String) -> [String] {
        guard let p = new?.compiled else { return [] }
        return p.decisions.filter { p.rules[$0].type == .catalogList(catalog) }.map { p.rules[$0].name }
    }

    // MARK: rendering values

    func canonical(_ side: PolicySide, _ rule: String, _ part: ExpressionRef.Part) -> String {
        guard let r = side.compiled.ruleIndex(named: rule) else { return "" }
        for (p, program) in side.compiled.rules[r].body.programs where p == part { return program.canonicalText }
        return ""
    }

    func bodySummary(_ r: RuleSnapshot, _ side: PolicySide) -> String {
        switch r.body {
        case .expr: return canonical(side, r.name, .expr)
        case .table(let t): return "a `\(t.hit.rawValue)` table of \(t.rows.count) rows" + (t.defaultRow == nil ? "" : " and a default")
        case .items(let items): return "items " + list(items.map(\.id))
        }
    }

    func rowSummary(_ side: PolicySide, _ rule: String, _ row: Int) -> String {
        let then = canonical(side, rule, .then(row))
        guard row >= 0 else { return "then " + then }
        return "when " + canonical(side, rule, .when(row)) + " then " + then
    }

    func entrySummary(_ e: CatalogEntrySnapshot) -> String {
        var s = e.label.en
        if e.amount != nil { s += ", " + amount(e) }
        return s
    }

    func amount(_ e: CatalogEntrySnapshot) -> String {
        guard let a = e.amount else { return "no amount" }
        let number = a == a.rounded() && abs(a) < 1e15 ? String(Int64(a)) : String(a)
        return number + (e.currency.map { " " + $0 } ?? "")
    }

    func dating(_ s: PolicySnapshot) -> String {
        let from = s.effectiveFrom.map { "from \($0)" } ?? "always"
        return s.datedBy.map { "\(from), by \($0)" } ?? from
    }
}

func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
func show(_ s: String?) -> String { s ?? "none" }
func show(_ l: Label?) -> String { l.map { "\($0.en) / \($0.zh)" } ?? "none" }
func show(_ v: CELValue?) -> String { v?.celLiteral ?? "none" }
func bounds(_ min: Int64?, _ max: Int64?) -> String {
    "min \(min.map(String.init) ?? "none"), max \(max.map(String.init) ?? "none")"
}
func bounds(_ min: Double?, _ max: Double?) -> String {
    func f(_ d: Double?) -> String {
        guard let d else { return "none" }
        return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
    return "min \(f(min)), max \(f(max))"
}

/// Index pairs of a longest common subsequence of two lists.
func lcs(_ a: [String], _ b: [String]) -> [(Int, Int)] {
    guard !a.isEmpty, !b.isEmpty else { return [] }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
        for j in stride(from: b.count - 1, through: 0, by: -1) {
            table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
        }
    }
    var out: [(Int, Int)] = []
    var i = 0
    var j = 0
    while i < a.count, j < b.count {
        if a[i] == b[j] {
            out.append((i, j))
            i += 1
            j += 1
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1
        } else {
            j += 1
        }
    }
    return out
}
