import CEL

/// A CEL value compared strictly: by type and exact literal text, so that
/// `1` and `1.0`, two timestamps of one instant in different offsets, or two
/// strings that Swift deems canonically equivalent stay apart. Every error is
/// one value: which error a decision ends in never matters here (both sides
/// undetermined is agreement, whatever the reasons).
struct StrictValue: Hashable, Sendable, CustomStringConvertible {
    let value: CELValue
    /// The type and literal as UTF-8 bytes: `String`'s own equality would
    /// merge canonically equivalent texts, which CEL keeps apart.
    private let key: [UInt8]

    init(_ v: CELValue) {
        if case .error = v {
            value = StrictValue.errorValue
            key = Array("!error".utf8)
        } else {
            value = v
            key = Array((v.typeName + ":" + v.celLiteral).utf8)
        }
    }

    static let errorValue = CELValue.error(CELError(.other, "undetermined"))
    static let error = StrictValue(errorValue)

    var isError: Bool { value.isError }

    static func == (a: StrictValue, b: StrictValue) -> Bool { a.key == b.key }
    func hash(into h: inout Hasher) { h.combine(key) }
    var description: String { String(decoding: key, as: UTF8.self) }
}

/// One step a term takes from an input's value: the calendar date of a
/// timestamp, or a shift by a constant.
enum ChainOp: Hashable, Sendable {
    case toDate
    case addMonths(Int64)
    case addDays(Int64)
    case addHours(Int64)

    var text: String {
        switch self {
        case .toDate: "date()"
        case .addMonths(let k): ".addMonths(\(k))"
        case .addDays(let k): ".addDays(\(k))"
        case .addHours(let k): ".addHours(\(k))"
        }
    }
}

/// Appends a step, keeping chains in one normal form: shifts by zero vanish,
/// consecutive day (or hour) shifts merge, `date()` of a date is the date.
/// Month shifts never merge (`+1` then `+1` clamps differently from `+2`).
func appending(_ op: ChainOp, to chain: [ChainOp], leafIsDate: Bool) -> [ChainOp] {
    var c = chain
    switch op {
    case .toDate:
        if leafIsDate || c.contains(.toDate) { return c }
        c.append(.toDate)
    case .addMonths(let k):
        if k != 0 { c.append(op) }
    case .addDays(let k):
        if k == 0 { return c }
        if case .addDays(let j)? = c.last {
            let (s, o) = j.addingReportingOverflow(k)
            if !o {
                c.removeLast()
                if s != 0 { c.append(.addDays(s)) }
                return c
            }
        }
        c.append(op)
    case .addHours(let k):
        if k == 0 { return c }
        if case .addHours(let j)? = c.last {
            let (s, o) = j.addingReportingOverflow(k)
            if !o {
                c.removeLast()
                if s != 0 { c.append(.addHours(s)) }
                return c
            }
        }
        c.append(op)
    }
    return c
}

/// An input's value seen through a chain: `unit.installed_on.addMonths(3)`,
/// `date(opened_at)`. `leaf` indexes the merged input tree.
struct Term: Hashable, Sendable {
    var leaf: Int
    var chain: [ChainOp]
}

/// A value of the symbolic evaluation that depends on the ticket beyond its
/// class: the input's own value (a class that holds more than one value),
/// possibly shifted. `tuple` is the class of the input's component, so the
/// representative `rep` is fixed; comparisons on it are sound because the
/// classes were cut at every constant the term is compared with.
struct Sym: Hashable, Sendable {
    var leaf: Int
    var chain: [ChainOp]
    var tuple: Int
    var rep: StrictValue
}

/// What a diagram's path ends in.
enum Terminal: Hashable, Sendable {
    case value(StrictValue)
    case sym(Sym)
    /// The final comparison: 0 the versions agree, 1 they differ, 2 cannot tell.
    case mark(Int)

    static let error = Terminal.value(.error)
    static func of(_ v: CELValue) -> Terminal { .value(StrictValue(v)) }

    var isError: Bool {
        if case .value(let v) = self { return v.isError }
        return false
    }
}

