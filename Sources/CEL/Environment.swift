// Public entry points: environment (declarations), programs and activations.

/// Supplies variable values by slot, possibly lazily.
public protocol CELActivation: AnyObject {
    func value(slot: Int) -> CELValue
    /// `slot == null`: `true` or `false`, or the slot's error. An activation
    /// may answer without building the value (an object input is there or
    /// not, whatever its fields); the default reads it.
    func isNull(slot: Int) -> CELValue
    /// The steps evaluations against this activation share (one budget per
    /// ticket); nil gives each evaluation a budget of its own, of the default size.
    var budget: CELBudget? { get }
}

extension CELActivation {
    public var budget: CELBudget? { nil }

    public func isNull(slot: Int) -> CELValue { CELValue.comparedToNull(value(slot: slot)) }
}

extension CELValue {
    /// `v == null` by CEL's equality: an error stays the error.
    public static func comparedToNull(_ v: CELValue) -> CELValue {
        switch v {
        case .error: return v
        case .null: return .bool(true)
        default: return .bool(false)
        }
    }
}

/// A simple array-backed activation. Slots beyond the array yield a `missing` error.
public final class CELArrayActivation: CELActivation {
    // Reads happen on every variable access; skip dynamic exclusivity checks (the
    // activation is not meant to be mutated while an evaluation is running).
    @exclusivity(unchecked) public var values: [CELValue]
    public init(values: [CELValue]) { self.values = values }
    public func value(slot: Int) -> CELValue {
        slot >= 0 && slot < values.count ? values[slot] : .error(CELError(.missing, "no value for slot \(slot)"))
    }
}

/// Variable declarations. Each variable gets a dense slot index at declaration time.
public struct CELEnvironment: Sendable {
    struct Variable: Sendable {
        var name: String
        var type: CELType
        var allowedStrings: [String]?
    }
    var variables: [Variable] = []
    var slotByName: [String: Int] = [:]
    /// Set by `indexNames()` once every variable is declared: "did you mean"
    /// then looks only at names of about the right length.
    var nameIndex: Suggest.Index?

    public init() {}

    /// Declares a variable (possibly dotted, e.g. "unit.installed_on") and returns its
    /// slot. Declaring an existing name again updates its type and keeps its slot.
    @discardableResult
    public mutating func declare(variable name: String, type: CELType) -> Int {
        declare(name, type, nil)
    }

    /// Declares an enum-like string variable: comparing it with `==`, `!=` or `in` against
    /// a string literal outside `allowedStrings` is a check error.
    @discardableResult
    public mutating func declare(variable name: String, type: CELType, allowedStrings: [String]) -> Int {
        declare(name, type, allowedStrings)
    }

    private mutating func declare(_ name: String, _ type: CELType, _ allowed: [String]?) -> Int {
        if let s = slotByName[name] {
            variables[s].type = type
            variables[s].allowedStrings = allowed
            return s
        }
        let s = variables.count
        nameIndex = nil
        variables.append(Variable(name: name, type: type, allowedStrings: allowed))
        slotByName[name] = s
        return s
    }

    /// Indexes the declared names for suggestions; call once every variable
    /// is declared, before compiling many expressions (declaring another
    /// variable drops the index).
    public mutating func indexNames() {
        nameIndex = Suggest.Index(variables.map(\.name))
    }

    /// Variable names, indexed by slot.
    public var variableNames: [String] { variables.map(\.name) }

    /// The slot of a declared variable.
    public func slot(of name: String) -> Int? { slotByName[name] }

    /// The declared type of a slot.
    public func type(ofSlot slot: Int) -> CELType? {
        slot >= 0 && slot < variables.count ? variables[slot].type : nil
    }

    /// Parses, type-checks and plans an expression.
    public func compile(_ source: String) -> Result<CELProgram, CELDiagnostics> {
        build(source, checked: true)
    }

    /// Parses and plans without type checking: unresolved identifiers and unknown
    /// functions become run-time errors.
    public func compileUnchecked(_ source: String) -> Result<CELProgram, CELDiagnostics> {
        build(source, checked: false)
    }

    private func build(_ source: String, checked: Bool) -> Result<CELProgram, CELDiagnostics> {
        let ast: Expr
        switch Parser.parse(source) {
        case .failure(let d): return .failure(d)
        case .success(let e): ast = e
        }
        var c = Planner(env: self, checked: checked)
        let node = c.compile(ast)
        if !c.diagnostics.isEmpty {
            return .failure(CELDiagnostics(diagnostics: c.diagnostics))
        }
        return .success(CELProgram(
            source: source, resultType: checked ? node.type : .dyn, references: c.references.sorted(),
            canonicalText: Printer.print(ast), root: node.plan.eval, constant: node.plan.constant,
            localCount: c.localCount, ast: ast, env: self, checked: checked, nodes: []))
    }
}

