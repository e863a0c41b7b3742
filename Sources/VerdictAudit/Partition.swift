import CEL
import VerdictModel

/// One class of one field: its state in the ticket, and (for dates and whole
/// numbers) the interval of positions it stands for.
struct LeafClass: Sendable {
    var state: FieldState
    /// True when the class holds exactly one value (the representative), so
    /// that anything computed from it is exact.
    var singleton: Bool
    /// Positions (days since 1970-01-01, or the number) the class covers, for
    /// the soundness guard on comparisons.
    var lo: Int64? = nil
    var hi: Int64? = nil
    /// Preference for witnesses: 0 a valid value, 1 a field left out, 2 a wrong value.
    var cost: Int
    /// The plain value of the field when the class holds it (a witness shows
    /// it for fields its difference does not depend on).
    var plain: CELValue? = nil
}

/// Fields whose classes are built together (compared with each other), and
/// their classes: each tuple gives every field of the component a class.
struct Component: Sendable {
    var leaves: [Int]
    var tuples: [[LeafClass]]

    /// Cheaper for valid values, then for classes that hold a plain value.
    func cost(_ t: Int) -> Int { tuples[t].reduce(0) { $0 + $1.cost * 16 + ($1.plain == nil ? 1 : 0) } }
}

/// Builds the classes of a decision's fields from the facts of both versions.
///
/// Ordered fields (whole numbers, dates, a timestamp's date) are cut into
/// intervals at every constant they are compared with: `c` splits into
/// `< c`, `c`, `> c` (for a shifted term `d.addMonths(k) < c`, at the days
/// where the shift crosses `c`, found by bisection: shifts are monotone), and
/// at the edges of every shift's valid range. Fields compared with each other
/// (`date(opened_at) < unit.installed_on.addMonths(3)`) form a component,
/// ordered so that each comparison has a bare field on its later side; the
/// later field's cuts are computed for each class representative of the
/// earlier ones, and the earlier field is also cut wherever one of its terms
/// crosses (within two days) a cut of a later field, so that every class of
/// the earlier field yields the same arrangement of cuts for the later one.
/// Comparisons of one field with itself shifted (`d.addMonths(1) < d.addDays(30)`)
/// split intervals further by the category of the difference, found by
/// scanning a full 400-year Gregorian cycle (the calendar repeats after it).
struct Partitioner {
    let tree: InputTree
    let facts: Facts
    let isBare: (Term) -> Bool
    /// Sampling: more classes (constants from unanalysable expressions,
    /// interval ends, timestamps near midnight) and no soundness demands.
    let sampling: Bool

    var reasons = Ordered<String>()

    init(tree: InputTree, facts: Facts, sampling: Bool, isBare: @escaping (Term) -> Bool) {
        self.tree = tree
        self.facts = facts
        self.sampling = sampling
        self.isBare = isBare
    }

    // MARK: - Positions

    static let minDay: Int64 = CELDate(year: 1, month: 1, day: 1)?.daysSinceEpoch ?? -719162
    static let maxDay: Int64 = CELDate(year: 9999, month: 12, day: 31)?.daysSinceEpoch ?? 2932896

    func domain(_ leaf: Int) -> (lo: Int64, hi: Int64) {
        switch tree.nodes[leaf].kind {
        case .int:
            var lo: Int64? = Int64.max
            var hi: Int64? = Int64.min
            for d in tree.nodes[leaf].decls.compactMap({ $0 }) {
                lo = d.min.flatMap { m in lo.map { Swift.min($0, m) } }
                hi = d.max.flatMap { m in hi.map { Swift.max($0, m) } }
            }
            return (lo ?? Int64.min, hi ?? Int64.max)
        default:
            return (Self.minDay, Self.maxDay)
        }
    }

    /// The value a term takes at a position, as a position (nil: an error).
    func eval(_ leaf: Int, _ chain: [ChainOp], at p: Int64) -> Int64? {
        switch tree.nodes[leaf].kind {
        case .int:
            return chain.isEmpty ? p : nil
        case .date, .timestamp:
            guard var d = CELDate(daysSinceEpoch: p) else { return nil }
            for op in chain {
                switch op {
                case .toDate: continue
                case .addMonths(let k):
                    guard let n = d.addingMonths(k) else { return nil }
                    d = n
                case .addDays(let k):
                    guard let n = d.addingDays(k) else { return nil }
                    d = n
                case .addHours: return nil
                }
            }
            return d.daysSinceEpoch
        default:
            return nil
        }
    }

