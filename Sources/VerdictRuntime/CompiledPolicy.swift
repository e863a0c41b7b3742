import CEL
import VerdictModel

/// What a variable slot of a compiled policy holds.
public enum SlotKind: Sendable {
    /// A leaf input, bound from the ticket.
    case input
    /// An object input (`fault`): a map of its fields, built on demand, or null when the ticket omits it.
    case group(InputPlan.Group)
    /// A parameter: a constant of the policy.
    case parameter
    /// A rule, computed on demand, at most once per ticket.
    case rule(Int)
}

/// One row of a decision table; `when` is nil for the `default` row.
public final class CompiledRow: Sendable {
    public let when: CELProgram?
    public let then: CELProgram

    public init(when: CELProgram?, then: CELProgram) {
        self.when = when
        self.then = then
    }
}

public struct CompiledTable: Sendable {
    public var hit: HitPolicy
    public var rows: [CompiledRow]
    public var defaultRow: CompiledRow?

    public init(hit: HitPolicy, rows: [CompiledRow], defaultRow: CompiledRow?) {
        self.hit = hit
        self.rows = rows
        self.defaultRow = defaultRow
    }
}

/// One conditional item of a list rule: its id is in the list when `when` holds.
public final class CompiledItem: Sendable {
    public let id: String
    public let value: CELValue
    public let when: CELProgram

    public init(id: String, when: CELProgram) {
        self.id = id
        self.value = .string(id)
        self.when = when
    }
}

/// How a rule computes its value.
public enum CompiledBody: Sendable {
    case expr(CELProgram)
    case table(CompiledTable)
    case items([CompiledItem])

    /// Every expression of the body, with where it stands.
    public var programs: [(part: ExpressionRef.Part, program: CELProgram)] {
        switch self {
        case .expr(let p): return [(.expr, p)]
        case .table(let t):
            var out: [(ExpressionRef.Part, CELProgram)] = []
            for (i, row) in t.rows.enumerated() {
                if let w = row.when { out.append((.when(i), w)) }
                out.append((.then(i), row.then))
            }
            if let d = t.defaultRow { out.append((.then(-1), d.then)) }
            return out
        case .items(let items): return items.enumerated().map { (.item($0.offset), $0.element.when) }
        }
    }
}

/// A class, not a struct: the evaluator reads rules on the hot path and must
/// not copy (and retain) every field each time.
public final class CompiledRule: Sendable {
    public let name: String
    public let slot: Int
    public let type: ValueType
    public let celType: CELType
    public let isDecision: Bool
    public let body: CompiledBody
    /// Whether a result must be checked against `type` at run time: only when
    /// the checker could not prove it (an expression of type `dyn`).
    public let needsRuntimeCheck: Bool

    public init(name: String, slot: Int, type: ValueType, isDecision: Bool, body: CompiledBody) {
        self.name = name
        self.slot = slot
        self.type = type
        self.celType = type.celType
        self.isDecision = isDecision
        self.body = body
        self.needsRuntimeCheck =
            switch body {
            case .expr(let p): p.resultType.containsDyn
            case .table(let t):
                (t.rows + (t.defaultRow.map { [$0] } ?? [])).contains { $0.then.resultType.containsDyn }
            case .items: false
            }
    }

    /// The same rule with every expression planned to report its nodes to a tracer.
    func traced() -> CompiledRule {
        let body: CompiledBody =
            switch self.body {
            case .expr(let p): .expr(p.traced())
            case .table(let t):
                .table(
                    CompiledTable(
                        hit: t.hit, rows: t.rows.map { CompiledRow(when: $0.when?.traced(), then: $0.then.traced()) },
                        defaultRow: t.defaultRow.map { CompiledRow(when: nil, then: $0.then.traced()) }))
            case .items(let items): .items(items.map { CompiledItem(id: $0.id, when: $0.when.traced()) })
            }
        return CompiledRule(name: name, slot: slot, type: type, isDecision: isDecision, body: body)
    }
}

/// An expression of a compiled policy: a rule's `expr`, a row's `when` or
/// `then` (row -1 is the `default`), an item's `when`.
public struct ExpressionRef: Hashable, Sendable {
    public enum Part: Hashable, Sendable {
        case expr
        case when(Int)
        case then(Int)
        case item(Int)
    }
    /// Index into `CompiledPolicy.rules`.
    public var rule: Int
    public var part: Part

    public init(rule: Int, part: Part) {
        self.rule = rule
        self.part = part
    }
}

/// Which policy made an answer: what every answer line names.
public struct PolicyIdentity: Hashable, Sendable {
    public var name: String
    /// The version's name as its file declares it; nil when it declares none.
    public var version: String?
    /// `sha256:` of the canonical encoding of the policy's snapshot (docs/digest.md).
    public var digest: String

    public init(name: String, version: String? = nil, digest: String) {
        self.name = name
        self.version = version
        self.digest = digest
    }

    /// `export 2026.2`, or the name alone.
    public var description: String { version.map { "\(name) \($0)" } ?? name }
}

