// Checker and planner in one pass over the syntax tree.
//
// Each expression is compiled to a closure `(inout Frame) -> CELValue` (cel-go's
// "interpretable" idea). Names are resolved here — variables to slots, comprehension
// variables to local indexes, functions to their implementations — so evaluation never
// looks anything up by string. Subtrees whose inputs are all constants are folded.
// In checked mode type errors are collected as diagnostics (the whole tree is checked);
// in unchecked mode the same problems surface as run-time error values.

struct Plan: Sendable {
    var eval: Eval
    var constant: CELValue?

    static func const(_ v: CELValue) -> Plan { Plan(eval: { _ in v }, constant: v) }
    static func dynamic(_ e: @escaping Eval) -> Plan { Plan(eval: e, constant: nil) }
}

struct Node {
    var type: CELType
    var plan: Plan
    /// Set when the node is a plain reference to a declared variable.
    var slot: Int? = nil
}

typealias Fn1 = @Sendable (CELValue) -> CELValue
typealias Fn2 = @Sendable (CELValue, CELValue) -> CELValue

enum Impl {
    case unary(Fn1)
    case binary(Fn2)
}

struct FunctionSpec {
    let overloads: [([CELType], CELType)]
    let impl: Impl
}

private let anyList = CELType.list(.dyn)
private let anyMap = CELType.map(.dyn, .dyn)

/// Global functions by "name/arity".
let globalFunctions: [String: FunctionSpec] = [
    "size/1": FunctionSpec(overloads: [([.string], .int), ([anyList], .int), ([anyMap], .int)], impl: .unary(fnSize)),
    "int/1": FunctionSpec(
        overloads: [([.int], .int), ([.double], .int), ([.string], .int), ([.timestamp], .int)], impl: .unary(fnInt)),
    "double/1": FunctionSpec(
        overloads: [([.int], .double), ([.double], .double), ([.string], .double)], impl: .unary(fnDouble)),
    "string/1": FunctionSpec(
        overloads: [
            ([.string], .string), ([.int], .string), ([.double], .string), ([.bool], .string), ([.date], .string),
            ([.timestamp], .string),
        ], impl: .unary(fnString)),
    "date/1": FunctionSpec(
        overloads: [([.string], .date), ([.timestamp], .date), ([.date], .date)], impl: .unary(fnDate)),
    "timestamp/1": FunctionSpec(
        overloads: [([.string], .timestamp), ([.timestamp], .timestamp)], impl: .unary(fnTimestamp)),
    "matches/2": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnMatches)),
    "contains/2": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnContains)),
    "startsWith/2": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnStartsWith)),
    "endsWith/2": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnEndsWith)),
    "dyn/1": FunctionSpec(overloads: [([.dyn], .dyn)], impl: .unary({ $0 })),
]

/// Member functions by "name/arity" (arity without the receiver); overload parameter
/// lists include the receiver first.
let memberFunctions: [String: FunctionSpec] = [
    "size/0": FunctionSpec(overloads: [([.string], .int), ([anyList], .int), ([anyMap], .int)], impl: .unary(fnSize)),
    "contains/1": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnContains)),
    "startsWith/1": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnStartsWith)),
    "endsWith/1": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnEndsWith)),
    "matches/1": FunctionSpec(overloads: [([.string, .string], .bool)], impl: .binary(fnMatches)),
    "addMonths/1": FunctionSpec(overloads: [([.date, .int], .date)], impl: .binary(fnAddMonths)),
    "addDays/1": FunctionSpec(overloads: [([.date, .int], .date)], impl: .binary(fnAddDays)),
    "addHours/1": FunctionSpec(overloads: [([.timestamp, .int], .timestamp)], impl: .binary(fnAddHours)),
    "daysUntil/1": FunctionSpec(overloads: [([.date, .date], .int)], impl: .binary(fnDaysUntil)),
    "year/0": FunctionSpec(overloads: [([.date], .int)], impl: .unary(fnYear)),
    "month/0": FunctionSpec(overloads: [([.date], .int)], impl: .unary(fnMonth)),
    "day/0": FunctionSpec(overloads: [([.date], .int)], impl: .unary(fnDay)),
]

private let macroNames: Set<String> = ["all", "exists", "exists_one", "map", "filter", "has"]

private let relationalOverloads: [([CELType], CELType)] = [
    ([.int, .int], .bool), ([.double, .double], .bool), ([.int, .double], .bool), ([.double, .int], .bool),
    ([.string, .string], .bool), ([.bool, .bool], .bool), ([.date, .date], .bool),
    ([.timestamp, .timestamp], .bool),
]

// MARK: Type relations

