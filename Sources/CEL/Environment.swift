// Public entry points: environment (declarations), programs and activations.

/// Supplies variable values by slot, possibly lazily.
public protocol CELActivation: AnyObject {
    func value(slot: Int) -> CELValue
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
        variables.append(Variable(name: name, type: type, allowedStrings: allowed))
        slotByName[name] = s
        return s
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
        var c = Compiler(env: self, checked: checked)
        let node = c.compile(ast)
        if !c.diagnostics.isEmpty {
            return .failure(CELDiagnostics(diagnostics: c.diagnostics))
        }
        return .success(CELProgram(
            source: source, resultType: checked ? node.type : .dyn, references: c.references.sorted(),
            canonicalText: Printer.print(ast), root: node.plan.eval, constant: node.plan.constant,
            localCount: c.localCount))
    }
}

/// Per-evaluation state: the activation and the comprehension variables.
struct Frame {
    let activation: any CELActivation
    var locals: ContiguousArray<CELValue>
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
    let root: Eval
    let constant: CELValue?
    let localCount: Int

    init(source: String, resultType: CELType, references: [Int], canonicalText: String, root: @escaping Eval,
         constant: CELValue?, localCount: Int) {
        self.source = source
        self.resultType = resultType
        self.references = references
        self.canonicalText = canonicalText
        self.root = root
        self.constant = constant
        self.localCount = localCount
    }

    /// Evaluates the program. Never traps; errors are returned as `.error` values.
    public func evaluate(_ activation: any CELActivation) -> CELValue {
        if let c = constant { return c }
        var f = Frame(
            activation: activation,
            locals: localCount == 0 ? [] : ContiguousArray(repeating: .null, count: localCount))
        return root(&f)
    }
}