    /// Positions a constant stands at on a term's scale (a fractional number
    /// on a whole-number scale: both neighbours).
    func positions(of v: CELValue) -> [Int64] {
        switch v {
        case .int(let i): return [i]
        case .double(let d):
            guard d.isFinite, d > -9.2e18, d < 9.2e18 else { return [] }
            let f = d.rounded(.down)
            return f == d ? [Int64(f)] : [Int64(f), Int64(f) + 1]
        case .date(let d): return [d.daysSinceEpoch]
        default: return []
        }
    }

    /// The ticket value at a position.
    func value(_ leaf: Int, at p: Int64, style: Int = 0) -> CELValue {
        switch tree.nodes[leaf].kind {
        case .int: return .int(p)
        case .date: return CELDate(daysSinceEpoch: p).map(CELValue.date) ?? .null
        case .timestamp: return Stamps.make(p, style: style)
        default: return .null
        }
    }

    /// Where a term is valid (no range error): an interval, since shifts are monotone.
    func zone(_ leaf: Int, _ chain: [ChainOp]) -> (Int64, Int64)? {
        let (lo, hi) = domain(leaf)
        if chain.allSatisfy({ $0 == .toDate }) { return (lo, hi) }
        let anchor = Swift.max(lo, Swift.min(hi, Stamps.anchorDay))
        var probe: Int64?
        for p in [anchor, lo, hi, lo / 2 + hi / 2] where eval(leaf, chain, at: p) != nil {
            probe = p
            break
        }
        if probe == nil {
            // Look for any valid point on a coarse grid.
            var p = lo
            let step = Swift.max(1, (hi - lo) / 4096)
            while p <= hi {
                if eval(leaf, chain, at: p) != nil {
                    probe = p
                    break
                }
                let (n, o) = p.addingReportingOverflow(step)
                if o { break }
                p = n
            }
        }
        guard let mid = probe else { return nil }
        // First valid in [lo, mid], last valid in [mid, hi].
        var a = lo, b = mid
        while a < b {
            let m = a + (b - a) / 2
            if eval(leaf, chain, at: m) != nil { b = m } else { a = m + 1 }
        }
        let first = a
        a = mid
        b = hi
        while a < b {
            let m = a + (b - a) / 2 + 1
            if eval(leaf, chain, at: m) != nil { a = m } else { b = m - 1 }
        }
        return (first, a)
    }

    /// The first position in the valid zone where the term reaches `t`.
    func firstAtLeast(_ leaf: Int, _ chain: [ChainOp], _ t: Int64, zone: (Int64, Int64)) -> Int64? {
        var (a, b) = zone
        guard let top = eval(leaf, chain, at: b), top >= t else { return nil }
        if let bottom = eval(leaf, chain, at: a), bottom >= t { return a }
        while a < b {
            let m = a + (b - a) / 2
            if let v = eval(leaf, chain, at: m), v >= t { b = m } else { a = m + 1 }
        }
        return a
    }

    /// Cuts so that the term's value stays on one side of (or at) each target, per class.
    func cuts(_ leaf: Int, _ chain: [ChainOp], targets: [Int64], into out: inout Set<Int64>) {
        let bare = chain.allSatisfy { $0 == .toDate }
        if bare {
            for t in targets { out.insert(t) }
            return
        }
        guard let z = zone(leaf, chain) else { return }
        for t in targets {
            if let p = firstAtLeast(leaf, chain, t, zone: z) { out.insert(p) }
        }
    }

    static func plus(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }

    // MARK: - Components

