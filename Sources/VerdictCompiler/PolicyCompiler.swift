import CEL
import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictModel
import VerdictRuntime

/// A policy compiled: the runtime form, the position-free snapshot (what it
/// means), and where each part of it was written.
public struct CompiledUnit: Sendable {
    public var compiled: CompiledPolicy
    public var snapshot: PolicySnapshot
    public var sourceMap: PolicySourceMap
    /// Inputs, parameters and catalogue entries marked `informational`: `check` does not warn when nothing uses them.
    public var informational: Set<PolicyElement> = []
    /// Parameters and rules declared anew below the root with a name close to an inherited one: name → inherited name.
    public var inherited = InheritedNames()
    /// The declared gaps of each table, by rule name (not part of the digest: they change no answer).
    public var declaredGaps: [String: [DeclaredGap]] = [:]
    /// Each rule's worst case per ticket, in declaration order (`check --costs`).
    public var costs: [RuleCost] = []
}

/// A rule's worst case: the steps its expressions can take for one ticket
/// (rules it reads are counted in their own estimate: each runs once per ticket).
public struct RuleCost: Sendable, Hashable {
    public var rule: String
    public var steps: UInt64
    /// The sizes of what it iterates over, outermost first.
    public var drivers: [CELSizeBound]
    /// How deeply its comprehensions nest.
    public var nesting: Int
}

/// A table's declared gap, compiled: tickets it holds for are meant to match no row.
public struct DeclaredGap: Sendable {
    public var when: CELProgram
    public var clause: [String]
    public var at: SourceRef
}

/// Stage 5 of loading: turns a resolved policy into a `CompiledUnit` in named
/// steps: declare inputs → parameters → rule names → compile and type-check
/// expressions → check catalogues and selectors → order the rule graph
/// (cycles are errors) → snapshot and digest.
struct PolicyCompiler {
    let policy: ResolvedPolicy
    var log = DiagnosticLog()

    private var env = CELEnvironment()
    private var slotNames: [String] = []
    private var slotKinds: [SlotKind] = []
    private var initialValues: [CELValue] = []
    private var catalogs: [String: CatalogDecl] = [:]
    private var sourceMap: PolicySourceMap
    private var parameterSnapshots: [ParameterSnapshot] = []
    private var declaredGaps: [String: [DeclaredGap]] = [:]
    /// Programs already compiled, by text: the environment is complete before
    /// any expression is compiled, so the same text gives the same program
    /// (`then: 0` in many rows is compiled once).
    private var programs: [String: CELProgram] = [:]
    /// The steps a policy's worst case per ticket may take.
    let costLimit: Int
    /// The size of each list input, by slot: its `max_items`, or an assumed size.
    private var listBounds: [Int: CELSizeBound] = [:]

    init(policy: ResolvedPolicy, costLimit: Int = CELCost.defaultLimit) {
        self.policy = policy
        self.costLimit = costLimit
        self.sourceMap = PolicySourceMap(file: policy.file, chain: policy.chain)
    }

