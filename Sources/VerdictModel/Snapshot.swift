import CEL

/// Types a parameter or a rule can have.
public indirect enum ValueType: Hashable, Sendable, CustomStringConvertible {
    case bool, int, double, string, date, timestamp
    /// A list of ids from a catalogue (`of: forms`): a list of strings whose items must be catalogue entries.
    case catalogList(String)
    case list(ValueType)
    /// Text that must be one of `values`: an enum of its own (`type: enum`), or an
    /// input's (`of: fault.cause`, with `of` naming the input).
    case enumeration([String], of: String?)
    /// `of: NAME` as written, before the compiler knows whether NAME is an enum input or a catalogue.
    case named(String)

    public var description: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .double: "double"
        case .string: "string"
        case .date: "date"
        case .timestamp: "timestamp"
        case .catalogList(let c): "list of `\(c)` ids"
        case .list(let e): "list of \(e)"
        case .enumeration(let values, let of): of.map { "a value of `\($0)`" } ?? "one of \(values.joined(separator: ", "))"
        case .named(let n): "`\(n)`"
        }
    }

    /// The static type expressions see.
    public var celType: CELType {
        switch self {
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .date: .date
        case .timestamp: .timestamp
        case .catalogList: .list(.string)
        case .list(let e): .list(e.celType)
        case .enumeration: .string
        case .named: .dyn
        }
    }
}

/// What a decision table does with the rows whose condition holds.
public enum HitPolicy: String, Hashable, Sendable, CaseIterable {
    case first, unique, collect
}

/// The type of a ticket input.
public indirect enum InputType: Hashable, Sendable {
    case bool, int, double, string, date, timestamp
    case enumeration([String])
    case list(InputType)
    case object([InputSnapshot])

    public var name: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .double: "double"
        case .string: "string"
        case .date: "date"
        case .timestamp: "timestamp"
        case .enumeration: "enum"
        case .list(let e): "list of \(e.name)"
        case .object: "object"
        }
    }

    /// The value type a default of this input has: an enum is text; nil for
    /// objects (and lists of them), which have no defaults.
    public var valueType: ValueType? {
        switch self {
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string, .enumeration: .string
        case .date: .date
        case .timestamp: .timestamp
        case .list(let e): e.valueType.map(ValueType.list)
        case .object: nil
        }
    }

    /// The static type expressions see: an object is a map of its fields.
    public var celType: CELType {
        switch self {
        case .object: .map(.string, .dyn)
        case .list(let e): .list(e.celType)
        default: valueType?.celType ?? .dyn
        }
    }
}

// The resolved, effective policy (after `extends`) as a value: what it
// answers and how, with every part that can change an answer or its
// explanation, and nothing else (no positions, comments, key order, quoting,
// or the file a value came from: those are in `PolicySourceMap`). Two
// snapshots are equal exactly when the policies mean the same; the digest
// hashes its canonical encoding (docs/digest.md).

public struct InputSnapshot: Hashable, Sendable, InputTreeNode {
    public var name: String
    public var path: String
    public var type: InputType
    public var optional: Bool
    public var defaultValue: CELValue?
    public var min: Int64?
    public var max: Int64?
    /// For a list: the most items a ticket may give (`max_items`).
    public var maxItems: Int64? = nil
    public var label: Label?

    public init(
        name: String, path: String, type: InputType, optional: Bool, defaultValue: CELValue?, min: Int64?,
        max: Int64?, label: Label?
    ) {
        self.name = name
        self.path = path
        self.type = type
        self.optional = optional
        self.defaultValue = defaultValue
        self.min = min
        self.max = max
        self.label = label
    }

    public var fields: [InputSnapshot]? {
        if case .object(let children) = type { return children }
        return nil
    }
}

public struct ParameterSnapshot: Hashable, Sendable {
    public var name: String
    public var type: ValueType
    public var value: CELValue
    public var min: Double?
    public var max: Double?
    public var clause: Clause
    public var label: Label

    public init(
        name: String, type: ValueType, value: CELValue, min: Double?, max: Double?, clause: Clause, label: Label
    ) {
        self.name = name
        self.type = type
        self.value = value
        self.min = min
        self.max = max
        self.clause = clause
        self.label = label
    }
}

/// An expression by its meaning-bearing text: the source with layout
/// (whitespace runs, line breaks, comments) collapsed; see `CELSourceText`.
public struct ExpressionText: Hashable, Sendable, CustomStringConvertible {
    public var text: String

    public init(source: String) { self.text = CELSourceText.collapsingWhitespace(source) }

    public var description: String { text }
}