    /// The fields of the decision grouped into components, each with its classes.
    mutating func components(leaves: [Int]) -> [Component] {
        var parent = Dictionary(uniqueKeysWithValues: leaves.map { ($0, $0) })
        func find(_ x: Int) -> Int {
            var r = x
            while let p = parent[r], p != r { r = p }
            return r
        }
        let relevant = Set(leaves)
        let cross = facts.cross.items.filter { relevant.contains($0.a.leaf) && relevant.contains($0.b.leaf) }
        for c in cross {
            let (x, y) = (find(c.a.leaf), find(c.b.leaf))
            if x != y { parent[Swift.max(x, y)] = Swift.min(x, y) }
        }
        var groups: [[Int]] = []
        var groupOf: [Int: Int] = [:]
        for l in leaves {
            let r = find(l)
            if let g = groupOf[r] { groups[g].append(l) } else {
                groupOf[r] = groups.count
                groups.append([l])
            }
        }
        return groups.map { group in
            let inside = cross.filter { group.contains($0.a.leaf) }
            return component(group, cross: inside)
        }
    }

    /// A cross comparison oriented: `later` is bare and built after `earlier`.
    struct Link {
        var later: Int
        var earlier: Term
    }

    private mutating func component(_ group: [Int], cross: [CrossCompare]) -> Component {
        guard group.count > 1 else {
            let classes = leafClasses(group[0], links: [], assigned: [:], order: group)
            return Component(leaves: group, tuples: classes.map { [$0] })
        }
        // The arrangement argument (every class of the earlier field gives the
        // later one the same cuts) is made for two fields; with more, sample.
        if group.count > 2, !sampling {
            reasons.insert(
                "fields \(group.map { "`\(tree.nodes[$0].path)`" }.joined(separator: ", ")) are compared with each other: more than two in one chain of comparisons, outside the fragment")
        }
        // Order: the bare side of each comparison comes after the other side.
        var before: [Int: Set<Int>] = [:]
        var ok = true
        for c in cross {
            let ba = isBare(c.a), bb = isBare(c.b)
            if !ba && !bb {
                reasons.insert(
                    "`\(termText(c.a))` is compared with `\(termText(c.b))`: both sides shifted, outside the fragment")
                ok = false
            } else if ba && !bb {
                before[c.a.leaf, default: []].insert(c.b.leaf)
            } else if bb && !ba {
                before[c.b.leaf, default: []].insert(c.a.leaf)
            }
        }
        var order: [Int] = []
        var remaining = group
        while ok, !remaining.isEmpty {
            guard let next = remaining.first(where: { l in (before[l] ?? []).allSatisfy { order.contains($0) } }) else {
                reasons.insert("fields \(group.map { "`\(tree.nodes[$0].path)`" }.joined(separator: ", ")) are compared in a circle of shifts, outside the fragment")
                ok = false
                break
            }
            order.append(next)
            remaining.removeAll { $0 == next }
        }
        guard ok else {
            // Independent classes: enough for sampling, not for a proof.
            var tuples: [[LeafClass]] = [[]]
            for l in group {
                let classes = leafClasses(l, links: [], assigned: [:], order: group)
                tuples = tuples.flatMap { t in classes.map { t + [$0] } }
            }
            return Component(leaves: group, tuples: tuples)
        }
        var links: [Link] = []
        for c in cross {
            let ia = order.firstIndex(of: c.a.leaf) ?? 0
            let ib = order.firstIndex(of: c.b.leaf) ?? 0
            links.append(ia > ib ? Link(later: c.a.leaf, earlier: c.b) : Link(later: c.b.leaf, earlier: c.a))
        }
        var tuples: [[LeafClass]] = []
        var assigned: [Int: LeafClass] = [:]
        build(0, order, links, &assigned, [], &tuples)
        return Component(leaves: order, tuples: tuples)
    }

    private mutating func build(
        _ i: Int, _ order: [Int], _ links: [Link], _ assigned: inout [Int: LeafClass], _ prefix: [LeafClass],
        _ out: inout [[LeafClass]]
    ) {
        if i == order.count {
            out.append(prefix)
            return
        }
        let leaf = order[i]
        for c in leafClasses(leaf, links: links, assigned: assigned, order: order) {
            assigned[leaf] = c
            build(i + 1, order, links, &assigned, prefix + [c], &out)
        }
        assigned[leaf] = nil
    }

    func termText(_ t: Term) -> String {
        var s = tree.nodes[t.leaf].path
        for op in t.chain {
            s = op == .toDate ? "date(\(s))" : s + op.text
        }
        return s
    }

    // MARK: - The classes of one field

    private func defaults(_ leaf: Int) -> [CELValue] {
        tree.nodes[leaf].decls.compactMap { $0?.defaultValue }
    }

