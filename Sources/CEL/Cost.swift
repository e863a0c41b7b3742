// Expression cost, in steps: estimated before evaluation (from the syntax tree
// and the declared sizes of what it iterates over) and counted during it.
//
// As in cel-go's cost estimator and CostLimit, a comprehension costs its
// iteration count times its body's cost. At run time only what grows with the
// data is counted: an iteration of a comprehension, and inside a
// comprehension's body the items a list `in` scans and the length of the text
// a string function reads. Everything else an expression does is bounded by
// its own size, so counting it would slow every ticket for nothing.

/// Defaults of the cost model.
public enum CELCost {
    /// Steps one ticket's evaluation may take, and the largest worst case
    /// `check` accepts for a policy (both configurable: `--cost-limit`).
    public static let defaultLimit = 1_000_000
    /// Items assumed for a list whose size nothing declares (an input
    /// without `max_items`, an element of a list, a map).
    public static let assumedItems: UInt64 = 100
    /// Characters of text counted as one step by string functions inside a comprehension.
    public static let charactersPerStep = 64

    /// Addition that stops at `UInt64.max`, for estimates.
    public static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 { sat(a, b) }
}

/// The steps an evaluation may still take: one per ticket, shared by every
/// expression evaluated for it (a rule computed for another is counted once).
public final class CELBudget {
    public let limit: Int
    public private(set) var remaining: Int
    let exhausted: CELValue

    public init(limit: Int) {
        self.limit = limit
        self.remaining = limit
        self.exhausted = .error(
            CELError(
                .costLimit,
                "evaluation stopped after \(CELBudget.format(limit)) steps, the budget of one ticket (`--cost-limit`; see docs/limits.md)"
            ))
    }

    /// A new ticket: the whole budget again.
    @inline(__always)
    public func reset() { remaining = limit }

    /// Whether the budget ran out (by this spending or before).
    @inline(__always)
    func spend(_ steps: Int) -> Bool {
        remaining &-= steps
        return remaining < 0
    }

    /// `1234567` → `1,234,567`.
    public static func format<T: BinaryInteger>(_ n: T) -> String {
        let digits = Array(String(n.magnitude))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }
}

extension Frame {
    /// The budget this evaluation spends: the activation's (one per ticket),
    /// or one of the default size for this evaluation alone.
    @inline(__always)
    mutating func steps() -> CELBudget {
        if let b = budget { return b }
        let b = activation.budget ?? CELBudget(limit: CELCost.defaultLimit)
        budget = b
        return b
    }
}

/// How many items a list can have, and why that many.
public struct CELSizeBound: Sendable, Hashable {
    public var items: UInt64
    /// For messages: "`tags` has at most 50 items (`max_items`)".
    public var reason: String

    public init(items: UInt64, reason: String) {
        self.items = items
        self.reason = reason
    }
}

/// The worst case of one expression.
public struct CELCostEstimate: Sendable, Hashable {
    /// Steps, saturating at `UInt64.max`.
    public var steps: UInt64
    /// The most items its value can have, when it is a list whose size is known.
    public var size: CELSizeBound?
    /// The sizes of what it iterates over, outermost first: what drives the estimate.
    public var drivers: [CELSizeBound]
    /// How deeply its comprehensions nest (0: none).
    public var nesting: Int

    public init(steps: UInt64, size: CELSizeBound? = nil, drivers: [CELSizeBound] = [], nesting: Int = 0) {
        self.steps = steps
        self.size = size
        self.drivers = drivers
        self.nesting = nesting
    }
}

extension CELProgram {
    /// The worst-case steps of one evaluation, with the sizes of lists taken
    /// from `size` (by variable slot: inputs with `max_items`, parameters,
    /// rules already estimated), else `CELCost.assumedItems`.
    public func estimateCost(size: (Int) -> CELSizeBound?) -> CELCostEstimate {
        withoutActuallyEscaping(size) { size in
            var e = CostEstimator(env: env, size: size)
            let node = e.estimate(ast)
            return CELCostEstimate(steps: node.steps, size: node.size, drivers: e.drivers, nesting: e.deepest)
        }
    }
}

/// Saturating arithmetic for estimates.
@inline(__always) func sat(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (r, o) = a.addingReportingOverflow(b)
    return o ? .max : r
}

@inline(__always) func satMul(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (r, o) = a.multipliedReportingOverflow(by: b)
    return o ? .max : r
}

