import CEL
import VerdictYAML

/// Turns a resolved policy into a `CompiledPolicy` in named stages:
/// declare inputs → parameters → rule names → compile expressions → check
/// types → order the rule graph (cycles are errors) → digest.
struct PolicyCompiler {
    let policy: ResolvedPolicy
    var diagnostics: [PolicyDiagnostic] = []

    private var env = CELEnvironment()
    private var slotNames: [String] = []
    private var slotKinds: [SlotKind] = []
    private var initialValues: [CELValue] = []
    private var catalogs: [String: CatalogDecl] = [:]
    /// Input defaults as values (by path), for the digest.
    private var inputDefaults: [String: CELValue] = [:]

    init(policy: ResolvedPolicy) { self.policy = policy }

    mutating func error(_ at: SourceRef, _ message: String, help: String? = nil) {
        diagnostics.append(
            PolicyDiagnostic(
                file: at.file, line: at.line, column: at.column, length: at.length, message: message, help: help))
    }

    private mutating func declare(_ name: String, _ type: CELType, kind: SlotKind, allowed: [String]? = nil) -> Int {
        let slot: Int
        if let allowed {
            slot = env.declare(variable: name, type: type, allowedStrings: allowed)
        } else {
            slot = env.declare(variable: name, type: type)
        }
        // The environment numbers slots densely in declaration order.
        while slotNames.count <= slot {
            slotNames.append("")
            slotKinds.append(.input)
            initialValues.append(.null)
        }
        slotNames[slot] = name
        slotKinds[slot] = kind
        return slot
    }

    mutating func compile() -> CompiledPolicy? {
        for c in policy.catalogs { catalogs[c.name] = c }
        checkCatalogs()
        let plan = InputPlan(roots: policy.inputs.map { planInput($0) })
        declareParameters()
        let ruleSlots = declareRules()
        var rules: [CompiledRule] = []
        for (i, decl) in policy.rules.enumerated() {
            if let r = compileRule(decl, index: i, slot: ruleSlots[i]) { rules.append(r) }
        }
        checkSelectors()
        guard diagnostics.isEmpty, rules.count == policy.rules.count else { return nil }
        checkCycles(rules)
        guard diagnostics.isEmpty else { return nil }
        let canonical = PolicyDigest.canonical(
            policy, rules: rules, initialValues: initialValues, slotNames: slotNames, inputDefaults: inputDefaults)
        // What selects this policy, with its own default for each key (`product: equipment`).
        let selectors = (policy.appliesTo ?? []).map { s -> PolicySelector in
            var fallback: String?
            if case .string(let d)? = inputDefaults[s.key] { fallback = d }
            return PolicySelector(key: s.key, values: s.values, defaultValue: fallback)
        }
        return CompiledPolicy(
            name: policy.name, digest: "sha256:" + SHA256.hex(Array(canonical.utf8)), canonicalContent: canonical,
            file: policy.file, selectors: selectors, slotNames: slotNames, slotKinds: slotKinds,
            initialValues: initialValues, inputs: plan, rules: rules, environment: env)
    }

    // MARK: - Stage 1: inputs

    private mutating func planInput(_ field: InputField) -> InputPlan.Node {
        if Self.celReserved.contains(field.name) || (field.name == "params" && !field.path.contains(".")) {
            error(field.at, "`\(field.name)` is reserved in expressions; rename the input")
        }
        let kind = planKind(field.type)
        let celType = Self.celType(of: field.type)
        var allowed: [String]?
        if case .enumeration(let values) = field.type { allowed = values }
        // Groups are declared before their fields so that `fault` and `fault.cause` are both names.
        let slot: Int
        if case .object(let children) = field.type {
            slot = declare(field.path, celType, kind: .input)
            let childNodes = children.map { planInput($0) }
            slotKinds[slot] = .group(InputPlan.Group(keys: childNodes.map(\.key), slots: childNodes.map(\.slot)))
            return InputPlan.Node(
                key: field.name, path: field.path, slot: slot, kind: .object(childNodes), optional: field.optional,
                defaultValue: nil, min: nil, max: nil)
        }
        slot = declare(field.path, celType, kind: .input, allowed: allowed)
        var defaultValue: CELValue?
        if let d = field.defaultValue {
            defaultValue = yamlValue(
                d, inputType: field.type, what: "the default of input `\(field.path)`", file: field.at.file)
        }
        if case .int = field.type, let min = field.min, let max = field.max, min > max {
            error(field.at, "input `\(field.path)` has `min` \(min) above `max` \(max)")
        }
        if let d = defaultValue {
            inputDefaults[field.path] = d
            if case .int(let v) = d, let node = field.defaultValue {
                if let min = field.min, v < min {
                    error(SourceRef(node, file: field.at.file), "the default of input `\(field.path)` is \(v), below its minimum \(min)")
                }
                if let max = field.max, v > max {
                    error(SourceRef(node, file: field.at.file), "the default of input `\(field.path)` is \(v), above its maximum \(max)")
                }
            }
        }
        return InputPlan.Node(
            key: field.name, path: field.path, slot: slot, kind: kind, optional: field.optional,
            defaultValue: defaultValue, min: field.min, max: field.max)
    }