    /// Values of an earlier field's term that a later field is compared with,
    /// given the earlier field's class: its value, and its defaults.
    private func xValues(_ term: Term, _ cls: LeafClass?) -> [Int64] {
        var out: [Int64] = []
        if let cls, case .value(let v) = cls.state, let p = position(term.leaf, v), let x = eval(term.leaf, term.chain, at: p) {
            out.append(x)
        }
        for d in defaults(term.leaf) {
            if let p = position(term.leaf, d), let x = eval(term.leaf, term.chain, at: p) { out.append(x) }
        }
        return out
    }

    func position(_ leaf: Int, _ v: CELValue) -> Int64? {
        switch v {
        case .int(let i): return i
        case .date(let d): return d.daysSinceEpoch
        case .timestamp(let t): return t.date.daysSinceEpoch
        default: return nil
        }
    }

    /// A field's own cut points: constants, shifts' valid ranges, bounds,
    /// values of fields it is compared with that do not depend on classes.
    private func ownCuts(_ leaf: Int, links: [Link]) -> (all: Set<Int64>, semantic: Set<Int64>) {
        var all: Set<Int64> = []
        var semantic: Set<Int64> = []
        let kind = tree.nodes[leaf].kind
        for c in facts.constants.items where c.term.leaf == leaf {
            for p in positions(of: c.value.value) {
                var s: Set<Int64> = []
                cuts(leaf, c.term.chain, targets: [p] + (Self.plus(p, 1).map { [$0] } ?? []), into: &s)
                all.formUnion(s)
                semantic.formUnion(s)
            }
        }
        if sampling {
            for h in facts.hints.items where h.leaf == leaf {
                var ps = positions(of: h.value.value)
                if case .timestamp(let t) = h.value.value { ps = [t.date.daysSinceEpoch] }
                for p in ps {
                    for q in [p, Self.plus(p, 1)].compactMap({ $0 }) {
                        all.insert(q)
                        semantic.insert(q)
                    }
                }
            }
        }
        for t in facts.chained.items where t.leaf == leaf {
            if let z = zone(leaf, t.chain) {
                all.insert(z.0)
                if let n = Self.plus(z.1, 1) { all.insert(n) }
            }
        }
        if kind == .int {
            for d in tree.nodes[leaf].decls.compactMap({ $0 }) {
                if let m = d.min { all.insert(m) }
                if let m = d.max, let n = Self.plus(m, 1) { all.insert(n) }
            }
        }
        for l in links where l.later == leaf {
            for x in xValues(l.earlier, nil) {
                for q in [x, Self.plus(x, 1)].compactMap({ $0 }) {
                    all.insert(q)
                    semantic.insert(q)
                }
            }
        }
        // The later field left out takes its default: this field's term meets a constant.
        for l in links where l.earlier.leaf == leaf {
            for d in defaults(l.later) {
                guard let p = position(l.later, d) else { continue }
                var c: Set<Int64> = []
                cuts(leaf, l.earlier.chain, targets: [p] + (Self.plus(p, 1).map { [$0] } ?? []), into: &c)
                all.formUnion(c)
                semantic.formUnion(c)
            }
        }
        return (all, semantic)
    }