func joinTypes(_ a: CELType, _ b: CELType) -> CELType {
    if a == b { return a }
    switch (a, b) {
    case (.list(let x), .list(let y)): return .list(joinTypes(x, y))
    case (.map(let k1, let v1), .map(let k2, let v2)): return .map(joinTypes(k1, k2), joinTypes(v1, v2))
    default: return .dyn
    }
}

func isNumeric(_ t: CELType) -> Bool { t == .int || t == .double }

/// Whether `==` between the two types can ever be meaningful (null compares with anything).
func isComparable(_ a: CELType, _ b: CELType) -> Bool {
    if a == .dyn || b == .dyn || a == .null || b == .null { return true }
    if isNumeric(a) && isNumeric(b) { return true }
    switch (a, b) {
    case (.list(let x), .list(let y)): return isComparable(x, y)
    case (.map(let k1, let v1), .map(let k2, let v2)): return isComparable(k1, k2) && isComparable(v1, v2)
    default: return a == b
    }
}

func literalType(_ v: CELValue) -> CELType {
    switch v {
    case .null: return .null
    case .bool: return .bool
    case .int: return .int
    case .double: return .double
    case .string: return .string
    case .date: return .date
    case .timestamp: return .timestamp
    case .list: return .list(.dyn)
    case .map: return .map(.dyn, .dyn)
    case .error: return .dyn
    }
}

// MARK: Planner

struct Planner {
    let env: CELEnvironment
    let checked: Bool
    /// Plan every node to report its value to the frame's tracer.
    let traced: Bool
    var diagnostics: [CELDiagnostic] = []
    var references = Set<Int>()
    var scopes: [(name: String, index: Int, type: CELType)] = []
    var localCount = 0
    /// Traced plans only: the nodes, by id, and the ids of the nodes being compiled.
    var nodeInfos: [CELNodeInfo] = []
    private var parents: [Int] = []

    init(env: CELEnvironment, checked: Bool, traced: Bool = false) {
        self.env = env
        self.checked = checked
        self.traced = traced
    }

    mutating func report(_ msg: String, _ e: Expr, help: String? = nil, kind: CELDiagnostic.Kind = .type) {
        report(msg, offset: e.offset, length: e.length, help: help, kind: kind)
    }

    mutating func report(
        _ msg: String, offset: Int, length: Int, help: String? = nil, kind: CELDiagnostic.Kind = .type
    ) {
        guard checked else { return }
        diagnostics.append(
            CELDiagnostic(message: msg, offset: offset, length: max(1, length), help: help, kind: kind))
    }

    func errorNode(_ code: CELError.Code, _ msg: String) -> Node {
        Node(type: .dyn, plan: .const(.error(CELError(code, msg))))
    }

    mutating func compile(_ e: Expr) -> Node {
        guard traced else { return compileNode(e) }
        let id = nodeInfos.count
        var function: String?
        if case .call(_, let name, _) = e.kind { function = name }
        nodeInfos.append(CELNodeInfo(offset: e.offset, length: e.length, parent: parents.last, function: function))
        parents.append(id)
        var node = compileNode(e)
        parents.removeLast()
        if case .literal = e.kind { return node }
        let inner = node.plan.eval
        node.plan = .dynamic { f in
            let v = inner(&f)
            f.tracer?.celNode(id, value: v)
            return v
        }
        return node
    }

    mutating func compileNode(_ e: Expr) -> Node {
        switch e.kind {
        case .literal(let v):
            return Node(type: literalType(v), plan: .const(v))
        case .uintLiteral:
            report("unsigned integer literals are not supported", e)
            return errorNode(.invalidArgument, "unsigned integers are not supported")
        case .ident(let name):
            return compileIdent(name, e)
        case .select(let operand, let field):
            return compileSelect(operand, field, e)
        case .call(let target, let name, let args):
            return compileCall(e, target, name, args)
        case .list(let items):
            return compileList(items)
        case .map(let entries):
            return compileMap(entries)
        }
    }

    mutating func compileIdent(_ name: String, _ e: Expr) -> Node {
        if let local = scopes.last(where: { $0.name == name }) {
            return localNode(local.index, local.type)
        }
        if let slot = env.slotByName[name] { return variableNode(slot) }
        return undeclared(name, offset: e.offset, length: e.length)
    }

    mutating func compileSelect(_ operand: Expr, _ field: String, _ e: Expr) -> Node {
        if let chain = qualifiedChain(e) {
            return compileQualified(chain, e)
        }
        return selectOn(compile(operand), field, e)
    }

    func localNode(_ index: Int, _ type: CELType) -> Node {
        Node(type: type, plan: .dynamic { f in f.locals[index] })
    }

    mutating func variableNode(_ slot: Int) -> Node {
        references.insert(slot)
        return Node(
            type: env.variables[slot].type, plan: .dynamic { f in f.activation.value(slot: slot) }, slot: slot)
    }