/// When a dated version of a policy is in force: from `from` (nil: from the
/// beginning of time) on the date of the ticket's `input` (a date, or a
/// timestamp's date in its own offset). The end is the next version's start,
/// set when the versions of a policy are put together.
public struct Dating: Sendable, Hashable {
    public var input: String
    public var inputIsTimestamp: Bool
    public var from: CELDate?

    public init(input: String, inputIsTimestamp: Bool, from: CELDate?) {
        self.input = input
        self.inputIsTimestamp = inputIsTimestamp
        self.from = from
    }
}

/// One `applies_to` key of a policy: the values it accepts, and the policy's
/// default for the input when a ticket leaves it out.
public struct PolicySelector: Sendable, Hashable {
    public var key: String
    public var values: [String]
    public var defaultValue: String?
    /// Every value the input declares (its enum), for the error line of a
    /// ticket with another one; nil for a text input.
    public var declared: [String]?

    public init(key: String, values: [String], defaultValue: String?, declared: [String]? = nil) {
        self.key = key
        self.values = values
        self.defaultValue = defaultValue
        self.declared = declared
    }
}

/// The rule graph: what each rule's expressions read, by kind. Kept after
/// the cycle check for `graph`, `diff` and impact analysis.
public struct RuleGraph: Sendable {
    /// For each rule, the input slots it reads directly (object inputs and fields).
    public var inputs: [[Int]]
    /// For each rule, the parameter slots it reads directly.
    public var parameters: [[Int]]
    /// For each rule, the rules it reads directly (indices into `rules`).
    public var rules: [[Int]]

    public init(inputs: [[Int]], parameters: [[Int]], rules: [[Int]]) {
        self.inputs = inputs
        self.parameters = parameters
        self.rules = rules
    }

    /// Every rule `rule` depends on, directly or not, in no particular order.
    public func ruleClosure(of rule: Int) -> Set<Int> {
        var seen: Set<Int> = []
        var stack = [rule]
        while let r = stack.popLast() {
            for d in rules[r] where seen.insert(d).inserted { stack.append(d) }
        }
        return seen
    }
}

/// One policy, parsed, checked and planned once; immutable and shared by every ticket.
public final class CompiledPolicy: Sendable {
    public let identity: PolicyIdentity
    public let selectors: [PolicySelector]
    /// Set for a policy with `effective_from` or `dated_by`: which tickets' dates it is in force for.
    public let dating: Dating?
    public let slotNames: [String]
    public let slotKinds: [SlotKind]
    /// Parameter values at their slots; `.null` elsewhere.
    public let initialValues: [CELValue]
    public let inputs: InputPlan
    public let rules: [CompiledRule]
    public let graph: RuleGraph
    /// The declarations expressions of this policy are checked against (for `verdict expr --policy`).
    public let environment: CELEnvironment
    /// Indices into `rules`, in declaration order.
    public let decisions: [Int]
    public let decisionByName: [String: Int]
    /// Slots of object inputs, which are built on demand.
    public let groupSlots: [Int]
    /// True when every expression reports its nodes to a tracer (`traced()`).
    public let tracesExpressions: Bool
    /// The steps one ticket's evaluation may take (`CELBudget`): a ticket that
    /// needs more gets the decisions that ran out undetermined.
    public let costLimit: Int

    public init(
        identity: PolicyIdentity, selectors: [PolicySelector], dating: Dating? = nil, slotNames: [String],
        slotKinds: [SlotKind], initialValues: [CELValue], inputs: InputPlan, rules: [CompiledRule], graph: RuleGraph,
        environment: CELEnvironment, tracesExpressions: Bool = false, costLimit: Int = CELCost.defaultLimit
    ) {
        self.costLimit = costLimit
        self.identity = identity
        self.selectors = selectors
        self.dating = dating
        self.slotNames = slotNames
        self.slotKinds = slotKinds
        self.initialValues = initialValues
        self.inputs = inputs
        self.rules = rules
        self.graph = graph
        self.environment = environment
        self.tracesExpressions = tracesExpressions
        self.decisions = rules.indices.filter { rules[$0].isDecision }
        var byName: [String: Int] = [:]
        for i in decisions { byName[rules[i].name] = i }
        self.decisionByName = byName
        self.groupSlots = slotKinds.indices.filter {
            if case .group = slotKinds[$0] { return true }
            return false
        }
    }

    public var name: String { identity.name }
    public var digest: String { identity.digest }

    /// The names of the decisions this policy answers, in declaration order.
    public var decisionNames: [String] { decisions.map { rules[$0].name } }

    /// The index of a rule (decision or not).
    public func ruleIndex(named name: String) -> Int? { rules.firstIndex { $0.name == name } }

    /// The same policy with every expression planned to report its nodes to a
    /// tracer: what coverage and recording tracers evaluate with. The plain
    /// policy stays as it is, so evaluation without them pays nothing.
    public func traced() -> CompiledPolicy {
        if tracesExpressions { return self }
        return CompiledPolicy(
            identity: identity, selectors: selectors, dating: dating, slotNames: slotNames, slotKinds: slotKinds,
            initialValues: initialValues, inputs: inputs, rules: rules.map { $0.traced() }, graph: graph,
            environment: environment, tracesExpressions: true, costLimit: costLimit)
    }
}
