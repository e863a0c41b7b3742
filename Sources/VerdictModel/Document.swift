import CEL

// One policy file as written, before `extends` is resolved: what a decoder
// (YAML today) produces and the compiler reads. Every part keeps where it was
// written; values are still literals, expressions still text.

/// The type of a ticket input, as declared.
public indirect enum InputTypeDecl: Sendable {
    case bool, int, double, string, date, timestamp
    case enumeration([String])
    case list(InputTypeDecl)
    case object([InputDecl])

    /// The type without its object fields: what a leaf input binds as.
    public var shape: InputType {
        switch self {
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .date: .date
        case .timestamp: .timestamp
        case .enumeration(let v): .enumeration(v)
        case .list(let e): .list(e.shape)
        case .object: .object([])
        }
    }

    public var name: String { shape.name }
}

/// A tree of declared inputs, as written or resolved, searched by dotted path.
public protocol InputTreeNode {
    var name: String { get }
    /// The fields of an object input; nil for a leaf.
    var fields: [Self]? { get }
}

extension Array where Element: InputTreeNode {
    /// The input at a dotted path (`unit.installed_on`), or nil.
    public func input(at path: String) -> Element? {
        var parts = path.split(separator: ".").map(String.init)
        var current = self
        while !parts.isEmpty {
            let name = parts.removeFirst()
            guard let f = current.first(where: { $0.name == name }) else { return nil }
            if parts.isEmpty { return f }
            guard let children = f.fields else { return nil }
            current = children
        }
        return nil
    }
}

public struct InputDecl: Sendable, InputTreeNode {
    public var name: String
    /// Dotted from the root input: `unit.installed_on`.
    public var path: String
    public var type: InputTypeDecl
    public var optional: Bool
    public var defaultValue: Literal?
    public var min: Int64?
    public var max: Int64?
    /// For a list: the most items a ticket may give (`max_items`).
    public var maxItems: Int64?
    public var label: Label?
    /// Declared for the record: `check` does not warn when no rule reads it.
    public var informational: Bool = false
    public var at: SourceRef

    public init(
        name: String, path: String, type: InputTypeDecl, optional: Bool = false, defaultValue: Literal? = nil,
        min: Int64? = nil, max: Int64? = nil, label: Label? = nil, at: SourceRef
    ) {
        self.name = name
        self.path = path
        self.type = type
        self.optional = optional
        self.defaultValue = defaultValue
        self.min = min
        self.max = max
        self.label = label
        self.at = at
    }

    public var fields: [InputDecl]? {
        if case .object(let children) = type { return children }
        return nil
    }
}

public struct ParameterDecl: Sendable {
    public var name: String
    public var type: ValueType?
    public var value: Literal?
    public var min: Double?
    public var max: Double?
    public var clause: Clause?
    public var label: Label?
    /// A value of the guideline kept for the record (shown by `show`), which no rule need read.
    public var informational: Bool?
    /// `type` is written but could not be read (already reported): no "needs `type`" again.
    public var typeInvalid = false
    public var at: SourceRef

    public init(
        name: String, type: ValueType? = nil, value: Literal? = nil, min: Double? = nil, max: Double? = nil,
        clause: Clause? = nil, label: Label? = nil, at: SourceRef
    ) {
        self.name = name
        self.type = type
        self.value = value
        self.min = min
        self.max = max
        self.clause = clause
        self.label = label
        self.at = at
    }
}

public struct RowDecl: Sendable {
    public var when: ExprSource?
    public var then: ExprSource
    public var clause: Clause?
    public var label: Label?
    public var at: SourceRef

    public init(when: ExprSource?, then: ExprSource, clause: Clause? = nil, label: Label? = nil, at: SourceRef) {
        self.when = when
        self.then = then
        self.clause = clause
        self.label = label
        self.at = at
    }
}

public struct TableDecl: Sendable {
    public var hit: HitPolicy
    public var rows: [RowDecl]
    public var defaultRow: RowDecl?
    /// Tickets the table means to leave unanswered (`gaps:`): `check` lists
    /// them instead of warning about them.
    public var gaps: [GapDecl]
    public var at: SourceRef

    public init(hit: HitPolicy, rows: [RowDecl], defaultRow: RowDecl?, gaps: [GapDecl] = [], at: SourceRef) {
        self.hit = hit
        self.rows = rows
        self.defaultRow = defaultRow
        self.gaps = gaps
        self.at = at
    }
}

/// A declared gap of a table: the tickets `when` holds for are meant to
/// match no row, so that their answer stays undetermined.
public struct GapDecl: Sendable {
    public var when: ExprSource
    public var clause: Clause?
    public var label: Label?
    public var at: SourceRef