    /// The names "did you mean" looks at for `name`.
    func candidateNames(near name: String) -> [String] {
        let declared = env.nameIndex?.near(name, lastSegment: true) ?? env.variables.map(\.name)
        return declared + scopes.map(\.name)
    }

    mutating func undeclared(_ name: String, offset: Int, length: Int) -> Node {
        report(
            LookAlike.note("undeclared reference to `\(name)`", name), offset: offset, length: length,
            help: Suggest.help(for: name, in: candidateNames(near: name), lastSegment: true), kind: .undeclared)
        return errorNode(.undeclaredReference, "undeclared reference to '\(name)' (in container '')")
    }

    /// The chain ident, select, select, ... when `e` is a qualified name whose root is not
    /// a comprehension variable.
    func qualifiedChain(_ e: Expr) -> [Expr]? {
        var chain: [Expr] = []
        var cur = e
        while case .select(let operand, _) = cur.kind {
            chain.append(cur)
            cur = operand
        }
        guard case .ident(let root) = cur.kind, !scopes.contains(where: { $0.name == root }) else { return nil }
        chain.append(cur)
        return chain.reversed()
    }

    func segmentName(_ e: Expr) -> String {
        switch e.kind {
        case .ident(let n): return n
        case .select(_, let f): return f
        default: return ""
        }
    }

    /// Longest declared prefix wins (langdef "Name Resolution").
    mutating func compileQualified(_ chain: [Expr], _ e: Expr) -> Node {
        let segs = chain.map(segmentName)
        for k in stride(from: segs.count, to: 0, by: -1) {
            let name = segs[0..<k].joined(separator: ".")
            if let slot = env.slotByName[name] {
                if k < segs.count {
                    checkSiblingTypo(name, segs[k], offset: chain[0].offset, end: chain[k].offset + chain[k].length)
                }
                var node = variableNode(slot)
                for j in k..<chain.count {
                    node = selectOn(node, segs[j], chain[j])
                }
                return node
            }
        }
        let start = chain[0].offset
        return undeclared(segs.joined(separator: "."), offset: start, length: e.offset + e.length - start)
    }

    /// `unit` and `unit.installed_on` are both declared and the source says
    /// `unit.instaled_on`: almost certainly a typo rather than a map key, so report it.
    mutating func checkSiblingTypo(_ prefix: String, _ field: String, offset: Int, end: Int) {
        guard checked else { return }
        let dotted = prefix + "."
        let siblings = env.variables.compactMap { v -> String? in
            guard v.name.hasPrefix(dotted) else { return nil }
            return v.name.dropFirst(dotted.count).split(separator: ".").first.map(String.init)
        }
        guard !siblings.isEmpty, !siblings.contains(field), Suggest.closest(to: field, in: siblings) != nil else { return }
        let full = dotted + field
        report(
            "undeclared reference to `\(full)`", offset: offset, length: end - offset,
            help: Suggest.help(for: full, in: siblings.map { dotted + $0 }, lastSegment: true), kind: .undeclared)
    }

    mutating func selectOn(_ base: Node, _ field: String, _ e: Expr) -> Node {
        var type = CELType.dyn
        switch base.type {
        case .map(let k, let v):
            if k == .string || k == .dyn {
                type = v
            } else {
                report("type `\(base.type)` has no field `\(field)` (its keys are not strings)", e)
            }
        case .dyn: break
        default:
            report("type `\(base.type)` does not support field selection", e)
        }
        let key = CELMapKey.string(ScalarString(field))
        if let c = base.plan.constant { return Node(type: type, plan: .const(selectField(c, key, field))) }
        let b = base.plan.eval
        return Node(type: type, plan: .dynamic { f in selectField(b(&f), key, field) })
    }

    // MARK: Literals

    mutating func compileList(_ items: [Expr]) -> Node {
        let nodes = items.map { compile($0) }
        var elem: CELType? = nil
        for n in nodes { elem = elem.map { joinTypes($0, n.type) } ?? n.type }
        let type = CELType.list(elem ?? .dyn)
        if nodes.allSatisfy({ $0.plan.constant != nil }) {
            var out: [CELValue] = []
            out.reserveCapacity(nodes.count)
            for n in nodes {
                guard let v = n.plan.constant else { continue }
                if case .error = v { return Node(type: type, plan: .const(v)) }
                out.append(v)
            }
            return Node(type: type, plan: .const(.list(out)))
        }
        let evals = nodes.map(\.plan.eval)
        return Node(type: type, plan: .dynamic { f in
            var out: [CELValue] = []
            out.reserveCapacity(evals.count)
            for ev in evals {
                let v = ev(&f)
                if case .error = v { return v }
                out.append(v)
            }
            return .list(out)
        })
    }