public struct RowSnapshot: Hashable, Sendable {
    /// Nil for a table's `default` row.
    public var when: ExpressionText?
    public var then: ExpressionText
    public var clause: Clause
    public var label: Label?

    public init(when: ExpressionText?, then: ExpressionText, clause: Clause, label: Label?) {
        self.when = when
        self.then = then
        self.clause = clause
        self.label = label
    }
}

public struct TableSnapshot: Hashable, Sendable {
    public var hit: HitPolicy
    public var rows: [RowSnapshot]
    public var defaultRow: RowSnapshot?

    public init(hit: HitPolicy, rows: [RowSnapshot], defaultRow: RowSnapshot?) {
        self.hit = hit
        self.rows = rows
        self.defaultRow = defaultRow
    }
}

public struct ItemSnapshot: Hashable, Sendable {
    public var id: String
    public var when: ExpressionText
    public var clause: Clause
    public var label: Label?

    public init(id: String, when: ExpressionText, clause: Clause, label: Label?) {
        self.id = id
        self.when = when
        self.clause = clause
        self.label = label
    }
}

public enum RuleBodySnapshot: Hashable, Sendable {
    case expr(ExpressionText)
    case table(TableSnapshot)
    case items([ItemSnapshot])
}

public struct RuleSnapshot: Hashable, Sendable {
    public var name: String
    public var type: ValueType
    public var decision: Bool
    public var clause: Clause
    public var label: Label
    public var body: RuleBodySnapshot

    public init(
        name: String, type: ValueType, decision: Bool, clause: Clause, label: Label, body: RuleBodySnapshot
    ) {
        self.name = name
        self.type = type
        self.decision = decision
        self.clause = clause
        self.label = label
        self.body = body
    }
}

public struct CatalogEntrySnapshot: Hashable, Sendable {
    public var id: String
    public var label: Label
    public var clause: Clause
    public var amount: Double?
    public var currency: String?

    public init(id: String, label: Label, clause: Clause, amount: Double?, currency: String?) {
        self.id = id
        self.label = label
        self.clause = clause
        self.amount = amount
        self.currency = currency
    }
}

public struct CatalogSnapshot: Hashable, Sendable {
    public var name: String
    /// In declaration order (bases first); the canonical encoding sorts them by id.
    public var entries: [CatalogEntrySnapshot]

    public init(name: String, entries: [CatalogEntrySnapshot]) {
        self.name = name
        self.entries = entries
    }
}

public struct SelectorSnapshot: Hashable, Sendable {
    /// An input path: `market`, `unit.model`.
    public var key: String
    /// The accepted values, in declaration order.
    public var values: [String]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }
}

public struct PolicySnapshot: Hashable, Sendable {
    public var name: String
    /// The version's own name, as the file declares it.
    public var version: String?
    /// The first day this version is in force; nil: from the beginning of time.
    public var effectiveFrom: CELDate?
    /// The input whose date chooses the version (set when the policy is dated).
    public var datedBy: String?
    public var title: Label?
    /// The guideline sections explanations cite from; nil: every clause.
    public var sections: [String]?
    /// Empty for an abstract policy.
    public var appliesTo: [SelectorSnapshot]
    public var inputs: [InputSnapshot]
    public var parameters: [ParameterSnapshot]
    /// In declaration order (bases first): the order decisions are answered in.
    public var rules: [RuleSnapshot]
    public var catalogs: [CatalogSnapshot]

    public init(
        name: String, version: String? = nil, effectiveFrom: CELDate? = nil, datedBy: String? = nil, title: Label?,
        sections: [String]? = nil, appliesTo: [SelectorSnapshot], inputs: [InputSnapshot],
        parameters: [ParameterSnapshot], rules: [RuleSnapshot], catalogs: [CatalogSnapshot]
    ) {
        self.name = name
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.datedBy = datedBy
        self.title = title
        self.sections = sections
        self.appliesTo = appliesTo
        self.inputs = inputs
        self.parameters = parameters
        self.rules = rules
        self.catalogs = catalogs
    }

    public func rule(named name: String) -> RuleSnapshot? { rules.first { $0.name == name } }

    /// The clauses of `clause` within the policy's `sections` (all of them
    /// when it has none, or when none is within): what its explanations cite.
    public func cited(_ clause: Clause) -> Clause {
        guard let sections else { return clause }
        let kept = clause.filter { c in sections.contains { c == $0 || c.hasPrefix($0 + ".") } }
        return kept.isEmpty ? clause : kept
    }
    public func parameter(named name: String) -> ParameterSnapshot? { parameters.first { $0.name == name } }
    public func catalog(named name: String) -> CatalogSnapshot? { catalogs.first { $0.name == name } }
}
