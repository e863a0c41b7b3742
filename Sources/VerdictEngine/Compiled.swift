import CEL
import VerdictJSON

/// One `applies_to` key of a policy: the values it accepts, and the policy's
/// default for the input when a ticket leaves it out.
struct PolicySelector: Sendable {
    var key: String
    var values: [String]
    var defaultValue: String?
}

/// What a variable slot of a compiled policy holds.
enum SlotKind: Sendable {
    /// A leaf input, bound from the ticket.
    case input
    /// An object input (`fault`): a map of its fields, built on demand, or null when the ticket omits it.
    case group(InputPlan.Group)
    /// A parameter: a constant of the policy.
    case parameter
    /// A rule, computed on demand, at most once per ticket.
    case rule(Int)
}

/// How a rule computes its value.
enum CompiledBody: Sendable {
    case expr(CELProgram)
    case table(CompiledTable)
    case items([CompiledItem])
}

final class CompiledRow: Sendable {
    let when: CELProgram?
    let then: CELProgram
    let clause: Clause
    let label: Label?

    /// `,"when":…,"then":…,"clause":[…]` for `--explain`, encoded once.
    let explainJSON: [UInt8]

    init(when: CELProgram?, then: CELProgram, clause: Clause, label: Label?) {
        self.when = when
        self.then = then
        self.clause = clause
        self.label = label
        var w = JSONWriter(capacity: 128)
        if let when {
            w.raw(",\"when\":")
            w.string(when.source)
        }
        w.raw(",\"then\":")
        w.string(then.source)
        w.raw(",\"clause\":")
        w.strings(clause)
        self.explainJSON = w.bytes
    }
}

struct CompiledTable: Sendable {
    var hit: HitPolicy
    var rows: [CompiledRow]
    var defaultRow: CompiledRow?
}

final class CompiledItem: Sendable {
    let id: String
    let value: CELValue
    let when: CELProgram
    let clause: Clause

    /// `{"id":…,"when":…,"clause":[…]}` for `--explain`, encoded once.
    let explainJSON: [UInt8]

    init(id: String, value: CELValue, when: CELProgram, clause: Clause) {
        self.id = id
        self.value = value
        self.when = when
        self.clause = clause
        var w = JSONWriter(capacity: 128)
        w.raw("{\"id\":")
        w.string(id)
        w.raw(",\"when\":")
        w.string(when.source)
        w.raw(",\"clause\":")
        w.strings(clause)
        w.raw("}")
        self.explainJSON = w.bytes
    }
}

/// A class, not a struct: the evaluator reads rules on the hot path and must
/// not copy (and retain) every field each time.
final class CompiledRule: Sendable {
    let name: String
    let slot: Int
    let type: ValueType
    let celType: CELType
    let isDecision: Bool
    let clause: Clause
    let label: Label
    let body: CompiledBody
    /// `"name":` as JSON bytes, encoded once for the answer lines.
    let jsonKey: [UInt8]
    /// `"name":{"decision":…,"clause":[…],"label":{…}` and the body's static
    /// part (`,"expr":…` or `,"hit":…`) for `--explain`, encoded once.
    let explainHead: [UInt8]
    let explainBody: [UInt8]
    /// Whether a result must be checked against `type` at run time: only when
    /// the checker could not prove it (an expression of type `dyn`).
    let needsRuntimeCheck: Bool