    static func buildMap(_ kvs: [(CELValue, CELValue)]) -> CELValue {
        var m = CELMap()
        for (k, v) in kvs {
            if case .error = k { return k }
            if case .error = v { return v }
            do throws(CELError) {
                try m.insert(key: k, value: v)
            } catch {
                return .error(error)
            }
        }
        return .map(m)
    }

    mutating func compileMap(_ entries: [(Expr, Expr)]) -> Node {
        var nodes: [(Node, Node)] = []
        for (k, v) in entries { nodes.append((compile(k), compile(v))) }
        var kt: CELType? = nil, vt: CELType? = nil
        for (k, v) in nodes {
            kt = kt.map { joinTypes($0, k.type) } ?? k.type
            vt = vt.map { joinTypes($0, v.type) } ?? v.type
        }
        for ((k, _), (ke, _)) in zip(nodes, entries) {
            switch k.type {
            case .int, .string, .bool, .dyn: break
            default: report("unsupported map key type `\(k.type)`", ke)
            }
        }
        let type = CELType.map(kt ?? .dyn, vt ?? .dyn)
        if nodes.allSatisfy({ $0.0.plan.constant != nil && $0.1.plan.constant != nil }) {
            let kvs = nodes.compactMap { n -> (CELValue, CELValue)? in
                guard let k = n.0.plan.constant, let v = n.1.plan.constant else { return nil }
                return (k, v)
            }
            return Node(type: type, plan: .const(Planner.buildMap(kvs)))
        }
        let evals = nodes.map { ($0.0.plan.eval, $0.1.plan.eval) }
        return Node(type: type, plan: .dynamic { f in
            var m = CELMap()
            for (ke, ve) in evals {
                let k = ke(&f)
                if case .error = k { return k }
                let v = ve(&f)
                if case .error = v { return v }
                do throws(CELError) {
                    try m.insert(key: k, value: v)
                } catch {
                    return .error(error)
                }
            }
            return .map(m)
        })
    }

    // MARK: Calls

    func apply1(_ a: Node, _ fn: @escaping Fn1) -> Plan {
        if let c = a.plan.constant { return .const(fn(c)) }
        let ae = a.plan.eval
        return .dynamic { f in fn(ae(&f)) }
    }

    func apply2(_ a: Node, _ b: Node, _ fn: @escaping Fn2) -> Plan {
        if let x = a.plan.constant, let y = b.plan.constant { return .const(fn(x, y)) }
        let ae = a.plan.eval, be = b.plan.eval
        if let y = b.plan.constant { return .dynamic { f in fn(ae(&f), y) } }
        return .dynamic { f in
            let x = ae(&f)
            return fn(x, be(&f))
        }
    }

    /// Reports arguments no overload accepts, in the owner's words (`TypeWords`).
    mutating func mismatch(
        _ e: Expr, _ fn: String, _ args: [CELType], overloads: [([CELType], CELType)] = [], isMethod: Bool = false
    ) {
        let (message, help) = TypeWords.mismatch(fn, args, overloads: overloads, isMethod: isMethod)
        report(message, e, help: help)
    }

    /// Overload resolution: the result type of the matching overloads (dyn when they
    /// disagree); reports a diagnostic when none matches.
    mutating func resolve(
        _ e: Expr, _ display: String, _ args: [CELType], _ overloads: [([CELType], CELType)], isMethod: Bool = false
    ) -> CELType {
        // The result type of the overloads the arguments fit, `dyn` when they
        // disagree; scanned without building the list (every operator of
        // every expression of a policy comes here).
        var first: CELType?
        var disagree = false
        for (params, result) in overloads where params.count == args.count {
            var fits = true
            for k in args.indices where !CELType.isAssignable(args[k], to: params[k]) {
                fits = false
                break
            }
            guard fits else { continue }
            if let f = first {
                if !disagree, f != result { disagree = true }
            } else {
                first = result
            }
        }
        guard let first else {
            mismatch(e, display, args, overloads: overloads, isMethod: isMethod)
            return .dyn
        }
        return disagree ? .dyn : first
    }

    // The compile functions recurse once per tree level; each case lives in its own small
    // function so that a level costs little stack, even in debug builds.

    mutating func compileCall(_ e: Expr, _ target: Expr?, _ name: String, _ args: [Expr]) -> Node {
        if target == nil, let node = compileOperator(e, name, args) { return node }
        if let t = target, ["all", "exists", "exists_one", "filter", "map"].contains(name),
           args.count == 2 || (args.count == 3 && name == "map")
        {
            return compileComprehension(e, name, t, args)
        }
        let key = "\(name)/\(args.count)"
        guard let spec = target == nil ? globalFunctions[key] : memberFunctions[key] else {
            return unknownFunction(e, target, name, args)
        }
        return compileFunction(e, target, name, args, spec)
    }