/// Receives the value of every expression node a traced program evaluates
/// (see `CELProgram.traced()`). Node ids index `CELProgram.nodes`.
public protocol CELTracer: AnyObject {
    func celNode(_ id: Int, value: CELValue)
}

/// One node of a traced program: where it is in the source and how it relates
/// to the others, so that a coverage report can find the operands of `&&`,
/// `||` and `?:`.
public struct CELNodeInfo: Sendable, Hashable {
    /// Offset and length in Unicode scalars of the node's principal token.
    public var offset: Int
    public var length: Int
    /// The node this one is an operand or argument of.
    public var parent: Int?
    /// The function or operator a call node applies (`_&&_`, `_||_`, `_?_:_`, `size`…).
    public var function: String?
}

/// Per-evaluation state: the activation and the comprehension variables.
struct Frame {
    let activation: any CELActivation
    var locals: ContiguousArray<CELValue>
    /// Set only when a traced program runs with a tracer.
    let tracer: (any CELTracer)?
    /// Fetched by the first comprehension that runs (`steps()`), so that
    /// expressions without one pay nothing for it.
    var budget: CELBudget? = nil
}

typealias Eval = @Sendable (inout Frame) -> CELValue

/// A compiled expression. Immutable and thread-safe; evaluate it many times.
/// A class, so that holding or passing a program retains one reference
/// instead of copying (and retaining) each of its fields.
public final class CELProgram: Sendable {
    public let source: String
    /// The checked result type (`.dyn` when compiled unchecked).
    public let resultType: CELType
    /// Slots of the variables the expression references, sorted, unique.
    public let references: [Int]
    /// The syntax tree printed back in a canonical form (normalized spacing, minimal
    /// parentheses, strings double-quoted); stable across re-formatting of the source.
    public let canonicalText: String
    /// The nodes a traced program reports, by id; empty for an untraced one.
    public let nodes: [CELNodeInfo]
    let root: Eval
    let constant: CELValue?
    let localCount: Int
    /// Kept to plan a traced twin on request.
    let ast: Expr
    let env: CELEnvironment
    let checked: Bool

    init(source: String, resultType: CELType, references: [Int], canonicalText: String, root: @escaping Eval,
         constant: CELValue?, localCount: Int, ast: Expr, env: CELEnvironment, checked: Bool, nodes: [CELNodeInfo]) {
        self.source = source
        self.resultType = resultType
        self.references = references
        self.canonicalText = canonicalText
        self.root = root
        self.constant = constant
        self.localCount = localCount
        self.ast = ast
        self.env = env
        self.checked = checked
        self.nodes = nodes
    }

    /// Whether this program reports its nodes to a tracer.
    public var isTraced: Bool { !nodes.isEmpty }

    /// The same expression planned so that every node reports its value to the
    /// tracer given to `evaluate(_:tracer:)`. A separate plan, so that the
    /// untraced one pays nothing for tracing. Literals are not reported (they
    /// have no branches); constant folding is off so every operand is seen.
    public func traced() -> CELProgram {
        if isTraced { return self }
        var c = Planner(env: env, checked: checked, traced: true)
        let node = c.compile(ast)
        return CELProgram(
            source: source, resultType: resultType, references: references, canonicalText: canonicalText,
            root: node.plan.eval, constant: node.plan.constant, localCount: c.localCount, ast: ast, env: env,
            checked: checked, nodes: c.nodeInfos)
    }

    /// Evaluates the program. Never traps; errors are returned as `.error` values.
    public func evaluate(_ activation: any CELActivation) -> CELValue {
        if let c = constant { return c }
        var f = Frame(
            activation: activation,
            locals: localCount == 0 ? [] : ContiguousArray(repeating: .null, count: localCount), tracer: nil)
        return root(&f)
    }

    /// Evaluates the program, reporting node values to `tracer` when the
    /// program is traced (an untraced program ignores the tracer).
    public func evaluate(_ activation: any CELActivation, tracer: (any CELTracer)?) -> CELValue {
        if let c = constant { return c }
        var f = Frame(
            activation: activation,
            locals: localCount == 0 ? [] : ContiguousArray(repeating: .null, count: localCount), tracer: tracer)
        return root(&f)
    }
}