    init(
        name: String, slot: Int, type: ValueType, celType: CELType, isDecision: Bool, clause: Clause, label: Label,
        body: CompiledBody
    ) {
        self.name = name
        self.slot = slot
        self.type = type
        self.celType = celType
        self.isDecision = isDecision
        self.clause = clause
        self.label = label
        self.body = body
        switch body {
        case .expr(let p): needsRuntimeCheck = p.resultType.containsDyn
        case .table(let t):
            needsRuntimeCheck = (t.rows + (t.defaultRow.map { [$0] } ?? [])).contains { $0.then.resultType.containsDyn }
        case .items: needsRuntimeCheck = false
        }
        var w = JSONWriter(capacity: name.utf8.count + 4)
        w.string(name)
        w.raw(":")
        self.jsonKey = w.bytes
        w.raw("{\"decision\":")
        w.bool(isDecision)
        w.raw(",\"clause\":")
        w.strings(clause)
        w.raw(",\"label\":{\"zh\":")
        w.string(label.zh)
        w.raw(",\"en\":")
        w.string(label.en)
        w.raw("}")
        self.explainHead = w.bytes
        w.bytes.removeAll(keepingCapacity: true)
        switch body {
        case .expr(let p):
            w.raw(",\"expr\":")
            w.string(p.source)
        case .table(let t):
            w.raw(",\"hit\":")
            w.string(t.hit.rawValue)
        case .items:
            break
        }
        self.explainBody = w.bytes
    }
}

/// One policy, parsed, checked and planned once; immutable and shared by every ticket.
public final class CompiledPolicy: Sendable {
    public let name: String
    /// `sha256:` of the policy's effective content (see `PolicyDigest`).
    public let digest: String
    /// The policy's effective content in canonical form: what the digest hashes.
    public let canonicalContent: String
    public let file: String
    let selectors: [PolicySelector]
    let slotNames: [String]
    let slotKinds: [SlotKind]
    /// Parameter values at their slots; `.null` elsewhere.
    let initialValues: [CELValue]
    let inputs: InputPlan
    let rules: [CompiledRule]
    /// The declarations expressions of this policy are checked against (for `verdict expr --policy`).
    let environment: CELEnvironment
    /// Indices into `rules`, in declaration order.
    let decisions: [Int]
    let decisionByName: [String: Int]
    /// Slots of object inputs, which are built on demand.
    let groupSlots: [Int]
    /// `,"policy":{"name":…,"digest":…}` as it ends every answer line, encoded once.
    let policyJSON: [UInt8]
    /// Each slot's name as a JSON key (`"unit.installed_on":`), for `--explain`.
    let slotKeys: [[UInt8]]

    init(
        name: String, digest: String, canonicalContent: String, file: String, selectors: [PolicySelector],
        slotNames: [String], slotKinds: [SlotKind], initialValues: [CELValue], inputs: InputPlan,
        rules: [CompiledRule], environment: CELEnvironment
    ) {
        self.environment = environment
        self.name = name
        self.digest = digest
        self.canonicalContent = canonicalContent
        self.file = file
        self.selectors = selectors
        self.slotNames = slotNames
        self.slotKinds = slotKinds
        self.initialValues = initialValues
        self.inputs = inputs
        self.rules = rules
        self.decisions = rules.indices.filter { rules[$0].isDecision }
        var byName: [String: Int] = [:]
        for i in decisions { byName[rules[i].name] = i }
        self.decisionByName = byName
        var p = JSONWriter(capacity: 128)
        p.raw(",\"policy\":{\"name\":")
        p.string(name)
        p.raw(",\"digest\":")
        p.string(digest)
        p.raw("}")
        self.policyJSON = p.bytes
        self.slotKeys = slotNames.map { name in
            var w = JSONWriter(capacity: name.utf8.count + 4)
            w.string(name)
            w.raw(":")
            return w.bytes
        }
        self.groupSlots = slotKinds.indices.filter {
            if case .group = slotKinds[$0] { return true }
            return false
        }
    }

    /// The names of the decisions this policy answers, in declaration order.
    public var decisionNames: [String] { decisions.map { rules[$0].name } }
}

extension JSONWriter {
    /// A JSON array of strings.
    mutating func strings(_ items: [String]) {
        raw("[")
        for (i, s) in items.enumerated() {
            if i > 0 { raw(",") }
            string(s)
        }
        raw("]")
    }
}

extension CELType {
    /// True when the type leaves something to run time (`dyn` anywhere inside).
    var containsDyn: Bool {
        switch self {
        case .dyn: return true
        case .list(let e): return e.containsDyn
        case .map(let k, let v): return k.containsDyn || v.containsDyn
        default: return false
        }
    }
}