    mutating func compileOperator(_ e: Expr, _ name: String, _ args: [Expr]) -> Node? {
        switch name {
        case "has" where args.count == 1: return compileHas(e, args[0])
        case "_&&_", "_||_": return compileLogic(e, name == "_&&_", args)
        case "_?_:_": return compileConditional(e, args)
        case "!_", "-_": return compileUnary(e, name, args)
        case "_+_": return compileAdd(e, args)
        case "_-_", "_*_", "_/_", "_%_": return compileArithmetic(e, name, args)
        case "_==_", "_!=_": return compileEquality(e, name, args)
        case "_<_", "_<=_", "_>_", "_>=_": return compileRelational(e, name, args)
        case "@in": return compileIn(e, args)
        case "_[_]": return compileIndex(e, args)
        default: return nil
        }
    }

    mutating func compileUnary(_ e: Expr, _ name: String, _ args: [Expr]) -> Node {
        let a = compile(args[0])
        if name == "!_" {
            let t = resolve(e, "!_", [a.type], [([.bool], .bool)])
            return Node(type: t, plan: apply1(a, opNot))
        }
        let t = resolve(e, "-_", [a.type], [([.int], .int), ([.double], .double)])
        return Node(type: t, plan: apply1(a, opNeg))
    }

    mutating func compileArithmetic(_ e: Expr, _ name: String, _ args: [Expr]) -> Node {
        let a = compile(args[0]), b = compile(args[1])
        let ov: [([CELType], CELType)] =
            name == "_%_" ? [([.int, .int], .int)] : [([.int, .int], .int), ([.double, .double], .double)]
        let t = resolve(e, name, [a.type, b.type], ov)
        let fn: Fn2 = name == "_-_" ? opSub : name == "_*_" ? opMul : name == "_/_" ? opDiv : opMod
        return Node(type: t, plan: apply2(a, b, fn))
    }

    mutating func compileEquality(_ e: Expr, _ name: String, _ args: [Expr]) -> Node {
        let a = compile(args[0]), b = compile(args[1])
        if !isComparable(a.type, b.type) {
            mismatch(e, "\(name)", [a.type, b.type])
        }
        checkAllowed(a, args[1])
        checkAllowed(b, args[0])
        // A variable against `null` asks the activation, which can answer
        // without building the value (`fault != null` built the map of an
        // object input's fields only to compare it). Traced plans keep the
        // general form: their events report the variable's value.
        if !traced, let slot = a.slot ?? b.slot, case .null? = (a.slot == nil ? a : b).plan.constant {
            if name == "_==_" { return Node(type: .bool, plan: .dynamic { f in f.activation.isNull(slot: slot) }) }
            return Node(type: .bool, plan: .dynamic { f in
                let r = f.activation.isNull(slot: slot)
                if case .bool(let isNull) = r { return .bool(!isNull) }
                return r
            })
        }
        return Node(type: .bool, plan: apply2(a, b, name == "_==_" ? opEq : opNe))
    }

    mutating func compileRelational(_ e: Expr, _ name: String, _ args: [Expr]) -> Node {
        let a = compile(args[0]), b = compile(args[1])
        _ = resolve(e, name, [a.type, b.type], relationalOverloads)
        let fn: Fn2
        switch name {
        case "_<_": fn = { opRelation($0, $1, .lt, "_<_") }
        case "_<=_": fn = { opRelation($0, $1, .le, "_<=_") }
        case "_>_": fn = { opRelation($0, $1, .gt, "_>_") }
        default: fn = { opRelation($0, $1, .ge, "_>=_") }
        }
        return Node(type: .bool, plan: apply2(a, b, fn))
    }

    mutating func compileFunction(_ e: Expr, _ target: Expr?, _ name: String, _ args: [Expr], _ spec: FunctionSpec)
        -> Node
    {
        var nodes: [Node] = []
        if let t = target { nodes.append(compile(t)) }
        for a in args { nodes.append(compile(a)) }
        var type = resolve(e, name, nodes.map(\.type), spec.overloads, isMethod: target != nil)
        if name == "dyn" { type = .dyn }
        if !scopes.isEmpty, Self.readsText.contains(name) {
            nodes = nodes.map(Self.countingText)
        }
        let plan: Plan
        switch spec.impl {
        case .unary(let fn): plan = apply1(nodes[0], fn)
        case .binary(let fn):
            if name == "matches", let pattern = nodes[1].plan.constant, case .string(let p) = pattern {
                plan = matchesPlan(e, nodes[0], p, args.last)
            } else {
                plan = apply2(nodes[0], nodes[1], fn)
            }
        }

        if (name == "date" || name == "timestamp"), target == nil, case .error(let err)? = plan.constant,
           case .literal(.string) = args[0].kind
        {
            report(err.message, args[0], kind: .value)
        }
        return Node(type: type, plan: plan)
    }

