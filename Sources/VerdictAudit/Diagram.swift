/// A multi-valued decision diagram over the classes of a decision's fields.
///
/// Variable `v` (its level) takes values `0..<sizes[v]`; nodes are hash-consed
/// (one node per variable and children), and a node whose children are all
/// the same is that child, so the diagram of a function is canonical for the
/// variable order: two versions' decisions are compared by combining their
/// diagrams, never by enumerating classes. References are `Int32`: a node
/// index (≥ 0) or a terminal (`-1 - index`).
final class Diagram {
    let sizes: [Int]
    let maxNodes: Int
    private(set) var terminals: [Terminal] = []
    private var terminalIndex: [Terminal: Int32] = [:]
    private var nodeVar: [Int32] = []
    private var nodeStart: [Int] = []
    private var kids: [Int32] = []
    private var unique: [NodeKey: Int32] = [:]

    private struct NodeKey: Hashable {
        var v: Int32
        var kids: [Int32]
    }

    private struct Triple: Hashable {
        var a: Int32
        var b: Int32
        var c: Int32
    }

    init(sizes: [Int], maxNodes: Int) {
        self.sizes = sizes
        // References are 32-bit: nodes and terminals stay well within them.
        self.maxNodes = Swift.max(1, Swift.min(maxNodes, Int(Int32.max / 4)))
    }

    var nodeCount: Int { nodeVar.count }

    func terminal(_ t: Terminal) throws(Unanalysable) -> Int32 {
        if let r = terminalIndex[t] { return r }
        guard terminals.count < maxNodes else {
            throw Unanalysable(reason: "the decision diagram grew beyond \(maxNodes) distinct values")
        }
        let r = Int32(-1 - terminals.count)
        terminals.append(t)
        terminalIndex[t] = r
        return r
    }

    @inline(__always) func isTerminal(_ r: Int32) -> Bool { r < 0 }
    func value(_ r: Int32) -> Terminal { terminals[Int(-1 - r)] }
    /// The variable a node branches on; `sizes.count` for a terminal.
    @inline(__always) func level(_ r: Int32) -> Int { r < 0 ? sizes.count : Int(nodeVar[Int(r)]) }
    @inline(__always) func child(_ r: Int32, _ i: Int) -> Int32 { kids[nodeStart[Int(r)] + i] }
    /// The diagram with variable `v` set to `i`, for a diagram whose top is at `v` or below.
    @inline(__always) func cofactor(_ r: Int32, _ v: Int, _ i: Int) -> Int32 { level(r) == v ? child(r, i) : r }

    func node(_ v: Int, _ children: [Int32]) throws(Unanalysable) -> Int32 {
        guard let first = children.first else { return try terminal(.error) }
        if children.allSatisfy({ $0 == first }) { return first }
        let key = NodeKey(v: Int32(v), kids: children)
        if let r = unique[key] { return r }
        guard nodeVar.count < maxNodes else {
            throw Unanalysable(reason: "the decision diagram grew beyond \(maxNodes) nodes")
        }
        let r = Int32(nodeVar.count)
        nodeVar.append(Int32(v))
        nodeStart.append(kids.count)
        kids.append(contentsOf: children)
        unique[key] = r
        return r
    }

    /// A diagram built from a function of some variables' classes.
    func build(_ vars: [Int], _ f: ([Int: Int]) throws(Unanalysable) -> Terminal) throws(Unanalysable) -> Int32 {
        let sorted = vars.sorted()
        var assignment: [Int: Int] = [:]
        func go(_ i: Int) throws(Unanalysable) -> Int32 {
            if i == sorted.count { return try terminal(try f(assignment)) }
            let v = sorted[i]
            var children: [Int32] = []
            children.reserveCapacity(sizes[v])
            for c in 0..<sizes[v] {
                assignment[v] = c
                children.append(try go(i + 1))
            }
            assignment[v] = nil
            return try node(v, children)
        }
        return try go(0)
    }

    // MARK: - Combining

    func apply1(_ a: Int32, _ f: (Terminal) throws(Unanalysable) -> Terminal) throws(Unanalysable) -> Int32 {
        var memo: [Int32: Int32] = [:]
        func go(_ a: Int32) throws(Unanalysable) -> Int32 {
            if let r = memo[a] { return r }
            let r: Int32
            if isTerminal(a) {
                r = try terminal(try f(value(a)))
            } else {
                let v = level(a)
                var children: [Int32] = []
                children.reserveCapacity(sizes[v])
                for i in 0..<sizes[v] { children.append(try go(child(a, i))) }
                r = try node(v, children)
            }
            memo[a] = r
            return r
        }
        return try go(a)
    }

