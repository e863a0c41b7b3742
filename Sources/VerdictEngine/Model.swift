import VerdictYAML

// The policy model as written in one file, before `extends` is resolved.
// Every node keeps where it was written; positions stay out of the digest
// and out of any semantic comparison.

/// Where something was written: file and 1-based line and column (in Unicode scalars).
public struct SourceRef: Hashable, Sendable {
    public var file: String
    public var line: Int
    public var column: Int
    public var length: Int

    public init(file: String, line: Int, column: Int, length: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
        self.length = length
    }

    /// Where a YAML node stands; a one-line node is underlined whole.
    init(_ node: YAMLNode, file: String) {
        let s = node.span.start
        let e = node.span.end
        let length = e.line == s.line ? max(1, e.column - s.column) : 1
        self.init(file: file, line: s.line, column: s.column, length: length)
    }
}

public struct Label: Hashable, Sendable {
    public var zh: String
    public var en: String
}

/// A list of clause numbers of the guideline, e.g. ["7.1.6", "7.2.6"].
public typealias Clause = [String]

/// An embedded CEL expression and the YAML scalar it came from, so that a
/// position inside the expression maps back to the file.
struct ExprSource: Sendable {
    var text: String
    var scalar: YAMLScalar
    var file: String
    var at: SourceRef

    func ref(offset: Int, length: Int) -> SourceRef {
        let mark = scalar.mark(atOffset: offset)
        return SourceRef(file: file, line: mark.line, column: mark.column, length: length)
    }
}

/// The type of a ticket input.
indirect enum InputType: Sendable {
    case bool, int, double, string, date, timestamp
    case enumeration([String])
    case list(InputType)
    case object([InputField])

    var name: String {
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
}

extension InputType {
    /// The value type a default of this input has: an enum is text; nil for
    /// objects (and lists of them), which have no defaults.
    var valueType: ValueType? {
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
}

struct InputField: Sendable {
    var name: String
    var path: String
    var type: InputType
    var optional: Bool
    var defaultValue: YAMLNode?
    var min: Int64?
    var max: Int64?
    var label: Label?
    var at: SourceRef
}

/// Types a parameter or a rule can have.
indirect enum ValueType: Hashable, Sendable, CustomStringConvertible {
    case bool, int, double, string, date, timestamp
    /// A list of ids from a catalogue (`of: forms`): a list of strings whose items must be catalogue entries.
    case catalogList(String)
    case list(ValueType)

    var description: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .double: "double"
        case .string: "string"
        case .date: "date"
        case .timestamp: "timestamp"
        case .catalogList(let c): "list of `\(c)` ids"
        case .list(let e): "list of \(e)"
        }
    }
}

struct ParameterDecl: Sendable {
    var name: String
    var type: ValueType?
    var value: YAMLNode?
    /// The file `value` was written in (a base's, when an override leaves the value alone).
    var valueFile: String
    var min: Double?
    var max: Double?
    var clause: Clause?
    var label: Label?
    var at: SourceRef
}

enum HitPolicy: String, Sendable, CaseIterable {
    case first, unique, collect
}

struct RowDecl: Sendable {
    var when: ExprSource?
    var then: ExprSource
    var clause: Clause?
    var label: Label?
    var at: SourceRef
}

struct TableDecl: Sendable {
    var hit: HitPolicy
    var rows: [RowDecl]
    var defaultRow: RowDecl?
    var at: SourceRef
}

struct ItemDecl: Sendable {
    var id: String
    var idAt: SourceRef
    var when: ExprSource
    var clause: Clause?
    var label: Label?
    var at: SourceRef
}

enum RuleBody: Sendable {
    case expr(ExprSource)
    case table(TableDecl)
    case items([ItemDecl])
}

struct RuleDecl: Sendable {
    var name: String
    var type: ValueType?
    var decision: Bool?
    var clause: Clause?
    var label: Label?
    var body: RuleBody?
    var at: SourceRef
}

struct CatalogEntry: Sendable {
    var id: String
    var label: Label?
    var clause: Clause?
    var amount: Double?
    var currency: String?
    var at: SourceRef
}

struct CatalogDecl: Sendable {
    var name: String
    var entries: [CatalogEntry]
    var at: SourceRef
}

struct Selector: Sendable {
    var key: String
    var keyAt: SourceRef
    var values: [String]
    var at: SourceRef
}

/// One policy file as written.
struct PolicyFile: Sendable {
    var path: String
    var name: String
    var nameAt: SourceRef
    var extends: String?
    var extendsAt: SourceRef?
    var abstract: Bool
    var appliesTo: [Selector]?
    var appliesToAt: SourceRef?
    var title: Label?
    var inputs: [InputField]
    var parameters: [ParameterDecl]
    var rules: [RuleDecl]
    var catalogs: [CatalogDecl]
}