    /// Functions whose time grows with the length of their text arguments.
    static let readsText: Set<String> = ["contains", "startsWith", "endsWith", "matches"]

    /// Inside a comprehension, a string function counts the text it reads:
    /// its non-constant arguments charge their length as they are evaluated.
    static func countingText(_ n: Node) -> Node {
        guard n.plan.constant == nil else { return n }
        let ev = n.plan.eval
        return Node(type: n.type, plan: .dynamic { f in
            let v = ev(&f)
            if case .string(let s) = v {
                let budget = f.steps()
                if budget.spend(1 + s.utf8.count / CELCost.charactersPerStep) { return budget.exhausted }
            }
            return v
        }, slot: n.slot)
    }

    mutating func matchesPlan(_ e: Expr, _ subject: Node, _ pattern: String, _ patternExpr: Expr?) -> Plan {
        switch RegexProgram.compile(pattern) {
        case .failure(let err):
            if let pe = patternExpr { report(err.message, pe, kind: .regex) }
            return apply1(subject) { s in
                if case .error = s { return s }
                return .error(err)
            }
        case .success(let re):
            return apply1(subject) { s in
                switch s {
                case .string(let str): return re.matches(str)
                case .error: return s
                default: return noOverload("matches", s, .string(pattern))
                }
            }
        }
    }

    mutating func unknownFunction(_ e: Expr, _ target: Expr?, _ name: String, _ args: [Expr]) -> Node {
        if checked {
            // Check the arguments too, to report every problem.
            if let t = target { _ = compile(t) }
            for a in args { _ = compile(a) }
            let table = target == nil ? globalFunctions : memberFunctions
            let known = Set(table.keys.compactMap { $0.split(separator: "/").first.map(String.init) })
            if known.contains(name) || (target == nil && name == "has") {
                let arities = table.keys.filter { $0.hasPrefix(name + "/") }.compactMap { $0.split(separator: "/").last }
                let form = target == nil ? "function" : "method"
                report(
                    "\(form) `\(name)` does not take \(args.count) argument\(args.count == 1 ? "" : "s")", e,
                    help: arities.isEmpty ? nil : "it takes \(arities.sorted().joined(separator: " or "))")
            } else {
                var candidates = Array(known) + Array(macroNames)
                if target == nil { candidates += ["has"] }
                report(
                    "undeclared reference to function `\(name)`", e,
                    help: Suggest.help(for: name, in: candidates.sorted()), kind: .undeclared)
            }
        }
        return errorNode(.unboundFunction, "unbound function: \(name)")
    }

    mutating func checkAllowed(_ v: Node, _ lit: Expr) {
        guard checked, let slot = v.slot, let allowed = env.variables[slot].allowedStrings,
              case .literal(.string(let s)) = lit.kind, !allowed.contains(s) else { return }
        let help = Suggest.help(for: s, in: allowed)
            ?? "allowed values: " + allowed.map { "`\($0)`" }.joined(separator: ", ")
        report(
            LookAlike.note("`\(s)` is not an allowed value of `\(env.variables[slot].name)`", s), lit, help: help,
            kind: .value)
    }

    mutating func compileHas(_ e: Expr, _ arg: Expr) -> Node {
        guard case .select(let operand, let field) = arg.kind else {
            report("invalid argument to has() macro: expected a field selection such as `m.f`", arg)
            return errorNode(.invalidArgument, "invalid argument to has() macro")
        }
        if let chain = qualifiedChain(arg) {
            let segs = chain.map(segmentName)
            let full = segs.joined(separator: ".")
            if let slot = env.slotByName[full] {
                references.insert(slot)
                return Node(type: .bool, plan: .dynamic { f in
                    if case .error(let err) = f.activation.value(slot: slot), err.code == .missing {
                        return .bool(false)
                    }
                    return .bool(true)
                })
            }
            let parent = segs.dropLast().joined(separator: ".")
            if env.slotByName[parent] != nil {
                checkSiblingTypo(parent, field, offset: chain[0].offset, end: arg.offset + arg.length)
            }
        }
        let base = compile(operand)
        switch base.type {
        case .map, .dyn: break
        default: report("type `\(base.type)` does not support field selection", arg)
        }
        let key = CELMapKey.string(ScalarString(field))
        return Node(type: .bool, plan: apply1(base) { hasField($0, key) })
    }

    static func andValues(_ l: CELValue, _ r: CELValue) -> CELValue {
        if case .bool(false) = l { return l }
        if case .bool(false) = r { return r }
        if case .bool(true) = l, case .bool(true) = r { return l }
        if case .error = l { return l }
        if case .bool = l, case .error = r { return r }
        return noOverload("_&&_", l, r)
    }