    /// The classes of a field, given the classes already chosen for the
    /// fields before it in its component.
    private mutating func leafClasses(_ leaf: Int, links: [Link], assigned: [Int: LeafClass], order: [Int]) -> [LeafClass] {
        let node = tree.nodes[leaf]
        var values: [LeafClass]
        switch node.kind {
        case .int, .date, .timestamp:
            values = orderedClasses(leaf, links: links, assigned: assigned, order: order)
        case .bool:
            values = [false, true].map {
                LeafClass(state: .value(.bool($0)), singleton: true, cost: 0, plain: $0 ? nil : .bool(false))
            }
        case .enumeration(let all):
            values = all.map { v in
                let everywhere = node.decls.allSatisfy { d in
                    guard let d, case .enumeration(let own) = d.type else { return true }
                    return own.contains(v)
                }
                let plain = tree.plainValue(leaf)
                return LeafClass(
                    state: .value(.string(v)), singleton: true, cost: everywhere ? 0 : 2,
                    plain: plain == .string(v) ? plain : nil)
            }
        case .string:
            // Texts compare by code points (CEL), not by Swift's canonical equivalence.
            var constants: [String] = []
            func known(_ s: String) -> Bool { constants.contains { $0.unicodeScalars.elementsEqual(s.unicodeScalars) } }
            for c in facts.constants.items where c.term.leaf == leaf {
                if case .string(let s) = c.value.value, !known(s) { constants.append(s) }
            }
            if sampling {
                for h in facts.hints.items where h.leaf == leaf {
                    if case .string(let s) = h.value.value, !known(s) { constants.append(s) }
                }
            }
            var other = "example"
            var n = 1
            while known(other) {
                other = "example\(n)"
                n += 1
            }
            values = [LeafClass(state: .value(.string(other)), singleton: false, cost: 0, plain: .string(other))]
                + constants.map { LeafClass(state: .value(.string($0)), singleton: true, cost: 0) }
        case .double:
            var points: [Double] = []
            let sources = facts.constants.items.filter { $0.term.leaf == leaf }.map(\.value.value)
                + (sampling ? facts.hints.items.filter { $0.leaf == leaf }.map(\.value.value) : [])
            for v in sources {
                switch v {
                case .int(let i): points.append(Double(i))
                case .double(let d) where d.isFinite: points.append(d)
                default: break
                }
            }
            points = Array(Set(points)).sorted()
            values = []
            if points.isEmpty {
                values.append(LeafClass(state: .value(.double(0)), singleton: false, cost: 0))
            }
            for (i, p) in points.enumerated() {
                let below = i == 0 ? p - 1 : (points[i - 1] + p) / 2
                values.append(LeafClass(state: .value(.double(below)), singleton: false, cost: 0))
                values.append(LeafClass(state: .value(.double(p)), singleton: true, cost: 0))
            }
            if let last = points.last {
                values.append(LeafClass(state: .value(.double(last + 1)), singleton: false, cost: 0))
            }
        case .list:
            values = [LeafClass(state: .value(.list([])), singleton: false, cost: 0, plain: .list([]))]
            if sampling {
                // Lists of a few lengths, and of the lengths the hints name.
                var item = CELValue.null
                for d in node.decls.compactMap({ $0 }) {
                    if case .list(let inner) = d.type { item = InputTree.plainValue(of: inner) }
                }
                var lengths: [Int] = [1, 2, 3]
                for h in facts.hints.items where h.leaf == leaf {
                    if case .int(let i) = h.value.value, i >= 0, i <= 20 {
                        for n in [Int(i), Int(i) + 1] where !lengths.contains(n) && n > 0 { lengths.append(n) }
                    }
                }
                for n in lengths {
                    values.append(LeafClass(state: .value(.list(Array(repeating: item, count: n))), singleton: false, cost: 0))
                }
            }
        case .object:
            values = []
        case .conflict(let why):
            reasons.insert("input `\(node.path)` is \(why)")
            values = [LeafClass(state: .value(tree.plainValue(leaf)), singleton: false, cost: 0)]
        }
        values.append(LeafClass(state: .absent, singleton: true, cost: 1, plain: tree.required(leaf) ? nil : .null))
        if tree.absentIsValue(leaf) || facts.hasTargets.contains(leaf) {
            values.append(LeafClass(state: .invalid, singleton: true, cost: 2))
        }
        return values
    }