    mutating func error(_ code: DiagnosticCode, _ at: SourceRef, _ message: String, help: String? = nil) {
        log.error(code, at, message, help: help)
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

    mutating func compile() -> CompiledUnit? {
        sourceMap.positions[.policy] = policy.nameAt
        if let at = policy.versionAt { sourceMap.positions[.version] = at }
        if let at = policy.effectiveFromAt { sourceMap.positions[.effectiveFrom] = at }
        if let at = policy.datedByAt { sourceMap.positions[.datedBy] = at }
        if let at = policy.titleAt { sourceMap.positions[.title] = at }
        if let at = policy.appliesToAt { sourceMap.positions[.appliesTo] = at }
        for c in policy.catalogs { catalogs[c.name] = c }
        let catalogSnapshots = checkCatalogs()
        let planned = policy.inputs.map { planInput($0) }
        declareParameters()
        let ruleSlots = declareRules()
        env.indexNames()
        // Compiling expressions allocates most: the freed YAML trees are reused.
        Threads.awaitReleases()
        precompile()
        var rules: [CompiledRule] = []
        var ruleSnapshots: [RuleSnapshot] = []
        for (i, decl) in policy.rules.enumerated() {
            if let (r, s) = compileRule(decl, index: i, slot: ruleSlots[i]) {
                rules.append(r)
                ruleSnapshots.append(s)
            }
        }
        let selectorSnapshots = checkSelectors()
        let dating = checkDating()
        guard log.isEmpty, rules.count == policy.rules.count else { return nil }
        guard let graph = ruleGraph(rules) else { return nil }
        let costs = ruleCosts(rules, graph)
        guard checkBudget(costs) else { return nil }
        let snapshot = PolicySnapshot(
            name: policy.name, version: policy.version, effectiveFrom: policy.effectiveFrom,
            datedBy: dating?.input, title: policy.title, sections: policy.sections, appliesTo: selectorSnapshots,
            inputs: planned.map(\.snapshot), parameters: parameterSnapshots, rules: ruleSnapshots,
            catalogs: catalogSnapshots)
        // What selects this policy, with its own default for each key (`product: equipment`).
        let selectors = (policy.appliesTo ?? []).map { s -> PolicySelector in
            let field = snapshot.inputs.input(at: s.key)
            var fallback: String?
            if case .string(let d)? = field?.defaultValue { fallback = d }
            var declared: [String]?
            if case .enumeration(let values)? = field?.type { declared = values }
            return PolicySelector(key: s.key, values: s.values, defaultValue: fallback, declared: declared)
        }
        let compiled = CompiledPolicy(
            identity: PolicyIdentity(
                name: policy.name, version: policy.version, digest: PolicyDigest.digest(of: snapshot)),
            selectors: selectors, dating: dating, slotNames: slotNames, slotKinds: slotKinds, initialValues: initialValues,
            inputs: InputPlan(roots: planned.map(\.node)), rules: rules, graph: graph, environment: env,
            costLimit: costLimit)
        var informational = Set<PolicyElement>()
        func inputs(_ fields: [InputDecl]) {
            for f in fields {
                if f.informational { informational.insert(.input(f.path)) }
                if let children = f.fields { inputs(children) }
            }
        }
        inputs(policy.inputs)
        for p in policy.parameters where p.informational == true { informational.insert(.parameter(p.name)) }
        for c in policy.catalogs {
            for e in c.entries where e.informational { informational.insert(.catalogEntry(catalog: c.name, id: e.id)) }
        }
        return CompiledUnit(compiled: compiled, snapshot: snapshot, sourceMap: sourceMap, informational: informational,
            inherited: policy.inherited, declaredGaps: declaredGaps, costs: costs)
    }

    // MARK: - Cost

    /// Each rule's worst case, estimated in dependency order so that a rule
    /// iterating over another rule's list knows its size.
    private func ruleCosts(_ rules: [CompiledRule], _ graph: RuleGraph) -> [RuleCost] {
        var sizes: [Int: CELSizeBound] = listBounds
        for (slot, kind) in slotKinds.enumerated() {
            guard case .parameter = kind, case .list(let l) = initialValues[slot] else { continue }
            sizes[slot] = CELSizeBound(items: UInt64(l.count), reason: "`\(slotNames[slot])` has \(l.count) items")
        }
        var costs = [RuleCost?](repeating: nil, count: rules.count)
        for i in Self.dependencyOrder(graph.rules) {
            let rule = rules[i]
            var steps: UInt64 = 1
            var drivers: [CELSizeBound] = []
            var size: CELSizeBound?
            var nesting = 0
            for (_, program) in rule.body.programs {
                let e = program.estimateCost { sizes[$0] }
                steps = CELCost.sum(steps, e.steps)
                nesting = max(nesting, e.nesting)
                for d in e.drivers where !drivers.contains(d) { drivers.append(d) }
                if case .expr = rule.body { size = e.size }
            }
            switch rule.body {
            case .items(let items):
                size = CELSizeBound(items: UInt64(items.count), reason: "`\(rule.name)` lists \(items.count) items")
            case .table(let t) where t.hit == .collect:
                size = CELSizeBound(items: UInt64(t.rows.count), reason: "`\(rule.name)` collects from \(t.rows.count) rows")
            default: break
            }
            if let size { sizes[rule.slot] = size }
            costs[i] = RuleCost(rule: rule.name, steps: steps, drivers: drivers, nesting: nesting)
        }
        return costs.compactMap { $0 }
    }

    /// Rules after the rules they read (the graph is acyclic here). Iterative.
    static func dependencyOrder(_ deps: [[Int]]) -> [Int] {
        var order: [Int] = []
        order.reserveCapacity(deps.count)
        var state = [Bool](repeating: false, count: deps.count)
        for root in deps.indices where !state[root] {
            state[root] = true
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            while let top = stack.last {
                if top.next < deps[top.node].count {
                    stack[stack.count - 1].next += 1
                    let m = deps[top.node][top.next]
                    if !state[m] {
                        state[m] = true
                        stack.append((m, 0))
                    }
                } else {
                    order.append(top.node)
                    stack.removeLast()
                }
            }
        }
        return order
    }

    /// A policy whose worst case per ticket is over the budget does not load:
    /// the error names the costliest rule, its estimate and what drives it.
    private mutating func checkBudget(_ costs: [RuleCost]) -> Bool {
        var total: UInt64 = 0
        for c in costs { total = CELCost.sum(total, c.steps) }
        guard total > UInt64(costLimit), let worst = costs.indices.max(by: { costs[$0].steps < costs[$1].steps })
        else { return true }
        let c = costs[worst]
        let together = costs.count > 1 && total != c.steps ? " (the policy's rules together: \(Self.steps(total)))" : ""
        let drivers = c.drivers.prefix(3).map(\.reason).joined(separator: "; ")
        error(
            .costOverBudget, policy.rules[worst].at,
            "rule `\(c.rule)` may take \(Self.steps(c.steps)) steps per ticket\(together), over the budget of \(CELBudget.format(costLimit))"
                + (drivers.isEmpty
                    ? ""
                    : ": it iterates \(c.nesting > 1 ? "\(c.nesting) levels deep " : "")over \(drivers)"),
            help: "declare `max_items` on the list inputs it iterates over, iterate less deeply, or raise the budget with `--cost-limit` (docs/limits.md)")
        return false
    }

    /// An estimate for people: `1,000,000`, or "more than 10^18" when it saturated.
    static func steps(_ n: UInt64) -> String {
        n >= 1_000_000_000_000_000_000 ? "more than 10^18" : CELBudget.format(n)
    }

    // MARK: - Inputs

    private mutating func planInput(_ field: InputDecl) -> (node: InputPlan.Node, snapshot: InputSnapshot) {
        sourceMap.positions[.input(field.path)] = field.at
        if CELNames.isReserved(field.name) || (field.name == "params" && !field.path.contains(".")) {
            error(.reservedName, field.at, "`\(field.name)` is reserved in expressions; rename the input")
        }
        // Groups are declared before their fields so that `fault` and `fault.cause` are both names.
        if case .object(let children) = field.type {
            let slot = declare(field.path, .map(.string, .dyn), kind: .input)
            let planned = children.map { planInput($0) }
            slotKinds[slot] = .group(InputPlan.Group(keys: planned.map(\.node.key), slots: planned.map(\.node.slot)))
            let node = InputPlan.Node(
                key: field.name, path: field.path, slot: slot, kind: .object(planned.map(\.node)),
                optional: field.optional, defaultValue: nil, min: nil, max: nil)
            let snapshot = InputSnapshot(
                name: field.name, path: field.path, type: .object(planned.map(\.snapshot)), optional: field.optional,
                defaultValue: nil, min: nil, max: nil, label: field.label)
            return (node, snapshot)
        }
        let type = field.type.shape
        var allowed: [String]?
        if case .enumeration(let values) = field.type { allowed = values }
        let slot = declare(field.path, type.celType, kind: .input, allowed: allowed)
        var defaultValue: CELValue?
        if let d = field.defaultValue {
            sourceMap.positions[.inputDefault(field.path)] = d.at
            defaultValue = typed(d, inputType: type, what: "the default of input `\(field.path)`")
        }
        if case .int = field.type, let min = field.min, let max = field.max, min > max {
            error(.minAboveMax, field.at, "input `\(field.path)` has `min` \(min) above `max` \(max)")
        }
        if case .int(let v)? = defaultValue, let at = field.defaultValue?.at {
            if let min = field.min, v < min {
                error(.outOfRange, at, "the default of input `\(field.path)` is \(v), below its minimum \(min)")
            }
            if let max = field.max, v > max {
                error(.outOfRange, at, "the default of input `\(field.path)` is \(v), above its maximum \(max)")
            }
        }
        var node = InputPlan.Node(
            key: field.name, path: field.path, slot: slot, kind: Self.planKind(type), optional: field.optional,
            defaultValue: defaultValue, min: field.min, max: field.max)
        node.maxItems = field.maxItems
        var snapshot = InputSnapshot(
            name: field.name, path: field.path, type: type, optional: field.optional, defaultValue: defaultValue,
            min: field.min, max: field.max, label: field.label)
        snapshot.maxItems = field.maxItems
        if case .list = type {
            listBounds[slot] = field.maxItems.map {
                CELSizeBound(items: UInt64($0), reason: "`\(field.path)` has at most \($0) items (its `max_items`)")
            } ?? CELSizeBound(
                items: CELCost.assumedItems,
                reason: "`\(field.path)` declares no `max_items`: \(CELCost.assumedItems) items assumed")
        }
        return (node, snapshot)
    }

    static func planKind(_ t: InputType) -> InputPlan.Kind {
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

    // MARK: - Parameters

    private mutating func declareParameters() {
        for p in policy.parameters {
            sourceMap.positions[.parameter(p.name)] = p.at
            if let origin = policy.parameterOrigins[p.name] { sourceMap.positions[.parameterOrigin(p.name)] = origin }
            guard let written = p.type else {
                if p.typeInvalid {
                    // Declared, so that expressions reading it are not reported as well.
                    _ = declare("params." + p.name, .dyn, kind: .parameter)
                    continue
                }
                error(
                    .missingType, p.at, "parameter `\(p.name)` needs `type`",
                    help: policy.inherited.parameter(near: p.name).map { "did you mean to override the inherited `\($0)`?" })
                continue
            }
            guard let type = resolve(written, at: p.at) else { continue }
            if p.clause == nil {
                error(.missingClause, p.at, "parameter `\(p.name)` needs `clause`: the guideline clause it comes from")
            }
            if p.label == nil { error(.missingLabel, p.at, "parameter `\(p.name)` needs `label` with `zh` and `en`") }
            let slot = declare("params." + p.name, type.celType, kind: .parameter)
            guard let literal = p.value else {
                error(.missingValue, p.at, "parameter `\(p.name)` needs `value`")
                continue
            }
            sourceMap.positions[.parameterValue(p.name)] = literal.at
            guard let v = typed(literal, valueType: type, what: "parameter `\(p.name)`") else { continue }
            initialValues[slot] = v
            let number: Double? =
                switch v {
                case .int(let i): Double(i)
                case .double(let d): d
                default: nil
                }
            if let min = p.min, let max = p.max, min > max {
                error(
                    .minAboveMax, p.at,
                    "parameter `\(p.name)` has `min` \(Self.format(min)) above `max` \(Self.format(max))")
            } else if let number {
                if let min = p.min, number < min {
                    error(
                        .outOfRange, literal.at,
                        "parameter `\(p.name)` is \(Self.format(number)), below its minimum \(Self.format(min))")
                }
                if let max = p.max, number > max {
                    error(
                        .outOfRange, literal.at,
                        "parameter `\(p.name)` is \(Self.format(number)), above its maximum \(Self.format(max))")
                }
            } else if p.min != nil || p.max != nil {
                error(.conflictingKeys, p.at, "`min` and `max` apply only to number parameters")
            }
            if let clause = p.clause, let label = p.label {
                parameterSnapshots.append(
                    ParameterSnapshot(
                        name: p.name, type: type, value: v, min: p.min, max: p.max, clause: clause, label: label))
            }
        }
    }

    /// A lone word where a value is expected (`then: two`, `then: "two"`) is
    /// read as a name: say how to write the value the rule's type wants.
    /// A lone identifier (`yes`, `maybe`), spaces around it allowed: no regex
    /// is built per expression (5,000 undeclared names are reported at once).
    static func isBareWord(_ text: String) -> Bool {
        let t = text.utf8.drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
        guard let first = t.first, first == UInt8(ascii: "_") || (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z")
        else { return false }
        return t.allSatisfy {
            $0 == UInt8(ascii: "_") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || (($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z"))
        }
    }

    static func bareWordHelp(_ expecting: CELType) -> String {
        switch expecting {
        case .int: return "a whole number (int) is expected here: write it in digits, e.g. `2`; a word is read as a name"
        case .double: return "a number is expected here: write it in digits, e.g. `2.5`; a word is read as a name"
        case .bool: return "`true` or `false` is expected here; a word is read as a name"
        case .string: return "to write text, quote it inside the expression, e.g. `\"'two'\"`; a bare word is read as a name"
        case .date: return "to write a fixed day, use `date('2026-01-31')`; a word is read as a name"
        default: return "\(TypeWords.noun(expecting)) is expected here; a word is read as a name"
        }
    }

    /// Why a scalar is not of the expected type, in the owner's terms.
    static func typeMismatch(what: String, type: ValueType, scalar s: Literal.Scalar) -> String {
        let numeric: Bool
        switch type {
        case .int, .double, .bool: numeric = true
        default: numeric = false
        }
        if numeric, s.isQuoted {
            return "\(what) must be \(TypeWords.noun(type.celType)), but `\(s.text)` is quoted, which makes it text: remove the quotes"
        }
        if type == .int, !s.isQuoted, s.text.wholeMatch(of: /[+-]?[0-9]+/) != nil {
            return "\(what) `\(s.text)` is out of the 64-bit integer range"
        }
        return "\(what) must be \(TypeWords.noun(type.celType)), not `\(s.text)`"
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    /// A literal read as the given type: where the value stands decides its type.
    private mutating func typed(_ literal: Literal, valueType: ValueType, what: String) -> CELValue? {
        switch valueType {
        case .list(let inner):
            guard case .list(let items) = literal.kind else {
                error(.typeMismatch, literal.at, "\(what) must be a list")
                return nil
            }
            var out: [CELValue] = []
            for item in items {
                guard let v = typed(item, valueType: inner, what: "an item of \(what)") else { return nil }
                out.append(v)
            }
            return .list(out)
        case .catalogList(let name):
            guard case .list(let v)? = typed(literal, valueType: .list(.string), what: what) else { return nil }
            // Each id must be an entry of the catalogue.
            if let entries = catalogs[name]?.entries.map(\.id), case .list(let items) = literal.kind {
                for (item, value) in zip(items, v) {
                    if case .string(let id) = value, !entries.contains(id) {
                        error(
                            .unknownCatalogEntry, item.at, "`\(id)` is not an entry of catalogue `\(name)`",
                            help: Suggest.help(for: id, in: entries))
                        return nil
                    }
                }
            }
            return .list(v)
        case .enumeration(let values, let of):
            guard case .string(let s)? = typed(literal, valueType: .string, what: what) else { return nil }
            guard values.contains(s) else {
                let whose = of.map { "a value of input `\($0)`" } ?? "one of its values"
                error(
                    .notAnEnumValue, literal.at, "`\(s)` (\(what)) is not \(whose)",
                    help: Suggest.help(for: s, in: values) ?? "values: " + values.joined(separator: ", "))
                return nil
            }
            return .string(s)
        case .named(let name):
            error(.unknownType, literal.at, "`\(name)` is not a type")
            return nil
        default:
            guard case .scalar(let s) = literal.kind else {
                error(.typeMismatch, literal.at, "\(what) must be a single value of type \(valueType)")
                return nil
            }
            switch valueType {
            case .bool:
                if !s.isQuoted, let b = s.bool { return .bool(b) }
            case .int:
                if !s.isQuoted, let i = s.int { return .int(i) }
            case .double:
                if !s.isQuoted, let d = s.double, d.isFinite { return .double(d) }
            case .string:
                if s.isQuoted || !s.isNull { return .string(s.text) }
            case .date:
                if let d = CELDate.parse(s.text) { return .date(d) }
            case .timestamp:
                if let t = CELTimestamp.parse(s.text) { return .timestamp(t) }
            case .list, .catalogList, .enumeration, .named:
                break
            }
            error(.typeMismatch, literal.at, Self.typeMismatch(what: what, type: valueType, scalar: s))
            return nil
        }
    }

    /// An input's default: read as its value type, then checked against the enum's values.
    private mutating func typed(_ literal: Literal, inputType: InputType, what: String) -> CELValue? {
        guard let valueType = inputType.valueType else {
            error(.typeMismatch, literal.at, "\(what) is not supported for an input of type \(inputType.name)")
            return nil
        }
        guard let v = typed(literal, valueType: valueType, what: what) else { return nil }
        if let (bad, values) = Self.outsideEnum(v, inputType) {
            error(
                .notAnEnumValue, literal.at, "\(what) `\(bad)` is not one of its values",
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

    // MARK: - Rule names

    /// Rule types with `of: NAME` resolved, by rule index.
    private var ruleTypes: [ValueType?] = []

    /// `of: NAME` read: a list of an enum input's values, or of a catalogue's ids.
    private mutating func resolve(_ t: ValueType, at: SourceRef) -> ValueType? {
        switch t {
        case .list(.named(let name)):
            if catalogs[name] != nil { return .catalogList(name) }
            if let input = policy.inputs.input(at: name), case .enumeration(let values) = input.type {
                return .list(.enumeration(values, of: name))
            }
            let enums = Self.enumInputs(policy.inputs)
            error(
                .unknownType, at, "`of: \(name)` names neither an enum input nor a catalogue",
                help: Suggest.help(for: name, in: enums + catalogs.keys.sorted())
                    ?? "enum inputs: \(enums.joined(separator: ", ")); catalogues: \(catalogs.keys.sorted().joined(separator: ", "))")
            return nil
        case .list(let inner):
            return resolve(inner, at: at).map(ValueType.list)
        case .named(let name):
            error(.unknownType, at, "`\(name)` is not a type")
            return nil
        default:
            return t
        }
    }

    static func enumInputs(_ fields: [InputDecl]) -> [String] {
        fields.flatMap { f -> [String] in
            if let children = f.fields { return enumInputs(children) }
            if case .enumeration = f.type { return [f.path] }
            return []
        }
    }

    private mutating func declareRules() -> [Int] {
        let inputNames = Set(policy.inputs.map(\.name))
        ruleTypes = policy.rules.map { r in r.type.flatMap { resolve($0, at: r.at) } }
        return policy.rules.enumerated().map { i, r in
            sourceMap.positions[.rule(r.name)] = r.at
            if inputNames.contains(r.name) {
                error(.nameClash, r.at, "rule `\(r.name)` has the name of an input; rename one of them")
            }
            if r.name == "params" {
                error(.reservedName, r.at, "`params` is reserved for parameters (`params.NAME`); rename the rule")
            }
            if CELNames.isReserved(r.name) {
                error(.reservedName, r.at, "`\(r.name)` is a reserved word in expressions; rename the rule")
            }
            return declare(r.name, ruleTypes[i]?.celType ?? .dyn, kind: .rule(-1))
        }
    }

    // MARK: - Rule bodies

    private mutating func compileRule(_ decl: RuleDecl, index: Int, slot: Int) -> (CompiledRule, RuleSnapshot)? {
        slotKinds[slot] = .rule(index)
        let what = "rule `\(decl.name)`"
        guard decl.type != nil else {
            if decl.typeInvalid { return nil }
            error(
                .missingType, decl.at, "\(what) needs `type`",
                help: policy.inherited.rule(near: decl.name).map { "did you mean to override the inherited `\($0)`?" })
            return nil
        }
        guard let type = ruleTypes[index] else { return nil }
        if decl.clause == nil {
            error(.missingClause, decl.at, "\(what) needs `clause`: the guideline clause it implements")
        }
        if decl.label == nil { error(.missingLabel, decl.at, "\(what) needs `label` with `zh` and `en`") }
        guard let body = decl.body else {
            error(.missingBody, decl.at, "\(what) needs one of `expr`, `table` or `items`")
            return nil
        }
        var compiled: (CompiledBody, RuleBodySnapshot)?
        switch body {
        case .expr(let e):
            if let p = expression(e, .expr(rule: decl.name), expecting: type.celType, what: "`expr` of \(what)") {
                compiled = (.expr(p), .expr(ExpressionText(source: e.text)))
            }
        case .table(let t):
            compiled = table(t, type: type, rule: decl.name).map { (.table($0.0), .table($0.1)) }
        case .items(let items):
            compiled = self.items(items, type: type, rule: decl).map { (.items($0.0), .items($0.1)) }
        }
        guard let (compiledBody, bodySnapshot) = compiled, let clause = decl.clause, let label = decl.label else {
            return nil
        }
        let decision = decl.decision ?? false
        return (
            CompiledRule(name: decl.name, slot: slot, type: type, isDecision: decision, body: compiledBody),
            RuleSnapshot(
                name: decl.name, type: type, decision: decision, clause: clause, label: label, body: bodySnapshot)
        )
    }

    /// Compiles one embedded expression; maps its diagnostics into the policy file.
    /// Compiles every distinct expression text of the rules on every core,
    /// into `programs`, once the environment is complete; the pass over the
    /// rules then finds them there (a text that fails is compiled again there,
    /// to report its diagnostics at their place).
    private mutating func precompile() {
        var texts: [String] = []
        var seen = Set<String>()
        func add(_ e: ExprSource?) {
            guard let e else { return }
            if seen.insert(e.text).inserted { texts.append(e.text) }
        }
        var estimate = 0
        for rule in policy.rules {
            if case .table(let t)? = rule.body { estimate += 2 * t.rows.count + 2 } else { estimate += 1 }
        }
        seen.reserveCapacity(estimate)
        texts.reserveCapacity(estimate)
        for rule in policy.rules {
            switch rule.body {
            case .expr(let e)?: add(e)
            case .table(let t)?:
                sourceMap.positions.reserve(rowsOf: rule.name, count: t.rows.count)
                sourceMap.expressions.reserve(rowsOf: rule.name, count: t.rows.count)
                for row in t.rows {
                    add(row.when)
                    add(row.then)
                }
                add(t.defaultRow?.when)
                add(t.defaultRow?.then)
                for gap in t.gaps { add(gap.when) }
            case .items(let items)?: for item in items { add(item.when) }
            case nil: break
            }
        }
        let workers = texts.count < 256 ? 1 : Threads.cores
        guard workers > 1 else { return }
        let env = self.env
        let all = texts
        let results = ResultSlots<[(String, CELProgram)]>(count: workers)
        Threads.concurrentPerform(iterations: workers) { w in
            var out: [(String, CELProgram)] = []
            var i = w
            while i < all.count {
                if case .success(let program) = env.compile(all[i]) { out.append((all[i], program)) }
                i += workers
            }
            results.set(w, out)
        }
        programs.reserveCapacity(programs.count + texts.count)
        for case let list? in results.values {
            for (text, program) in list { programs[text] = program }
        }
    }

    private mutating func expression(
        _ e: ExprSource, _ site: ExpressionSite, expecting: CELType?, what: @autoclosure () -> String
    ) -> CELProgram? {
        sourceMap.expressions[site] = e
        let program: CELProgram
        if let known = programs[e.text] {
            program = known
        } else {
            switch env.compile(e.text) {
            case .failure(let errors):
                for d in errors.diagnostics {
                    var help = d.help
                    if help == nil, d.kind == .undeclared, let expecting, Self.isBareWord(e.text) {
                        help = Self.bareWordHelp(expecting)
                    }
                    error(.expression(d.kind), e.ref(offset: d.offset, length: d.length), d.message, help: help)
                }
                return nil
            case .success(let compiled):
                programs[e.text] = compiled
                program = compiled
            }
        }
        if let expecting, !CELType.isAssignable(program.resultType, to: expecting) {
            error(
                .resultType, e.at,
                "\(what()) gives \(TypeWords.noun(program.resultType)), but \(TypeWords.noun(expecting)) is expected",
                help: "the rule's `type` says what it gives: change the expression, or the `type`")
            return nil
        }
        return program
    }

    private mutating func table(_ t: TableDecl, type: ValueType, rule: String) -> (CompiledTable, TableSnapshot)? {
        sourceMap.positions[.table(rule: rule)] = t.at
        var rowType = type.celType
        if t.hit == .collect {
            guard case .list(let inner) = rowType else {
                error(.tableShape, t.at, "a `collect` table gives a list: declare `\(rule)` as `type: list` with `of`")
                return nil
            }
            rowType = inner
            if let d = t.defaultRow {
                error(.tableShape, d.at, "a `collect` table has no `default`: it gives an empty list when no row matches")
            }
        }
        var ok = true
        var rows: [CompiledRow] = []
        var snapshots: [RowSnapshot] = []
        for (i, row) in t.rows.enumerated() {
            if let r = self.row(row, rule: rule, index: i, rowType: rowType, what: "row \(i + 1) of `\(rule)`") {
                rows.append(r.0)
                snapshots.append(r.1)
            } else {
                ok = false
            }
        }
        var defaultRow: (CompiledRow, RowSnapshot)?
        if let d = t.defaultRow {
            defaultRow = row(d, rule: rule, index: -1, rowType: rowType, what: "the default of `\(rule)`")
            if defaultRow == nil { ok = false }
        }
        for (i, gap) in t.gaps.enumerated() {
            if t.hit == .collect {
                error(.tableShape, gap.at, "a `collect` table has no gaps: it gives an empty list when no row matches")
                ok = false
                continue
            }
            if t.defaultRow != nil {
                error(.tableShape, gap.at, "a table with a `default` has no gaps: the default answers every other ticket")
                ok = false
                continue
            }
            guard
                let program = expression(
                    gap.when, .gap(rule: rule, gap: i), expecting: .bool, what: "`when` of gap \(i + 1) of `\(rule)`")
            else {
                ok = false
                continue
            }
            declaredGaps[rule, default: []].append(DeclaredGap(when: program, clause: gap.clause ?? [], at: gap.at))
        }
        guard ok else { return nil }
        return (
            CompiledTable(hit: t.hit, rows: rows, defaultRow: defaultRow?.0),
            TableSnapshot(hit: t.hit, rows: snapshots, defaultRow: defaultRow?.1)
        )
    }

    private mutating func row(
        _ row: RowDecl, rule: String, index: Int, rowType: CELType, what: @autoclosure () -> String
    ) -> (CompiledRow, RowSnapshot)? {
        sourceMap.positions[.row(rule: rule, row: index)] = row.at
        if row.clause == nil { error(.missingClause, row.at, "\(what()) needs `clause`") }
        var when: CELProgram?
        if let w = row.when {
            when = expression(w, .when(rule: rule, row: index), expecting: .bool, what: "`when` of \(what())")
            if when == nil { return nil }
        }
        guard
            let then = expression(row.then, .then(rule: rule, row: index), expecting: rowType, what: "`then` of \(what())"),
            let clause = row.clause
        else { return nil }
        return (
            CompiledRow(when: when, then: then),
            RowSnapshot(
                when: row.when.map { ExpressionText(source: $0.text) }, then: ExpressionText(source: row.then.text),
                clause: clause, label: row.label)
        )
    }

    private mutating func items(_ items: [ItemDecl], type: ValueType, rule: RuleDecl) -> ([CompiledItem], [ItemSnapshot])? {
        let catalog: CatalogDecl?
        switch type {
        case .catalogList(let name):
            catalog = catalogs[name]
            if catalog == nil {
                error(
                    .unknownCatalog, rule.at, "rule `\(rule.name)` lists ids of unknown catalogue `\(name)`",
                    help: Suggest.help(for: name, in: catalogs.keys.sorted()))
                return nil
            }
        case .list(.string):
            catalog = nil
        default:
            error(
                .itemsShape, rule.at,
                "a rule with `items` gives a list of ids: declare it `type: list` with `of` a catalogue")
            return nil
        }
        var seen: [String: SourceRef] = [:]
        var out: [CompiledItem] = []
        var snapshots: [ItemSnapshot] = []
        var ok = true
        for (i, item) in items.enumerated() {
            sourceMap.positions[.item(rule: rule.name, item: i)] = item.at
            if let first = seen[item.id] {
                error(
                    .duplicateItem, item.idAt,
                    "item `\(item.id)` is listed twice in `\(rule.name)` (first at line \(first.line))")
                ok = false
            }
            seen[item.id] = item.idAt
            if let catalog, !catalog.entries.contains(where: { $0.id == item.id }) {
                error(
                    .unknownCatalogEntry, item.idAt, "`\(item.id)` is not an entry of catalogue `\(catalog.name)`",
                    help: Suggest.help(for: item.id, in: catalog.entries.map(\.id)))
                ok = false
            }
            if item.clause == nil {
                error(.missingClause, item.at, "item `\(item.id)` of `\(rule.name)` needs `clause`")
            }
            guard
                let when = expression(
                    item.when, .item(rule: rule.name, item: i), expecting: .bool, what: "`when` of item `\(item.id)`"),
                let clause = item.clause
            else {
                ok = false
                continue
            }
            out.append(CompiledItem(id: item.id, when: when))
            snapshots.append(
                ItemSnapshot(id: item.id, when: ExpressionText(source: item.when.text), clause: clause, label: item.label))
        }
        return ok ? (out, snapshots) : nil
    }

    // MARK: - Catalogues and selectors

    private mutating func checkCatalogs() -> [CatalogSnapshot] {
        var out: [CatalogSnapshot] = []
        sourceMap.positions.reserve(more: policy.catalogs.reduce(0) { $0 + 1 + $1.entries.count })
        for c in policy.catalogs {
            sourceMap.positions[.catalog(c.name)] = c.at
            var entries: [CatalogEntrySnapshot] = []
            entries.reserveCapacity(c.entries.count)
            // Read in place: a catalogue of 100,000 entries copied each whole
            // entry (and retained all its strings) only to take five fields.
            c.entries.withUnsafeBufferPointer { decls in
                for i in decls.indices {
                    sourceMap.positions[.catalogEntry(catalog: c.name, id: decls[i].id)] = decls[i].at
                    if decls[i].label == nil {
                        error(
                            .missingLabel, decls[i].at,
                            "entry `\(decls[i].id)` of catalogue `\(c.name)` needs `label` with `zh` and `en`")
                    }
                    if decls[i].clause == nil {
                        error(.missingClause, decls[i].at, "entry `\(decls[i].id)` of catalogue `\(c.name)` needs `clause`")
                    }
                    if let label = decls[i].label, let clause = decls[i].clause {
                        entries.append(
                            CatalogEntrySnapshot(
                                id: decls[i].id, label: label, clause: clause, amount: decls[i].amount,
                                currency: decls[i].currency))
                    }
                }
            }
            out.append(CatalogSnapshot(name: c.name, entries: entries))
        }
        return out
    }

    private mutating func checkSelectors() -> [SelectorSnapshot] {
        guard let selectors = policy.appliesTo else {
            if !policy.abstract {
                error(
                    .missingAppliesTo, policy.nameAt,
                    "policy `\(policy.name)` needs `applies_to` (which tickets it answers), or `abstract: true` if it is only a base")
            }
            return []
        }
        if policy.abstract, let at = policy.appliesToAt {
            error(.abstractWithAppliesTo, at, "an abstract policy answers no ticket: remove `applies_to` or `abstract`")
        }
        for s in selectors {
            sourceMap.positions[.selector(s.key)] = s.keyAt
            guard let field = policy.inputs.input(at: s.key) else {
                error(
                    .selectorUnknownInput, s.keyAt, "`applies_to` names unknown input `\(s.key)`",
                    help: Suggest.help(for: s.key, in: policy.inputs.map(\.name)))
                continue
            }
            switch field.type {
            case .enumeration(let values):
                for v in s.values where !values.contains(v) {
                    error(
                        .selectorValue, s.at, "`\(v)` is not a value of input `\(s.key)`",
                        help: Suggest.help(for: v, in: values))
                }
            case .string:
                break
            default:
                error(.selectorType, s.keyAt, "`applies_to` selects on text inputs only; `\(s.key)` is \(field.type.name)")
            }
        }
        return selectors.map { SelectorSnapshot(key: $0.key, values: $0.values) }
    }

    /// For a dated policy (`effective_from` or `dated_by`), the input whose
    /// date chooses the version: `dated_by`, or `opened_at` by default; it
    /// must be a date or timestamp input.
    private mutating func checkDating() -> Dating? {
        guard policy.effectiveFrom != nil || policy.datedBy != nil, !policy.abstract else { return nil }
        let path = policy.datedBy ?? "opened_at"
        let at = policy.datedByAt ?? policy.effectiveFromAt ?? policy.nameAt
        guard let field = policy.inputs.input(at: path) else {
            if policy.datedBy == nil {
                error(
                    .datedBy, at,
                    "policy `\(policy.name)` takes effect on a date but declares no `opened_at` input: name the date input that chooses the version with `dated_by`")
            } else {
                error(
                    .datedBy, at, "`dated_by` names unknown input `\(path)`",
                    help: Suggest.help(for: path, in: Self.leafPaths(policy.inputs)))
            }
            return nil
        }
        switch field.type {
        case .date: return Dating(input: path, inputIsTimestamp: false, from: policy.effectiveFrom)
        case .timestamp: return Dating(input: path, inputIsTimestamp: true, from: policy.effectiveFrom)
        default:
            error(.datedBy, at, "`dated_by` must name a date or timestamp input; `\(path)` is \(field.type.name)")
            return nil
        }
    }

    static func leafPaths(_ fields: [InputDecl]) -> [String] {
        fields.flatMap { f in f.fields.map(leafPaths) ?? [f.path] }
    }

    // MARK: - The rule graph

    /// The longest chain of rules that depend on each other. Evaluation recurses
    /// along such a chain, so it is bounded to keep the stack safe.
    static let maxRuleChain = 200

    /// The rule graph, after reporting cycles (naming their path) and
    /// over-long dependency chains. Iterative, so a policy with a very long
    /// chain cannot exhaust the stack here either.
    private mutating func ruleGraph(_ rules: [CompiledRule]) -> RuleGraph? {
        var ruleOfSlot: [Int: Int] = [:]
        for (i, r) in rules.enumerated() { ruleOfSlot[r.slot] = i }
        var inputs: [[Int]] = []
        var parameters: [[Int]] = []
        var edges: [[Int]] = []
        for r in rules {
            var slots = Set<Int>()
            for (_, p) in r.body.programs { slots.formUnion(p.references) }
            let sorted = slots.sorted()
            inputs.append(sorted.filter { if case .input = slotKinds[$0] { true } else if case .group = slotKinds[$0] { true } else { false } })
            parameters.append(sorted.filter { if case .parameter = slotKinds[$0] { true } else { false } })
            edges.append(sorted.compactMap { ruleOfSlot[$0] })
        }
        var state = [UInt8](repeating: 0, count: rules.count)  // 0 new, 1 on the path, 2 done
        var depth = [Int](repeating: 1, count: rules.count)  // rules in the longest chain from here
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
                                .ruleCycle, policy.rules[m].at,
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
        if cyclic { return nil }
        if let deepest = depth.indices.max(by: { depth[$0] < depth[$1] }), depth[deepest] > Self.maxRuleChain {
            error(
                .ruleChainTooLong, policy.rules[deepest].at,
                "rule `\(rules[deepest].name)` starts a chain of \(depth[deepest]) rules that depend on each other; at most \(Self.maxRuleChain) are allowed (docs/limits.md)",
                help: "let rules read a shared intermediate rule instead of each the one before")
            return nil
        }
        return RuleGraph(inputs: inputs, parameters: parameters, rules: edges)
    }
}
