/// A part of a policy, named the way the snapshot names it, so that a
/// position, a trace event or a diff entry can point at it. Rows and items are
/// numbered from 0 in their table or list; row -1 is a table's `default`.
public enum PolicyElement: Hashable, Sendable {
    case policy
    case version
    case effectiveFrom
    case datedBy
    case title
    case appliesTo
    case selector(String)
    case input(String)
    /// Where an input's `default` value is written.
    case inputDefault(String)
    case parameter(String)
    /// Where a parameter's value is written (a base's file when an override leaves it alone).
    case parameterValue(String)
    /// Where a parameter is first declared (in the root-most file of the chain that has it).
    case parameterOrigin(String)
    case rule(String)
    case table(rule: String)
    case row(rule: String, row: Int)
    case item(rule: String, item: Int)
    case catalog(String)
    case catalogEntry(catalog: String, id: String)
}

/// An expression of a policy: a rule's `expr`, a row's `when` or `then`, an item's `when`.
public enum ExpressionSite: Hashable, Sendable {
    case expr(rule: String)
    case when(rule: String, row: Int)
    case then(rule: String, row: Int)
    case item(rule: String, item: Int)
    /// The `when` of a declared gap of a table (`gaps:`).
    case gap(rule: String, gap: Int)
}

/// Where each part of a resolved policy was written: kept beside the
/// position-free snapshot, keyed by the same names.
public struct PolicySourceMap: Sendable {
    /// The file of the policy itself (the leaf of its `extends` chain).
    public var file: String
    /// Policy names from the root base down to this policy.
    public var chain: [String]
    public var positions: [PolicyElement: SourceRef]
    /// Each expression's text as written, with what maps offsets inside it to the file.
    public var expressions: [ExpressionSite: ExprSource]

    public init(
        file: String, chain: [String], positions: [PolicyElement: SourceRef] = [:],
        expressions: [ExpressionSite: ExprSource] = [:]
    ) {
        self.file = file
        self.chain = chain
        self.positions = positions
        self.expressions = expressions
    }

    public subscript(_ element: PolicyElement) -> SourceRef? { positions[element] }
}