    private func planKind(_ t: InputType) -> InputPlan.Kind {
        switch t {
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .date: .date
        case .timestamp: .timestamp
        case .enumeration(let v): .enumeration(Set(v), v)
        case .list(let e): .list(planKind(e))
        case .object: .object([])
        }
    }

    static func celType(of t: InputType) -> CELType {
        switch t {
        case .object: .map(.string, .dyn)
        case .list(let e): .list(celType(of: e))
        default: t.valueType.map(celType(of:)) ?? .dyn
        }
    }

    static func celType(of t: ValueType) -> CELType {
        switch t {
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .date: .date
        case .timestamp: .timestamp
        case .catalogList: .list(.string)
        case .list(let e): .list(celType(of: e))
        }
    }

    // MARK: - Stage 2: parameters

    private mutating func declareParameters() {
        for p in policy.parameters {
            guard let type = p.type else {
                error(p.at, "parameter `\(p.name)` needs `type`")
                continue
            }
            if p.clause == nil { error(p.at, "parameter `\(p.name)` needs `clause`: the guideline clause it comes from") }
            if p.label == nil { error(p.at, "parameter `\(p.name)` needs `label` with `zh` and `en`") }
            let slot = declare("params." + p.name, Self.celType(of: type), kind: .parameter)
            guard let node = p.value else {
                error(p.at, "parameter `\(p.name)` needs `value`")
                continue
            }
            guard let v = yamlValue(node, valueType: type, what: "parameter `\(p.name)`", file: p.valueFile)
            else { continue }
            initialValues[slot] = v
            let number: Double? =
                switch v {
                case .int(let i): Double(i)
                case .double(let d): d
                default: nil
                }
            if let min = p.min, let max = p.max, min > max {
                error(p.at, "parameter `\(p.name)` has `min` \(Self.format(min)) above `max` \(Self.format(max))")
            } else if let number {
                let at = SourceRef(node, file: p.valueFile)
                if let min = p.min, number < min {
                    error(at, "parameter `\(p.name)` is \(Self.format(number)), below its minimum \(Self.format(min))")
                }
                if let max = p.max, number > max {
                    error(at, "parameter `\(p.name)` is \(Self.format(number)), above its maximum \(Self.format(max))")
                }
            } else if p.min != nil || p.max != nil {
                error(p.at, "`min` and `max` apply only to number parameters")
            }
        }
    }