    func apply2(
        _ a: Int32, _ b: Int32, _ f: (Terminal, Terminal) throws(Unanalysable) -> Terminal
    ) throws(Unanalysable) -> Int32 {
        var memo: [Int64: Int32] = [:]
        func go(_ a: Int32, _ b: Int32) throws(Unanalysable) -> Int32 {
            let key = Int64(a) << 32 | Int64(UInt32(bitPattern: b))
            if let r = memo[key] { return r }
            let r: Int32
            if isTerminal(a) && isTerminal(b) {
                r = try terminal(try f(value(a), value(b)))
            } else {
                let v = Swift.min(level(a), level(b))
                var children: [Int32] = []
                children.reserveCapacity(sizes[v])
                for i in 0..<sizes[v] { children.append(try go(cofactor(a, v, i), cofactor(b, v, i))) }
                r = try node(v, children)
            }
            memo[key] = r
            return r
        }
        return try go(a, b)
    }

    func apply3(
        _ a: Int32, _ b: Int32, _ c: Int32, _ f: (Terminal, Terminal, Terminal) throws(Unanalysable) -> Terminal
    ) throws(Unanalysable) -> Int32 {
        var memo: [Triple: Int32] = [:]
        func go(_ a: Int32, _ b: Int32, _ c: Int32) throws(Unanalysable) -> Int32 {
            let key = Triple(a: a, b: b, c: c)
            if let r = memo[key] { return r }
            let r: Int32
            if isTerminal(a) && isTerminal(b) && isTerminal(c) {
                r = try terminal(try f(value(a), value(b), value(c)))
            } else {
                let v = Swift.min(level(a), level(b), level(c))
                var children: [Int32] = []
                children.reserveCapacity(sizes[v])
                for i in 0..<sizes[v] {
                    children.append(try go(cofactor(a, v, i), cofactor(b, v, i), cofactor(c, v, i)))
                }
                r = try node(v, children)
            }
            memo[key] = r
            return r
        }
        return try go(a, b, c)
    }

    // MARK: - Reading

    /// The terminal a full assignment reaches.
    func evaluate(_ r: Int32, _ assignment: [Int]) -> Terminal {
        var x = r
        while !isTerminal(x) { x = child(x, assignment[level(x)]) }
        return value(x)
    }

    /// How many assignments of every variable reach a terminal `target` accepts (saturating).
    func count(_ r: Int32, _ target: (Terminal) -> Bool) -> Int {
        var memo: [Int32: Int] = [:]
        var suffix = [Int](repeating: 1, count: sizes.count + 1)
        for v in stride(from: sizes.count - 1, through: 0, by: -1) { suffix[v] = Count.mul(suffix[v + 1], sizes[v]) }
        // Assignments of the variables from `level(x)` on.
        func go(_ x: Int32) -> Int {
            if let c = memo[x] { return c }
            let c: Int
            if isTerminal(x) {
                c = target(value(x)) ? 1 : 0
            } else {
                let v = level(x)
                var sum = 0
                for i in 0..<sizes[v] {
                    let ch = child(x, i)
                    // Variables skipped between this node and the child are free.
                    var skipped = 1
                    for j in (v + 1)..<level(ch) { skipped = Count.mul(skipped, sizes[j]) }
                    sum = Count.add(sum, Count.mul(skipped, go(ch)))
                }
                c = sum
            }
            memo[x] = c
            return c
        }
        var top = 1
        for j in 0..<level(r) { top = Count.mul(top, sizes[j]) }
        return Count.mul(top, go(r))
    }

    /// The cheapest full assignment reaching a terminal `target` accepts; with
    /// `forced`, one variable is held at one class. Ties go to lower classes.
    func cheapest(
        _ r: Int32, target: (Terminal) -> Bool, cost: (Int, Int) -> Int, forced: (v: Int, c: Int)? = nil
    ) -> [Int]? {
        let n = sizes.count
        let inf = Int.max / 4
        func allowed(_ v: Int) -> [Int] {
            if let f = forced, f.v == v { return [f.c] }
            return Array(0..<sizes[v])
        }
        var freeBest = [Int](repeating: 0, count: n)
        var freeCost = [Int](repeating: 0, count: n)
        for v in 0..<n {
            var best = inf
            for i in allowed(v) where cost(v, i) < best {
                best = cost(v, i)
                freeBest[v] = i
            }
            freeCost[v] = best
        }
        func skip(_ a: Int, _ b: Int) -> Int {
            var s = 0
            if a < b { for j in a..<b { s += freeCost[j] } }
            return s
        }
        var memo: [Int32: (cost: Int, choice: Int)] = [:]
        func best(_ x: Int32) -> Int {
            if let m = memo[x] { return m.cost }
            var result = (cost: inf, choice: -1)
            if isTerminal(x) {
                result = (target(value(x)) ? 0 : inf, -1)
            } else {
                let v = level(x)
                for i in allowed(v) {
                    let ch = child(x, i)
                    let b = best(ch)
                    guard b < inf else { continue }
                    let total = cost(v, i) + skip(v + 1, level(ch)) + b
                    if total < result.cost { result = (total, i) }
                }
            }
            memo[x] = result
            return result.cost
        }
        guard best(r) < inf else { return nil }
        var assignment = freeBest
        var x = r
        while !isTerminal(x) {
            guard let m = memo[x], m.choice >= 0 else { return nil }
            assignment[level(x)] = m.choice
            x = child(x, m.choice)
        }
        return assignment
    }
}
