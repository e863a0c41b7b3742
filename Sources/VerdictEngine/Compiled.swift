import CEL

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

struct CompiledRow: Sendable {
    var when: CELProgram?
    var then: CELProgram
    var clause: Clause
    var label: Label?
}

struct CompiledTable: Sendable {
    var hit: HitPolicy
    var rows: [CompiledRow]
    var defaultRow: CompiledRow?
}

struct CompiledItem: Sendable {
    var id: String
    var value: CELValue
    var when: CELProgram
    var clause: Clause
}

struct CompiledRule: Sendable {
    var name: String
    var slot: Int
    var type: ValueType
    var celType: CELType
    var isDecision: Bool
    var clause: Clause
    var label: Label
    var body: CompiledBody
}

/// One policy, parsed, checked and planned once; immutable and shared by every ticket.
public final class CompiledPolicy: Sendable {
    public let name: String
    /// `sha256:` of the policy's effective content (see `PolicyDigest`).
    public let digest: String
    /// The policy's effective content in canonical form: what the digest hashes.
    public let canonicalContent: String
    public let file: String
    let selectors: [Selector]
    let slotNames: [String]
    let slotKinds: [SlotKind]
    /// Parameter values at their slots; `.null` elsewhere.
    let initialValues: [CELValue]
    let inputs: InputPlan
    let rules: [CompiledRule]
    /// Indices into `rules`, in declaration order.
    let decisions: [Int]
    let decisionByName: [String: Int]

    init(
        name: String, digest: String, canonicalContent: String, file: String, selectors: [Selector],
        slotNames: [String], slotKinds: [SlotKind], initialValues: [CELValue], inputs: InputPlan,
        rules: [CompiledRule]
    ) {
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
    }

    /// The names of the decisions this policy answers, in declaration order.
    public var decisionNames: [String] { decisions.map { rules[$0].name } }
}
