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
    public var positions: ElementPositions
    /// Each expression's text as written, with what maps offsets inside it to the file.
    public var expressions: ExpressionSources

    public init(file: String, chain: [String]) {
        self.file = file
        self.chain = chain
        self.positions = ElementPositions()
        self.expressions = ExpressionSources()
    }

    public subscript(_ element: PolicyElement) -> SourceRef? { positions[element] }
}

/// Values numbered within a rule (a table's rows, a list's items, a table's
/// gaps): one array per rule, indexed from -1 (a table's `default`), instead
/// of one hashed entry per row: a 50,000-row table's positions take an array
/// of 50,000 instead of a hash table of twice as many buckets whose keys each
/// hold the rule's name.
public struct NumberedByRule<Value: Sendable>: Sendable {
    private var byRule: [String: [Value?]] = [:]

    public init() {}

    public subscript(rule: String, index: Int) -> Value? {
        get {
            guard let list = byRule[rule], index + 1 >= 0, index + 1 < list.count else { return nil }
            return list[index + 1]
        }
        set {
            guard index >= -1 else { return }
            byRule[rule, default: []].setGrowing(index + 1, newValue)
        }
    }

    /// Room for `count` values of `rule` (numbered -1 ..< count - 1).
    public mutating func reserve(rule: String, count: Int) {
        byRule[rule, default: []].reserveCapacity(count)
    }
}

extension Array {
    /// Sets element `i` of an array of optionals, growing it with nils up to `i` first.
    fileprivate mutating func setGrowing<T>(_ i: Int, _ value: T?) where Element == T? {
        if i >= count {
            if value == nil { return }
            append(contentsOf: repeatElement(nil, count: i - count + 1))
        }
        self[i] = value
    }
}

/// Where each element of a policy was written (`PolicySourceMap.positions`).
public struct ElementPositions: Sendable {
    private var named: [PolicyElement: SourceRef] = [:]
    private var rows = NumberedByRule<SourceRef>()
    private var items = NumberedByRule<SourceRef>()

    public init() {}

    public subscript(_ element: PolicyElement) -> SourceRef? {
        get {
            switch element {
            case .row(let rule, let row): return rows[rule, row]
            case .item(let rule, let item): return items[rule, item]
            default: return named[element]
            }
        }
        set {
            switch element {
            case .row(let rule, let row): rows[rule, row] = newValue
            case .item(let rule, let item): items[rule, item] = newValue
            default: named[element] = newValue
            }
        }
    }

    /// Room for `count` more elements that are neither rows nor items (catalogue entries).
    public mutating func reserve(more count: Int) { named.reserveCapacity(named.count + count) }

    /// Room for the rows of `rule`'s table (its default included).
    public mutating func reserve(rowsOf rule: String, count: Int) { rows.reserve(rule: rule, count: count + 1) }
}

/// Each expression of a policy as written (`PolicySourceMap.expressions`).
public struct ExpressionSources: Sendable {
    private var exprs: [String: ExprSource] = [:]
    private var whens = NumberedByRule<ExprSource>()
    private var thens = NumberedByRule<ExprSource>()
    private var items = NumberedByRule<ExprSource>()
    private var gaps = NumberedByRule<ExprSource>()

    public init() {}

    public subscript(_ site: ExpressionSite) -> ExprSource? {
        get {
            switch site {
            case .expr(let rule): return exprs[rule]
            case .when(let rule, let row): return whens[rule, row]
            case .then(let rule, let row): return thens[rule, row]
            case .item(let rule, let item): return items[rule, item]
            case .gap(let rule, let gap): return gaps[rule, gap]
            }
        }
        set {
            switch site {
            case .expr(let rule): exprs[rule] = newValue
            case .when(let rule, let row): whens[rule, row] = newValue
            case .then(let rule, let row): thens[rule, row] = newValue
            case .item(let rule, let item): items[rule, item] = newValue
            case .gap(let rule, let gap): gaps[rule, gap] = newValue
            }
        }
    }

    /// Room for the `when` and `then` of each row of `rule`'s table (its default included).
    public mutating func reserve(rowsOf rule: String, count: Int) {
        whens.reserve(rule: rule, count: count + 1)
        thens.reserve(rule: rule, count: count + 1)
    }
}