    public init(when: ExprSource, clause: Clause? = nil, label: Label? = nil, at: SourceRef) {
        self.when = when
        self.clause = clause
        self.label = label
        self.at = at
    }
}

public struct ItemDecl: Sendable {
    public var id: String
    public var idAt: SourceRef
    public var when: ExprSource
    public var clause: Clause?
    public var label: Label?
    public var at: SourceRef

    public init(id: String, idAt: SourceRef, when: ExprSource, clause: Clause? = nil, label: Label? = nil, at: SourceRef) {
        self.id = id
        self.idAt = idAt
        self.when = when
        self.clause = clause
        self.label = label
        self.at = at
    }
}

public enum RuleBodyDecl: Sendable {
    case expr(ExprSource)
    case table(TableDecl)
    case items([ItemDecl])
}

public struct RuleDecl: Sendable {
    public var name: String
    public var type: ValueType?
    public var decision: Bool?
    public var clause: Clause?
    public var label: Label?
    public var body: RuleBodyDecl?
    /// `type` is written but could not be read (already reported): no "needs `type`" again.
    public var typeInvalid = false
    public var at: SourceRef

    public init(
        name: String, type: ValueType? = nil, decision: Bool? = nil, clause: Clause? = nil, label: Label? = nil,
        body: RuleBodyDecl? = nil, at: SourceRef
    ) {
        self.name = name
        self.type = type
        self.decision = decision
        self.clause = clause
        self.label = label
        self.body = body
        self.at = at
    }
}

public struct CatalogEntryDecl: Sendable {
    public var id: String
    public var label: Label?
    public var clause: Clause?
    public var amount: Double?
    public var currency: String?
    /// An entry kept for the record, which no rule need list.
    public var informational: Bool = false
    public var at: SourceRef

    public init(
        id: String, label: Label? = nil, clause: Clause? = nil, amount: Double? = nil, currency: String? = nil,
        at: SourceRef
    ) {
        self.id = id
        self.label = label
        self.clause = clause
        self.amount = amount
        self.currency = currency
        self.at = at
    }
}

public struct CatalogDecl: Sendable {
    public var name: String
    public var entries: [CatalogEntryDecl]
    public var at: SourceRef

    public init(name: String, entries: [CatalogEntryDecl], at: SourceRef) {
        self.name = name
        self.entries = entries
        self.at = at
    }
}

/// One `applies_to` key: `market: [domestic, export]`.
public struct SelectorDecl: Sendable {
    public var key: String
    public var keyAt: SourceRef
    public var values: [String]
    public var at: SourceRef

    public init(key: String, keyAt: SourceRef, values: [String], at: SourceRef) {
        self.key = key
        self.keyAt = keyAt
        self.values = values
        self.at = at
    }
}

/// One policy file as written.
public struct PolicyDocument: Sendable {
    public var path: String
    public var name: String
    public var nameAt: SourceRef
    /// Free text naming this version (`2026.2`); shown in every answer.
    public var version: String?
    public var versionAt: SourceRef?
    /// The first day this version is in force; nil: from the beginning of time.
    public var effectiveFrom: CELDate?
    public var effectiveFromAt: SourceRef?
    /// The input whose date chooses the version in force for a ticket (default `opened_at`).
    public var datedBy: String?
    public var datedByAt: SourceRef?
    public var extends: String?
    public var extendsAt: SourceRef?
    public var abstract: Bool
    public var appliesTo: [SelectorDecl]?
    public var appliesToAt: SourceRef?
    public var title: Label?
    public var titleAt: SourceRef?
    /// The guideline sections the policy follows (`["4", "5", "6", "7.1", "8"]`):
    /// explanations cite only clauses within them.
    public var sections: [String]?
    public var inputs: [InputDecl]
    public var parameters: [ParameterDecl]
    public var rules: [RuleDecl]
    public var catalogs: [CatalogDecl]

    public init(path: String, name: String, nameAt: SourceRef) {
        self.path = path
        self.name = name
        self.nameAt = nameAt
        self.version = nil
        self.versionAt = nil
        self.effectiveFrom = nil
        self.effectiveFromAt = nil
        self.datedBy = nil
        self.datedByAt = nil
        self.extends = nil
        self.extendsAt = nil
        self.abstract = false
        self.appliesTo = nil
        self.appliesToAt = nil
        self.title = nil
        self.titleAt = nil
        self.sections = nil
        self.inputs = []
        self.parameters = []
        self.rules = []
        self.catalogs = []
    }
}