    static func orValues(_ l: CELValue, _ r: CELValue) -> CELValue {
        if case .bool(true) = l { return l }
        if case .bool(true) = r { return r }
        if case .bool(false) = l, case .bool(false) = r { return l }
        if case .error = l { return l }
        if case .bool = l, case .error = r { return r }
        return noOverload("_||_", l, r)
    }

    mutating func compileLogic(_ e: Expr, _ isAnd: Bool, _ args: [Expr]) -> Node {
        let a = compile(args[0]), b = compile(args[1])
        _ = resolve(e, isAnd ? "_&&_" : "_||_", [a.type, b.type], [([.bool, .bool], .bool)])
        let absorbing = CELValue.bool(!isAnd)
        if a.plan.constant == absorbing || b.plan.constant == absorbing {
            return Node(type: .bool, plan: .const(absorbing))
        }
        if let x = a.plan.constant, let y = b.plan.constant {
            return Node(type: .bool, plan: .const(isAnd ? Planner.andValues(x, y) : Planner.orValues(x, y)))
        }
        let ae = a.plan.eval, be = b.plan.eval
        if isAnd {
            return Node(type: .bool, plan: .dynamic { f in
                let l = ae(&f)
                if case .bool(false) = l { return l }
                return Planner.andValues(l, be(&f))
            })
        }
        return Node(type: .bool, plan: .dynamic { f in
            let l = ae(&f)
            if case .bool(true) = l { return l }
            return Planner.orValues(l, be(&f))
        })
    }

    mutating func compileConditional(_ e: Expr, _ args: [Expr]) -> Node {
        let c = compile(args[0]), a = compile(args[1]), b = compile(args[2])
        if !CELType.isAssignable(c.type, to: .bool) {
            mismatch(e, "_?_:_", [c.type, a.type, b.type])
        }
        let type = joinTypes(a.type, b.type)
        if let cv = c.plan.constant {
            switch cv {
            case .bool(true): return Node(type: type, plan: a.plan)
            case .bool(false): return Node(type: type, plan: b.plan)
            case .error: return Node(type: type, plan: .const(cv))
            default: return Node(type: type, plan: .const(noOverload("_?_:_", cv)))
            }
        }
        let ce = c.plan.eval, ae = a.plan.eval, be = b.plan.eval
        return Node(type: type, plan: .dynamic { f in
            switch ce(&f) {
            case .bool(true): return ae(&f)
            case .bool(false): return be(&f)
            case .error(let err): return .error(err)
            case let v: return noOverload("_?_:_", v)
            }
        })
    }

    mutating func compileAdd(_ e: Expr, _ args: [Expr]) -> Node {
        let a = compile(args[0]), b = compile(args[1])
        var type: CELType
        switch (a.type, b.type) {
        case (.list(let x), .list(let y)): type = .list(joinTypes(x, y))
        case (.list, .dyn): type = a.type
        case (.dyn, .list): type = b.type
        default:
            type = resolve(
                e, "_+_", [a.type, b.type],
                [
                    ([.int, .int], .int), ([.double, .double], .double), ([.string, .string], .string),
                    ([anyList, anyList], anyList),
                ])
        }
        return Node(type: type, plan: apply2(a, b, opAdd))
    }

    mutating func compileIn(_ e: Expr, _ args: [Expr]) -> Node {
        let a = compile(args[0]), b = compile(args[1])
        switch b.type {
        case .list(let t):
            if !isComparable(a.type, t) {
                mismatch(e, "@in", [a.type, b.type])
            }
        case .map(let k, _):
            if !isComparable(a.type, k) {
                mismatch(e, "@in", [a.type, b.type])
            }
        case .dyn: break
        default:
            mismatch(e, "@in", [a.type, b.type])
        }
        if case .list(let items) = args[1].kind {
            for it in items { checkAllowed(a, it) }
        }
        // Outside a comprehension a scan happens once per evaluation; inside
        // one, once per iteration: count the items it reads.
        guard !scopes.isEmpty, b.plan.constant == nil else { return Node(type: .bool, plan: apply2(a, b, opIn)) }
        let ae = a.plan.eval, be = b.plan.eval
        return Node(type: .bool, plan: .dynamic { f in
            let x = ae(&f)
            let y = be(&f)
            if case .list(let l) = y {
                let budget = f.steps()
                if budget.spend(l.count) { return budget.exhausted }
            }
            return opIn(x, y)
        })
    }