/// A decision leaves the analysable fragment (or the diagram grows too big): why.
struct Unanalysable: Error, Sendable {
    var reason: String
}

/// The values of CEL's operators, applied to concrete values: each operator is
/// compiled once, unchecked, over placeholder variables, so its semantics are
/// exactly the evaluator's (errors as values, heterogeneous numbers, calendar).
final class ConcreteOps {
    private var programs: [String: CELProgram] = [:]
    private let env: CELEnvironment

    init() {
        var e = CELEnvironment()
        for i in 0..<4 { e.declare(variable: "a\(i)", type: .dyn) }
        env = e
    }

    /// The program text for an operator or function applied to `arity` placeholders.
    static func template(function: String, hasTarget: Bool, arity: Int) -> String? {
        let binary: [String: String] = [
            "_||_": "||", "_&&_": "&&", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=", "_==_": "==",
            "_!=_": "!=", "@in": "in", "_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/", "_%_": "%",
        ]
        if hasTarget {
            guard arity >= 1, arity <= 4 else { return nil }
            let args = (1..<arity).map { "a\($0)" }.joined(separator: ", ")
            return "a0.\(function)(\(args))"
        }
        if let sym = binary[function], arity == 2 { return "a0 \(sym) a1" }
        switch function {
        case "!_" where arity == 1: return "!a0"
        case "-_" where arity == 1: return "-a0"
        case "_[_]" where arity == 2: return "a0[a1]"
        case "_?_:_" where arity == 3: return "a0 ? a1 : a2"
        default:
            let isName =
                function.first.map { $0.isASCII && ($0.isLetter || $0 == "_") } == true
                && function.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            guard arity <= 4, isName else { return nil }
            return "\(function)(" + (0..<arity).map { "a\($0)" }.joined(separator: ", ") + ")"
        }
    }

    func apply(_ text: String, _ args: [CELValue]) -> CELValue {
        let program: CELProgram
        if let p = programs[text] {
            program = p
        } else {
            switch env.compileUnchecked(text) {
            case .success(let p):
                programs[text] = p
                program = p
            case .failure(let d):
                return .error(CELError(.other, d.description))
            }
        }
        return program.evaluate(CELArrayActivation(values: args))
    }

    func apply(function: String, hasTarget: Bool, _ args: [CELValue]) -> CELValue {
        guard let t = ConcreteOps.template(function: function, hasTarget: hasTarget, arity: args.count) else {
            return .error(CELError(.unboundFunction, "unbound function: \(function)"))
        }
        return apply(t, args)
    }

    /// A chain applied to a value (`nil` chain ops are impossible: every op is total).
    func apply(_ chain: [ChainOp], to v: CELValue) -> CELValue {
        var x = v
        for op in chain {
            switch op {
            case .toDate:
                if case .date = x { continue }
                x = apply("date(a0)", [x])
            case .addMonths(let k): x = apply("a0.addMonths(a1)", [x, .int(k)])
            case .addDays(let k): x = apply("a0.addDays(a1)", [x, .int(k)])
            case .addHours(let k): x = apply("a0.addHours(a1)", [x, .int(k)])
            }
        }
        return x
    }
}

/// `&&` and `||` on values, as the evaluator defines them: a deciding side
/// wins even over an error on the other.
enum Logic {
    static func and(_ l: CELValue, _ r: CELValue) -> CELValue {
        if case .bool(false) = l { return l }
        if case .bool(false) = r { return r }
        if case .bool(true) = l, case .bool(true) = r { return l }
        if case .error = l { return l }
        if case .bool = l, case .error = r { return r }
        return StrictValue.errorValue
    }

    static func or(_ l: CELValue, _ r: CELValue) -> CELValue {
        if case .bool(true) = l { return l }
        if case .bool(true) = r { return r }
        if case .bool(false) = l, case .bool(false) = r { return l }
        if case .error = l { return l }
        if case .bool = l, case .error = r { return r }
        return StrictValue.errorValue
    }
}

/// Saturating arithmetic for class counts.
enum Count {
    static func mul(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? Int.max : r
    }
    static func add(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? Int.max : r
    }
}