    /// Why a scalar is not of the expected type, in the owner's terms.
    static func typeMismatch(what: String, type: ValueType, scalar s: YAMLScalar) -> String {
        let numeric: Bool
        switch type {
        case .int, .double, .bool: numeric = true
        default: numeric = false
        }
        if numeric, s.isQuoted {
            return "\(what) must be of type \(type), but `\(s.text)` is quoted, which makes it text: remove the quotes"
        }
        if type == .int, !s.isQuoted, s.text.wholeMatch(of: /[+-]?[0-9]+/) != nil {
            return "\(what) `\(s.text)` is out of the 64-bit integer range"
        }
        return "\(what) must be of type \(type), not `\(s.text)`"
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    /// A YAML value read as the given type: where the value stands decides its type.
    private mutating func yamlValue(
        _ node: YAMLNode, valueType: ValueType, what: String, file: String
    ) -> CELValue? {
        let at = SourceRef(node, file: file)
        switch valueType {
        case .list(let inner):
            guard case .sequence(let items) = node.kind else {
                error(at, "\(what) must be a list")
                return nil
            }
            var out: [CELValue] = []
            for item in items {
                guard let v = yamlValue(item, valueType: inner, what: "an item of \(what)", file: file) else { return nil }
                out.append(v)
            }
            return .list(out)
        case .catalogList:
            return yamlValue(node, valueType: .list(.string), what: what, file: file)
        default:
            guard case .scalar(let s) = node.kind else {
                error(at, "\(what) must be a single value of type \(valueType)")
                return nil
            }
            switch valueType {
            case .bool:
                if !s.isQuoted, let b = s.asBool { return .bool(b) }
            case .int:
                if !s.isQuoted, let i = s.asInt { return .int(i) }
            case .double:
                if !s.isQuoted, let d = s.asDouble, d.isFinite { return .double(d) }
            case .string:
                if s.isQuoted || !s.isNull { return .string(s.text) }
            case .date:
                if let d = CELDate.parse(s.text) { return .date(d) }
            case .timestamp:
                if let t = CELTimestamp.parse(s.text) { return .timestamp(t) }
            case .list, .catalogList:
                break
            }
            error(at, Self.typeMismatch(what: what, type: valueType, scalar: s))
            return nil
        }
    }

    /// An input's default: read as its value type, then checked against the enum's values.
    private mutating func yamlValue(
        _ node: YAMLNode, inputType: InputType, what: String, file: String
    ) -> CELValue? {
        guard let valueType = inputType.valueType else {
            error(SourceRef(node, file: file), "\(what) is not supported for an input of type \(inputType.name)")
            return nil
        }
        guard let v = yamlValue(node, valueType: valueType, what: what, file: file) else { return nil }
        if let (bad, values) = Self.outsideEnum(v, inputType) {
            error(
                SourceRef(node, file: file), "\(what) `\(bad)` is not one of its values",
                help: Suggest.help(for: bad, in: values))
            return nil
        }
        return v
    }

    /// The first text in `v` that its enum type does not allow, with the allowed values.
    static func outsideEnum(_ v: CELValue, _ t: InputType) -> (String, [String])? {
        switch (v, t) {
        case (.string(let s), .enumeration(let values)): return values.contains(s) ? nil : (s, values)
        case (.list(let items), .list(let inner)): return items.lazy.compactMap { outsideEnum($0, inner) }.first
        default: return nil
        }
    }

    // MARK: - Stage 3: rule names

    private mutating func declareRules() -> [Int] {
        let inputNames = Set(policy.inputs.map(\.name))
        return policy.rules.map { r in
            if inputNames.contains(r.name) {
                error(r.at, "rule `\(r.name)` has the name of an input; rename one of them")
            }
            if r.name == "params" {
                error(r.at, "`params` is reserved for parameters (`params.NAME`); rename the rule")
            }
            if Self.celReserved.contains(r.name) {
                error(r.at, "`\(r.name)` is a reserved word in expressions; rename the rule")
            }
            let type = r.type.map(Self.celType(of:)) ?? .dyn
            return declare(r.name, type, kind: .rule(-1))
        }
    }

    static let celReserved: Set<String> = [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    // MARK: - Stage 4: compile and type-check rule bodies

    private mutating func compileRule(_ decl: RuleDecl, index: Int, slot: Int) -> CompiledRule? {
        slotKinds[slot] = .rule(index)
        let what = "rule `\(decl.name)`"
        guard let type = decl.type else {
            error(decl.at, "\(what) needs `type`")
            return nil
        }
        if decl.clause == nil { error(decl.at, "\(what) needs `clause`: the guideline clause it implements") }
        if decl.label == nil { error(decl.at, "\(what) needs `label` with `zh` and `en`") }
        guard let body = decl.body else {
            error(decl.at, "\(what) needs one of `expr`, `table` or `items`")
            return nil
        }
        let celType = Self.celType(of: type)
        var compiled: CompiledBody?
        switch body {
        case .expr(let e):
            if let p = expression(e, expecting: celType, what: "`expr` of \(what)") { compiled = .expr(p) }
        case .table(let t):
            compiled = table(t, type: type, celType: celType, rule: decl.name).map { .table($0) }
        case .items(let items):
            compiled = self.items(items, type: type, rule: decl).map { .items($0) }
        }
        guard let compiled, let clause = decl.clause, let label = decl.label else { return nil }
        return CompiledRule(
            name: decl.name, slot: slot, type: type, celType: celType, isDecision: decl.decision ?? false,
            clause: clause, label: label, body: compiled)
    }

    /// Compiles one embedded expression; maps its diagnostics into the YAML file.
    private mutating func expression(_ e: ExprSource, expecting: CELType?, what: String) -> CELProgram? {
        switch env.compile(e.text) {
        case .failure(let errors):
            for d in errors.diagnostics {
                error(e.ref(offset: d.offset, length: d.length), d.message, help: d.help)
            }
            return nil
        case .success(let program):
            if let expecting, !Self.assignable(program.resultType, to: expecting) {
                error(e.at, "\(what) is of type `\(program.resultType)`, but `\(expecting)` is expected")
                return nil
            }
            return program
        }
    }

    static func assignable(_ actual: CELType, to expected: CELType) -> Bool {
        if actual == expected || actual == .dyn || expected == .dyn { return true }
        switch (actual, expected) {
        case (.list(let a), .list(let b)): return assignable(a, to: b)
        case (.map(let ak, let av), .map(let bk, let bv)): return assignable(ak, to: bk) && assignable(av, to: bv)
        default: return false
        }
    }

    private mutating func table(_ t: TableDecl, type: ValueType, celType: CELType, rule: String) -> CompiledTable? {
        var rowType = celType
        if t.hit == .collect {
            guard case .list(let inner) = celType else {
                error(t.at, "a `collect` table gives a list: declare `\(rule)` as `type: list` with `of`")
                return nil
            }
            rowType = inner
            if let d = t.defaultRow {
                error(d.at, "a `collect` table has no `default`: it gives an empty list when no row matches")
            }
        }
        var ok = true
        var rows: [CompiledRow] = []
        for (i, row) in t.rows.enumerated() {
            if let r = self.row(row, rowType: rowType, what: "row \(i + 1) of `\(rule)`") {
                rows.append(r)
            } else {
                ok = false
            }
        }
        var defaultRow: CompiledRow?
        if let d = t.defaultRow {
            defaultRow = row(d, rowType: rowType, what: "the default of `\(rule)`")
            if defaultRow == nil { ok = false }
        }
        return ok ? CompiledTable(hit: t.hit, rows: rows, defaultRow: defaultRow) : nil
    }

    private mutating func row(_ row: RowDecl, rowType: CELType, what: String) -> CompiledRow? {
        if row.clause == nil { error(row.at, "\(what) needs `clause`") }
        var when: CELProgram?
        if let w = row.when {
            when = expression(w, expecting: .bool, what: "`when` of \(what)")
            if when == nil { return nil }
        }
        guard let then = expression(row.then, expecting: rowType, what: "`then` of \(what)"),
            let clause = row.clause
        else { return nil }
        return CompiledRow(when: when, then: then, clause: clause, label: row.label)
    }

    private mutating func items(_ items: [ItemDecl], type: ValueType, rule: RuleDecl) -> [CompiledItem]? {
        let catalog: CatalogDecl?
        switch type {
        case .catalogList(let name):
            catalog = catalogs[name]
            if catalog == nil {
                error(
                    rule.at, "rule `\(rule.name)` lists ids of unknown catalogue `\(name)`",
                    help: Suggest.help(for: name, in: catalogs.keys.sorted()))
                return nil
            }
        case .list(.string):
            catalog = nil
        default:
            error(rule.at, "a rule with `items` gives a list of ids: declare it `type: list` with `of` a catalogue")
            return nil
        }
        var seen: [String: SourceRef] = [:]
        var out: [CompiledItem] = []
        var ok = true
        for item in items {
            if let first = seen[item.id] {
                error(item.idAt, "item `\(item.id)` is listed twice in `\(rule.name)` (first at line \(first.line))")
                ok = false
            }
            seen[item.id] = item.idAt
            if let catalog, !catalog.entries.contains(where: { $0.id == item.id }) {
                error(
                    item.idAt, "`\(item.id)` is not an entry of catalogue `\(catalog.name)`",
                    help: Suggest.help(for: item.id, in: catalog.entries.map(\.id)))
                ok = false
            }
            if item.clause == nil { error(item.at, "item `\(item.id)` of `\(rule.name)` needs `clause`") }
            guard let when = expression(item.when, expecting: .bool, what: "`when` of item `\(item.id)`"),
                let clause = item.clause
            else {
                ok = false
                continue
            }
            out.append(CompiledItem(id: item.id, value: .string(item.id), when: when, clause: clause))
        }
        return ok ? out : nil
    }

    // MARK: - Catalogues and selectors

    private mutating func checkCatalogs() {
        for c in policy.catalogs {
            for e in c.entries {
                if e.label == nil { error(e.at, "entry `\(e.id)` of catalogue `\(c.name)` needs `label` with `zh` and `en`") }
                if e.clause == nil { error(e.at, "entry `\(e.id)` of catalogue `\(c.name)` needs `clause`") }
            }
        }
    }

    private mutating func checkSelectors() {
        guard let selectors = policy.appliesTo else {
            if !policy.abstract {
                error(
                    policy.nameAt,
                    "policy `\(policy.name)` needs `applies_to` (which tickets it answers), or `abstract: true` if it is only a base")
            }
            return
        }
        if policy.abstract, let at = policy.appliesToAt {
            error(at, "an abstract policy answers no ticket: remove `applies_to` or `abstract`")
        }
        for s in selectors {
            guard let field = Self.input(at: s.key, in: policy.inputs) else {
                error(
                    s.keyAt, "`applies_to` names unknown input `\(s.key)`",
                    help: Suggest.help(for: s.key, in: policy.inputs.map(\.name)))
                continue
            }
            switch field.type {
            case .enumeration(let values):
                for v in s.values where !values.contains(v) {
                    error(
                        s.at, "`\(v)` is not a value of input `\(s.key)`", help: Suggest.help(for: v, in: values))
                }
            case .string:
                break
            default:
                error(s.keyAt, "`applies_to` selects on text inputs only; `\(s.key)` is \(field.type.name)")
            }
        }
    }

    static func input(at path: String, in fields: [InputField]) -> InputField? {
        var parts = path.split(separator: ".").map(String.init)
        var current = fields
        while !parts.isEmpty {
            let name = parts.removeFirst()
            guard let f = current.first(where: { $0.name == name }) else { return nil }
            if parts.isEmpty { return f }
            guard case .object(let children) = f.type else { return nil }
            current = children
        }
        return nil
    }

    // MARK: - Stage 5: the rule graph

    /// The longest chain of rules that depend on each other. Evaluation recurses
    /// along such a chain, so it is bounded to keep the stack safe.
    static let maxRuleChain = 200

    /// Reports cycles (naming their path) and over-long dependency chains.
    /// Iterative, so a policy with a very long chain cannot exhaust the stack here either.
    private mutating func checkCycles(_ rules: [CompiledRule]) {
        // Edges: rule → the rules its expressions reference.
        var ruleOfSlot: [Int: Int] = [:]
        for (i, r) in rules.enumerated() { ruleOfSlot[r.slot] = i }
        let edges: [[Int]] = rules.map { r in
            Self.programs(of: r.body).flatMap(\.references).compactMap { ruleOfSlot[$0] }
        }
        var state = [UInt8](repeating: 0, count: rules.count)  // 0 new, 1 on the path, 2 done
        var depth = [Int](repeating: 1, count: rules.count)    // rules in the longest chain from here
        var reported: Set<Int> = []
        var cyclic = false
        for root in rules.indices where state[root] == 0 {
            var path: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let top = path.last {
                let n = top.node
                if top.next < edges[n].count {
                    path[path.count - 1].next += 1
                    let m = edges[n][top.next]
                    switch state[m] {
                    case 0:
                        state[m] = 1
                        path.append((m, 0))
                    case 1:
                        cyclic = true
                        if let start = path.firstIndex(where: { $0.node == m }), !reported.contains(m) {
                            let members = path[start...].map(\.node)
                            reported.formUnion(members)
                            let names = (members + [m]).map { "`\(rules[$0].name)`" }
                            error(
                                policy.rules[m].at,
                                "rules depend on each other in a cycle: \(names.joined(separator: " → "))")
                        }
                    default:
                        depth[n] = max(depth[n], depth[m] + 1)
                    }
                } else {
                    state[n] = 2
                    path.removeLast()
                    if let parent = path.last?.node { depth[parent] = max(depth[parent], depth[n] + 1) }
                }
            }
        }
        guard !cyclic, let deepest = depth.indices.max(by: { depth[$0] < depth[$1] }),
            depth[deepest] > Self.maxRuleChain
        else { return }
        error(
            policy.rules[deepest].at,
            "rule `\(rules[deepest].name)` starts a chain of \(depth[deepest]) rules that depend on each other; at most \(Self.maxRuleChain) are allowed")
    }

    static func programs(of body: CompiledBody) -> [CELProgram] {
        switch body {
        case .expr(let p): return [p]
        case .table(let t):
            return (t.rows + (t.defaultRow.map { [$0] } ?? [])).flatMap { [$0.when, $0.then].compactMap { $0 } }
        case .items(let items): return items.map(\.when)
        }
    }
}