struct CostEstimator {
    let env: CELEnvironment
    let size: (Int) -> CELSizeBound?
    var scopes: [String] = []
    var drivers: [CELSizeBound] = []
    var deepest = 0

    struct Result {
        var steps: UInt64
        var size: CELSizeBound?
    }

    mutating func estimate(_ e: Expr) -> Result {
        switch e.kind {
        case .literal(let v):
            if case .list(let l) = v { return Result(steps: 0, size: literalSize(l.count)) }
            return Result(steps: 0)
        case .uintLiteral:
            return Result(steps: 0)
        case .ident, .select:
            if let slot = variableSlot(e) { return Result(steps: 1, size: size(slot)) }
            if case .select(let operand, _) = e.kind { return Result(steps: sat(estimate(operand).steps, 1)) }
            return Result(steps: 1)
        case .list(let items):
            var steps: UInt64 = 1
            for i in items { steps = sat(steps, estimate(i).steps) }
            return Result(steps: steps, size: literalSize(items.count))
        case .map(let entries):
            var steps: UInt64 = 1
            for (k, v) in entries { steps = sat(sat(steps, estimate(k).steps), estimate(v).steps) }
            return Result(steps: steps)
        case .call(let target, let name, let args):
            if let target, ["all", "exists", "exists_one", "filter", "map"].contains(name), args.count >= 2,
                case .ident(let v) = args[0].kind
            {
                return comprehension(target, v, name, Array(args.dropFirst()))
            }
            var parts: [Result] = []
            if let target { parts.append(estimate(target)) }
            for a in args { parts.append(estimate(a)) }
            var steps: UInt64 = 1
            for p in parts { steps = sat(steps, p.steps) }
            switch name {
            case "@in" where parts.count == 2:
                steps = sat(steps, bound(parts[1].size, args[1]).items)
                return Result(steps: steps)
            case "_+_" where parts.count == 2:
                if let a = parts[0].size, let b = parts[1].size {
                    return Result(steps: steps, size: CELSizeBound(items: sat(a.items, b.items), reason: a.reason))
                }
                return Result(steps: steps)
            case "_?_:_" where parts.count == 3:
                let worse = parts[1].steps >= parts[2].steps ? parts[1] : parts[2]
                var size: CELSizeBound?
                if let a = parts[1].size, let b = parts[2].size { size = a.items >= b.items ? a : b }
                return Result(steps: sat(sat(1, parts[0].steps), worse.steps), size: size)
            default:
                return Result(steps: steps)
            }
        }
    }

    func literalSize(_ n: Int) -> CELSizeBound {
        CELSizeBound(items: UInt64(n), reason: "a list of \(n) item\(n == 1 ? "" : "s") written in the expression")
    }

    /// The size of a list iterated over, assumed when unknown.
    func bound(_ known: CELSizeBound?, _ e: Expr) -> CELSizeBound {
        if let known { return known }
        let text = Printer.print(e)
        let shown = text.unicodeScalars.count > 40 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(40))) + "…" : text
        return CELSizeBound(
            items: CELCost.assumedItems,
            reason: "`\(shown)` has no declared size: \(CELCost.assumedItems) items assumed")
    }

    mutating func comprehension(_ range: Expr, _ variable: String, _ kind: String, _ bodies: [Expr]) -> Result {
        let r = estimate(range)
        let n = bound(r.size, range)
        if !drivers.contains(n) { drivers.append(n) }
        scopes.append(variable)
        deepest = max(deepest, scopes.count)
        var body: UInt64 = 1
        for b in bodies { body = sat(body, estimate(b).steps) }
        scopes.removeLast()
        let steps = sat(sat(1, r.steps), satMul(n.items, body))
        let listResult = kind == "map" || kind == "filter"
        return Result(steps: steps, size: listResult ? n : nil)
    }

    /// The slot of a declared variable the expression names (longest declared prefix).
    func variableSlot(_ e: Expr) -> Int? {
        var segs: [String] = []
        var cur = e
        while case .select(let operand, let f) = cur.kind {
            segs.append(f)
            cur = operand
        }
        guard case .ident(let root) = cur.kind, !scopes.contains(root) else { return nil }
        segs.append(root)
        segs.reverse()
        // Only the whole chain names a variable whose size we can know.
        return env.slotByName[segs.joined(separator: ".")]
    }
}