    /// Intervals of an ordered field.
    private mutating func orderedClasses(
        _ leaf: Int, links: [Link], assigned: [Int: LeafClass], order: [Int]
    ) -> [LeafClass] {
        let (lo, hi) = domain(leaf)
        var (all, semantic) = ownCuts(leaf, links: links)
        let incoming = links.filter { $0.later == leaf }
        // Cuts at the values of earlier fields' terms.
        for l in incoming {
            guard let cls = assigned[l.earlier.leaf] else { continue }
            for x in xValues(l.earlier, cls) {
                for q in [x, Self.plus(x, 1)].compactMap({ $0 }) {
                    all.insert(q)
                    semantic.insert(q)
                }
            }
        }
        // Cuts where this field's terms cross a cut of a later field (within two days).
        let myIndex = order.firstIndex(of: leaf) ?? 0
        var outgoing: [Link] = []
        for l in links where l.earlier.leaf == leaf {
            guard let j = order.firstIndex(of: l.later), j > myIndex else { continue }
            outgoing.append(l)
            var sources = Array(ownCuts(l.later, links: links).all)
            let (wlo, whi) = domain(l.later)
            sources.append(wlo)
            if let n = Self.plus(whi, 1) { sources.append(n) }
            for other in links where other.later == l.later && other.earlier.leaf != leaf {
                if let cls = assigned[other.earlier.leaf] { sources += xValues(other.earlier, cls) }
            }
            var targets: [Int64] = []
            for y in sources {
                for d in [-1, 0, 1, 2] as [Int64] { if let t = Self.plus(y, d) { targets.append(t) } }
            }
            cuts(leaf, l.earlier.chain, targets: targets, into: &all)
        }
        // Pairs of this field's own terms whose order must not vary inside a class.
        var pairs: [([ChainOp], [ChainOp])] = facts.selfPairs.items.filter { $0.leaf == leaf }.map { ($0.a, $0.b) }
        var byLater: [Int: [[ChainOp]]] = [:]
        for l in outgoing { byLater[l.later, default: []].append(l.earlier.chain) }
        for later in byLater.keys.sorted() {
            let chains = byLater[later] ?? []
            for i in chains.indices { for j in chains.indices where i < j && chains[i] != chains[j] { pairs.append((chains[i], chains[j])) } }
        }
        let varying = pairs.filter { !invariant($0.0, $0.1) }
        if !varying.isEmpty, !incoming.isEmpty, !sampling {
            reasons.insert(
                "`\(tree.nodes[leaf].path)` is compared with another field and with itself shifted by months and days, outside the fragment")
        }
        let clamp =
            incoming.isEmpty
            && facts.chained.items.contains { t in
                t.leaf == leaf && t.chain.contains { if case .addMonths = $0 { true } else { false } }
            }
        // The intervals.
        let points = all.filter { $0 > lo && $0 <= hi }.sorted()
        var intervals: [(Int64, Int64)] = []
        var start = lo
        for p in points {
            intervals.append((start, p - 1))
            start = p
        }
        intervals.append((start, hi))
        let kind = tree.nodes[leaf].kind
        let anchor: Int64 = kind == .int ? 0 : Stamps.anchorDay
        var out: [LeafClass] = []
        if sampling, kind == .timestamp {
            // Instants an unanalysable comparison names: on them and a second either side.
            for h in facts.hints.items where h.leaf == leaf {
                guard case .timestamp(let t) = h.value.value else { continue }
                for delta in [0, -1, 1] as [Int64] {
                    if let u = CELTimestamp(
                        seconds: t.seconds + delta, nanos: t.nanos, offsetSeconds: t.offsetSeconds, writtenWithZ: t.writtenWithZ)
                    {
                        out.append(LeafClass(state: .value(.timestamp(u)), singleton: false, cost: 0))
                    }
                }
            }
        }
        for (a, b) in intervals {
            var rep: Int64
            if a == b {
                rep = a
            } else if let n = Self.plus(b, 1), semantic.contains(n) {
                rep = b
            } else if semantic.contains(a) {
                rep = a
            } else {
                rep = Swift.max(a, Swift.min(b, anchor))
            }
            var reps = [rep]
            if a != b, clamp || !varying.isEmpty {
                reps = subclassReps(leaf, a, b, rep, clamp: clamp, pairs: incoming.isEmpty ? varying : [])
            }
            if sampling, a != b {
                for extra in [a, b] where !reps.contains(extra) && extra > Int64.min + 2 && extra < Int64.max - 2 {
                    if kind != .int || (extra > -1_000_000_000_000 && extra < 1_000_000_000_000) { reps.append(extra) }
                }
            }
            // A class of the proof is the interval (or a sub-class of it); a
            // timestamp's class holds every time of its day; a field cut at
            // another field's values has classes relative to that field
            // (`bought == held`), never one fixed value.
            let singleton = a == b && reps.count == 1 && kind != .timestamp && incoming.isEmpty
            for r in reps {
                let styles = sampling && kind == .timestamp ? Array(Stamps.styles.indices) : [0]
                for s in styles {
                    let valid = tree.nodes[leaf].decls.allSatisfy { d in
                        guard let d, kind == .int else { return true }
                        if let m = d.min, r < m { return false }
                        if let m = d.max, r > m { return false }
                        return true
                    }
                    // Days where a shift of the field runs off the calendar are
                    // real classes, but poor witnesses.
                    let offCalendar = facts.chained.items.contains { t in
                        t.leaf == leaf && !t.chain.contains { if case .addHours = $0 { true } else { false } }
                            && eval(leaf, t.chain, at: r) == nil
                    }
                    var plain: CELValue?
                    if r == reps[0], s == 0, let pp = position(leaf, tree.plainValue(leaf)), a <= pp, pp <= b {
                        plain = value(leaf, at: pp)
                    }
                    out.append(
                        LeafClass(
                            state: .value(value(leaf, at: r, style: s)), singleton: singleton, lo: a, hi: b,
                            cost: valid ? (offCalendar ? 1 : 0) : 2, plain: plain))
                }
            }
        }
        return out
    }