    mutating func compileIndex(_ e: Expr, _ args: [Expr]) -> Node {
        let a = compile(args[0]), b = compile(args[1])
        var type = CELType.dyn
        switch a.type {
        case .list(let t):
            type = t
            if !(b.type == .int || b.type == .dyn) {
                mismatch(e, "_[_]", [a.type, b.type])
            }
        case .map(let k, let v):
            type = v
            if !isComparable(k, b.type) {
                mismatch(e, "_[_]", [a.type, b.type])
            }
        case .dyn: break
        default:
            mismatch(e, "_[_]", [a.type, b.type])
        }
        return Node(type: type, plan: apply2(a, b, opIndex))
    }

    // MARK: Comprehensions

    mutating func compileComprehension(_ e: Expr, _ kind: String, _ target: Expr, _ args: [Expr]) -> Node {
        guard case .ident(let varName) = args[0].kind else {
            report("the first argument of `\(kind)` must be a simple variable name", args[0])
            return errorNode(.invalidArgument, "invalid argument to \(kind) macro")
        }
        let range = compile(target)
        var elem = CELType.dyn
        switch range.type {
        case .list(let t): elem = t
        case .map(let k, _): elem = k
        case .dyn: break
        default: report("`\(kind)` cannot iterate over a value of type `\(range.type)`", e)
        }
        let idx = localCount
        localCount += 1
        scopes.append((varName, idx, elem))
        let first = compile(args[1])
        let second = args.count == 3 ? compile(args[2]) : nil
        scopes.removeLast()

        let isPredicate = kind != "map" || second != nil
        if isPredicate && !CELType.isAssignable(first.type, to: .bool) {
            report("the condition of `\(kind)` must be a bool, not `\(first.type)`", args[1])
        }
        let re = range.plan.eval
        let be = first.plan.eval
        let name = kind
        @Sendable func items(_ r: CELValue) -> [CELValue]? {
            switch r {
            case .list(let l): return l
            case .map(let m): return m.keys
            default: return nil
            }
        }
        @Sendable func bad(_ r: CELValue) -> CELValue {
            if case .error = r { return r }
            return noOverload(name, r)
        }
        switch kind {
        case "all", "exists":
            let stop = CELValue.bool(kind == "exists")
            return Node(type: .bool, plan: .dynamic { f in
                let r = re(&f)
                guard let xs = items(r) else { return bad(r) }
                let budget = f.steps()
                var firstError: CELValue? = nil
                for x in xs {
                    if budget.spend(1) { return budget.exhausted }
                    f.locals[idx] = x
                    let v = be(&f)
                    if v == stop { return stop }
                    if case .bool = v { continue }
                    if firstError == nil { firstError = v.isError ? v : noOverload(name, v) }
                }
                return firstError ?? .bool(kind != "exists")
            })
        case "exists_one":
            return Node(type: .bool, plan: .dynamic { f in
                let r = re(&f)
                guard let xs = items(r) else { return bad(r) }
                let budget = f.steps()
                var count = 0
                for x in xs {
                    if budget.spend(1) { return budget.exhausted }
                    f.locals[idx] = x
                    switch be(&f) {
                    case .bool(true): count += 1
                    case .bool(false): break
                    case let v: return v.isError ? v : noOverload(name, v)
                    }
                }
                return .bool(count == 1)
            })
        case "filter":
            return Node(type: .list(elem), plan: .dynamic { f in
                let r = re(&f)
                guard let xs = items(r) else { return bad(r) }
                let budget = f.steps()
                var out: [CELValue] = []
                for x in xs {
                    if budget.spend(1) { return budget.exhausted }
                    f.locals[idx] = x
                    switch be(&f) {
                    case .bool(true): out.append(x)
                    case .bool(false): break
                    case let v: return v.isError ? v : noOverload(name, v)
                    }
                }
                return .list(out)
            })
        default:  // map
            if let t = second {
                let te = t.plan.eval
                return Node(type: .list(t.type), plan: .dynamic { f in
                    let r = re(&f)
                    guard let xs = items(r) else { return bad(r) }
                    let budget = f.steps()
                    var out: [CELValue] = []
                    for x in xs {
                        if budget.spend(1) { return budget.exhausted }
                    if budget.spend(1) { return budget.exhausted }
                        f.locals[idx] = x
                        switch be(&f) {
                        case .bool(true):
                            let v = te(&f)
                            if case .error = v { return v }
                            out.append(v)
                        case .bool(false): break
                        case let v: return v.isError ? v : noOverload(name, v)
                        }
                    }
                    return .list(out)
                })
            }
            return Node(type: .list(first.type), plan: .dynamic { f in
                let r = re(&f)
                guard let xs = items(r) else { return bad(r) }
                let budget = f.steps()
                var out: [CELValue] = []
                out.reserveCapacity(xs.count)
                for x in xs {
                    if budget.spend(1) { return budget.exhausted }
                    f.locals[idx] = x
                    let v = be(&f)
                    if case .error = v { return v }
                    out.append(v)
                }
                return .list(out)
            })
        }
    }
}