    // MARK: - Shifts of one field against each other

    /// Whether `d.f - d.g` stays in one category (≤ -2, -1, 0, 1, ≥ 2) for every day.
    func invariant(_ f: [ChainOp], _ g: [ChainOp]) -> Bool {
        func shape(_ c: [ChainOp]) -> (months: Int64, days: Int64)? {
            var months: Int64 = 0
            var days: Int64 = 0
            var sawDays = false
            var sawMonths = false
            for op in c {
                switch op {
                case .toDate: continue
                case .addMonths(let k):
                    if sawMonths || sawDays { return nil }
                    sawMonths = true
                    months = k
                case .addDays(let k):
                    if sawDays { return nil }
                    sawDays = true
                    days = k
                case .addHours: return nil
                }
            }
            return (months, days)
        }
        guard let a = shape(f), let b = shape(g) else { return false }
        if a.months == b.months { return true }
        let (dd, o1) = a.days.subtractingReportingOverflow(b.days)
        let (n, o2) = a.months.subtractingReportingOverflow(b.months)
        guard !o1, !o2, n.magnitude < 100_000, dd.magnitude < 1 << 40 else { return false }
        // n months apart: between 28n - 3 and 31n + 3 days, whatever the day.
        let m = Int64(n.magnitude)
        let low = 28 * m - 3
        let high = 31 * m + 3
        let (lo, hi) = n > 0 ? (low + dd, high + dd) : (-high + dd, -low + dd)
        return lo >= 2 || hi <= -2
    }

    private func category(_ x: Int64?, _ y: Int64?) -> Int {
        guard let x, let y else { return 9 }
        let (d, o) = x.subtractingReportingOverflow(y)
        if o { return x < y ? -2 : 2 }
        return d <= -2 ? -2 : d >= 2 ? 2 : Int(d)
    }

    /// Representatives of an interval's sub-classes: the days on the 31st and on
    /// 29 February (month-end clamping), and each category of the varying pairs.
    private func subclassReps(_ leaf: Int, _ a: Int64, _ b: Int64, _ rep: Int64, clamp: Bool, pairs: [([ChainOp], [ChainOp])]) -> [Int64] {
        let window: Int64 = pairs.isEmpty ? 1461 : 146_097
        var found: [[Int]: Int64] = [:]
        var order: [[Int]] = []
        func key(_ p: Int64) -> [Int] {
            var k: [Int] = []
            if clamp {
                if let d = CELDate(daysSinceEpoch: p) {
                    k.append(d.month == 2 && d.day == 29 ? 2 : d.day == 31 ? 1 : 0)
                } else {
                    k.append(0)
                }
            }
            for (f, g) in pairs { k.append(category(eval(leaf, f, at: p), eval(leaf, g, at: p))) }
            return k
        }
        func visit(_ p: Int64) {
            let k = key(p)
            if found[k] == nil {
                found[k] = p
                order.append(k)
            }
        }
        visit(rep)
        let forwardEnd = Swift.min(b, Self.plus(rep, window) ?? b)
        var p = rep
        while p < forwardEnd {
            p += 1
            visit(p)
            if pairs.isEmpty, order.count == 3 { break }
        }
        let backwardEnd = Swift.max(a, Self.plus(rep, -window) ?? a)
        p = rep
        while p > backwardEnd {
            if pairs.isEmpty, order.count == 3 { break }
            p -= 1
            visit(p)
        }
        return order.compactMap { found[$0] }
    }
}
