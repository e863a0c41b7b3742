import CEL
import VerdictJSON

/// Chooses the one policy that answers a ticket. Owns everything about that
/// choice: the selector keys, each policy's defaults for them, the days a
/// dated version is in force, matching, the reasons a ticket matches none,
/// and the load-time check that no two policies can match the same ticket.
/// A route is a list of predicates over the ticket.
public struct Router: Sendable {
    /// A distinct `applies_to` key across policies: `market`, `product`, `unit.model`.
    public struct Key: Sendable, Hashable {
        public var name: String
        public var path: [String]
        /// The values the input declares (nil: any text).
        public var declared: [String]? = nil
    }

    /// The days a dated version is in force: `from` (nil: since the
    /// beginning of time) up to, not including, `until` (nil: no end), on
    /// the date of the ticket's `input`.
    public struct Window: Sendable, Hashable {
        public var input: String
        public var inputIsTimestamp: Bool
        public var from: CELDate?
        public var until: CELDate?

        public init(input: String, inputIsTimestamp: Bool, from: CELDate?, until: CELDate?) {
            self.input = input
            self.inputIsTimestamp = inputIsTimestamp
            self.from = from
            self.until = until
        }

        func contains(_ d: CELDate) -> Bool {
            if let from, d < from { return false }
            if let until, !(d < until) { return false }
            return true
        }
    }

    /// What one policy answers.
    public struct Route: Sendable, Hashable {
        public var name: String
        public var version: String?
        public var selectors: [PolicySelector]
        public var window: Window?

        public init(name: String, version: String?, selectors: [PolicySelector], window: Window?) {
            self.name = name
            self.version = version
            self.selectors = selectors
            self.window = window
        }
    }

    /// One condition a ticket must meet for a policy to answer it.
    public enum Predicate: Sendable, Hashable {
        /// The ticket's value for `keys[key]` (or, when the ticket leaves it
        /// out, the policy's default for it) is one of `values`.
        case oneOf(key: Int, values: [String], defaultValue: String?)
        /// The ticket's date for `dateKeys[key]` falls in the window.
        case inForce(key: Int, window: Window)
    }

    /// In first-declared order over the policies.
    public let keys: [Key]
    /// The date inputs dated versions are chosen by.
    public let dateKeys: [Key]
    /// For each policy (in the set's order), the predicates that must all hold.
    public let predicates: [[Predicate]]
    public let routes: [Route]
    /// The same choice over value codes, for readers that match a key's
    /// bytes against the values policies name without making strings; nil
    /// when a policy is dated or a key has too many values.
    public let coded: CodedRoutes?

    public init(routes: [Route]) {
        var keys: [Key] = []
        var dateKeys: [Key] = []
        for route in routes {
            for s in route.selectors where !keys.contains(where: { $0.name == s.key }) {
                keys.append(Key(name: s.key, path: s.key.split(separator: ".").map(String.init), declared: s.declared))
            }
            if let w = route.window, !dateKeys.contains(where: { $0.name == w.input }) {
                dateKeys.append(Key(name: w.input, path: w.input.split(separator: ".").map(String.init)))
            }
        }
        self.keys = keys
        self.dateKeys = dateKeys
        self.routes = routes
        self.predicates = routes.map { route in
            var out = route.selectors.compactMap { s in
                keys.firstIndex { $0.name == s.key }.map {
                    Predicate.oneOf(key: $0, values: s.values, defaultValue: s.defaultValue)
                }
            }
            if let w = route.window, let k = dateKeys.firstIndex(where: { $0.name == w.input }) {
                out.append(.inForce(key: k, window: w))
            }
            return out
        }
        self.coded = CodedRoutes(keys: keys.count, predicates: predicates)
    }

    /// `route` for tickets whose key values are known as codes: per key, the
    /// index of the ticket's value in `values[key]`, or `CodedRoutes.missing`
    /// when the ticket leaves the key out (or gives null). A value no policy
    /// names cannot be coded: such a ticket, and every ticket no policy
    /// answers, goes to `route`, which says why.
    public struct CodedRoutes: Sendable {
        /// Per key, the values policies name (accepted or as their default), as UTF-8.
        public let values: [[[UInt8]]]
        /// Per policy, per key, the codes it accepts as a bit set.
        let accepts: [[UInt64]]
        public static let missing = 63

        init?(keys: Int, predicates: [[Predicate]]) {
            var values = [[String]](repeating: [], count: keys)
            for preds in predicates {
                for p in preds {
                    guard case .oneOf(let key, let accepted, let defaultValue) = p else { return nil }
                    for v in accepted + (defaultValue.map { [$0] } ?? []) where !values[key].contains(v) {
                        values[key].append(v)
                    }
                }
            }
            guard values.allSatisfy({ $0.count < Self.missing }) else { return nil }
            self.values = values.map { $0.map { Array($0.utf8) } }
            self.accepts = predicates.map { preds in
                var masks = [UInt64](repeating: ~0, count: keys)
                for case .oneOf(let key, let accepted, let defaultValue) in preds {
                    var mask: UInt64 = 0
                    for (code, v) in values[key].enumerated() where accepted.contains(v) { mask |= 1 << UInt64(code) }
                    if let d = defaultValue, accepted.contains(d) { mask |= 1 << UInt64(Self.missing) }
                    masks[key] &= mask
                }
                return masks
            }
        }

        /// The first policy that accepts these codes (one per key), as `route` chooses.
        public func route(_ codes: UnsafeBufferPointer<Int>) -> Int? {
            policies: for (i, masks) in accepts.enumerated() {
                for (k, mask) in masks.enumerated() where mask & (1 << UInt64(codes[k])) == 0 { continue policies }
                return i
            }
            return nil
        }
    }

    /// Per-evaluator scratch space for `route`, reused from ticket to ticket.
    public struct Scratch: Sendable {
        var values: [String?]
        /// Per date key: not read yet (nil), or the date, or why there is none.
        var dates: [Result<CELDate, RouteFailure>?]
    }

    public func makeScratch() -> Scratch {
        Scratch(
            values: [String?](repeating: nil, count: keys.count),
            dates: [Result<CELDate, RouteFailure>?](repeating: nil, count: dateKeys.count))
    }

    /// The index of the policy that answers the ticket, or why none does
    /// (an error line's message).
    public func route(_ ticket: JSONObject, scratch: inout Scratch) -> Result<Int, RouteFailure> {
        route(scratch: &scratch) { k, isDate in Self.lookup(ticket, (isDate ? dateKeys : keys)[k].path) }
    }

    /// Routing over any reading of the ticket: `field(k, isDate)` gives the
    /// JSON value at the path of `keys[k]` (or `dateKeys[k]`), nil when the
    /// ticket leaves it out.
    public func route(scratch: inout Scratch, field: (Int, Bool) -> JSONValue?) -> Result<Int, RouteFailure> {
        for (k, key) in keys.enumerated() {
            switch field(k, false) {
            case .string(let s)?:
                scratch.values[k] = s
            case nil, .null?:
                scratch.values[k] = nil
            case let other?:
                return .failure(RouteFailure(message: "`\(key.name)` must be a string, not \(InputPlan.describe(other))"))
            }
        }
        for k in scratch.dates.indices { scratch.dates[k] = nil }
        var selected: [Int] = []
        for (i, preds) in predicates.enumerated() where preds.allSatisfy({ selects($0, scratch.values) }) {
            guard let window = windowPredicate(preds) else { return .success(i) }
            selected.append(i)
            if case .success(let d) = date(window.key, field, &scratch), window.window.contains(d) {
                return .success(i)
            }
        }
        if let first = selected.first, let w = windowPredicate(predicates[first]) {
            return .failure(notInForce(routes[first].name, selected, key: w.key, scratch))
        }
        // Say why, naming a missing key when there is one no policy fills
        // in, or a value the input does not declare (with the declared ones).
        var described: [String] = []
        for (k, key) in keys.enumerated() {
            guard let v = scratch.values[k] ?? defaultValue(forKey: k) else {
                return .failure(RouteFailure(message: "`\(key.name)` is missing: no policy can be chosen"))
            }
            if let declared = key.declared, !declared.contains(v) {
                var message = "\(key.name) \"\(InputPlan.clip(v))\" is not one of the declared values: "
                message += declared.joined(separator: ", ")
                if let near = Suggest.closest(to: v, in: declared) { message += "; did you mean \"\(near)\"?" }
                return .failure(RouteFailure(message: message))
            }
            described.append("\(key.name) \"\(InputPlan.clip(v))\"")
        }
        return .failure(RouteFailure(message: "no policy applies to \(described.joined(separator: " and "))"))
    }

    /// Whether some policy's selectors accept these values (one per key; dates not considered).
    public func selects(_ values: [String?]) -> Bool {
        predicates.contains { preds in preds.allSatisfy { selects($0, values) } }
    }

    private func selects(_ p: Predicate, _ values: [String?]) -> Bool {
        switch p {
        case .oneOf(let key, let accepted, let defaultValue):
            guard let v = values[key] ?? defaultValue else { return false }
            return accepted.contains(v)
        case .inForce:
            return true
        }
    }

    private func windowPredicate(_ preds: [Predicate]) -> (key: Int, window: Window)? {
        for case .inForce(let key, let window) in preds { return (key, window) }
        return nil
    }

    /// The ticket's date for a date key, read once per ticket.
    private func date(_ k: Int, _ field: (Int, Bool) -> JSONValue?, _ scratch: inout Scratch) -> Result<CELDate, RouteFailure> {
        if let known = scratch.dates[k] { return known }
        let key = dateKeys[k]
        let result: Result<CELDate, RouteFailure>
        switch field(k, true) {
        case nil, .null?:
            result = .failure(RouteFailure(message: "`\(key.name)` is missing"))
        case .string(let s)?:
            if let t = CELTimestamp.parse(s) {
                result = .success(t.date)
            } else if let d = CELDate.parse(s) {
                result = .success(d)
            } else {
                result = .failure(RouteFailure(message: "`\(key.name)`: \"\(InputPlan.clip(s))\" is not a date or timestamp"))
            }
        case let other?:
            result = .failure(RouteFailure(message: "`\(key.name)` must be a date or timestamp, not \(InputPlan.describe(other))"))
        }
        scratch.dates[k] = result
        return result
    }

    /// Why none of the dated versions that match a ticket's selectors is in force for it.
    private func notInForce(_ name: String, _ versions: [Int], key: Int, _ scratch: Scratch) -> RouteFailure {
        switch scratch.dates[key] {
        case .failure(let f)?:
            return RouteFailure(message: "\(f.message): no version of policy `\(name)` can be chosen")
        case .success(let d)?:
            let earliest = versions.compactMap { i in routes[i].window?.from.map { (i, $0) } }.min { $0.1 < $1.1 }
            var message = "no version of policy `\(name)` is in force on \(d)"
            if let (i, from) = earliest {
                let v = routes[i].version.map { " (\($0))" } ?? ""
                message += ": the first\(v) takes effect on \(from)"
            }
            return RouteFailure(message: message)
        case nil:
            return RouteFailure(message: "no version of policy `\(name)` can be chosen")
        }
    }

    /// The first policy's default for a key, as error messages describe a ticket that leaves it out.
    private func defaultValue(forKey k: Int) -> String? {
        for preds in predicates {
            for case .oneOf(let key, _, let d?) in preds where key == k { return d }
        }
        return nil
    }

    /// The value at a dotted path of the ticket, without boxing the ticket.
    private static func lookup(_ ticket: JSONObject, _ path: [String]) -> JSONValue? {
        var object = ticket
        for (i, part) in path.enumerated() {
            guard let v = object[part] else { return nil }
            if i == path.count - 1 { return v }
            guard case .object(let o) = v else { return nil }
            object = o
        }
        return nil
    }

    /// Two policies that could both answer some ticket.
    public struct Overlap: Sendable, Hashable {
        public var first: Int
        public var second: Int
        /// One ticket they share, as `key `value`` parts.
        public var example: [String]
    }

    /// For every policy that could answer a ticket an earlier policy also
    /// answers, the first such earlier policy: a key only one of them selects
    /// on matches any value, as a ticket could carry any; two windows on the
    /// same date input are disjoint when one ends before the other begins,
    /// windows on different inputs never are. At most one overlap per policy,
    /// so that 10,000 policies for the same tickets give 9,999 errors, not
    /// fifty million; and candidates come from an index on the most selective
    /// key, so that 10,000 disjoint policies are checked in linear time.
    public func overlaps() -> [Overlap] {
        guard routes.count > 1 else { return [] }
        let sets: [[Set<String>?]] = predicates.map { p in keys.indices.map { k in values(p, key: k).map(Set.init) } }
        var out: [Overlap] = []
        // The key with the most distinct values among the routes that select on it.
        let pivot = keys.indices.max { x, y in
            Set(sets.compactMap { $0[x] }.joined()).count < Set(sets.compactMap { $0[y] }.joined()).count
        }
        var byValue: [String: [Int]] = [:]
        var anyValue: [Int] = []  // routes that do not select on the pivot key
        for r in routes.indices {
            if let pivot, let values = sets[r][pivot] {
                for v in values { byValue[v, default: []].append(r) }
            } else {
                anyValue.append(r)
            }
        }
        for b in routes.indices {
            var first: Int?
            func consider(_ list: [Int]) {
                for a in list {
                    if a >= b || (first.map { a >= $0 } ?? false) { break }
                    if disjoint(a, b, sets) { continue }
                    first = a
                    break
                }
            }
            if let pivot, let values = sets[b][pivot] {
                for v in values { consider(byValue[v] ?? []) }
                consider(anyValue)
            } else {
                consider(Array(0..<b))
            }
            if let a = first { out.append(Overlap(first: a, second: b, example: example(a, b, sets))) }
        }
        return out
    }

    /// Whether no ticket can match both routes.
    private func disjoint(_ a: Int, _ b: Int, _ sets: [[Set<String>?]]) -> Bool {
        for k in keys.indices {
            if let x = sets[a][k], let y = sets[b][k], x.isDisjoint(with: y) { return true }
        }
        if let wa = routes[a].window, let wb = routes[b].window, wa.input == wb.input {
            let startA = wa.from?.daysSinceEpoch ?? Int64.min
            let startB = wb.from?.daysSinceEpoch ?? Int64.min
            let endA = wa.until?.daysSinceEpoch ?? Int64.max
            let endB = wb.until?.daysSinceEpoch ?? Int64.max
            return max(startA, startB) >= min(endA, endB)
        }
        return false
    }

    /// A ticket both routes answer, as `key `value`` parts (keys by name).
    private func example(_ a: Int, _ b: Int, _ sets: [[Set<String>?]]) -> [String] {
        var example: [String] = []
        for k in keys.indices.sorted(by: { keys[$0].name < keys[$1].name }) {
            let common: Set<String>?
            switch (sets[a][k], sets[b][k]) {
            case (nil, nil): common = nil
            case (let x?, nil), (nil, let x?): common = x
            case (let x?, let y?): common = x.intersection(y)
            }
            if let v = common?.min() { example.append("\(keys[k].name) `\(v)`") }
        }
        // Name the latest start among the windows: a day both answer.
        let starts = [routes[a].window, routes[b].window].compactMap { w in w.flatMap { w in w.from.map { (w.input, $0) } } }
        if let (input, from) = starts.max(by: { $0.1 < $1.1 }) {
            example.append("\(input) on or after \(from)")
        }
        return example
    }

    private func values(_ predicates: [Predicate], key k: Int) -> [String]? {
        for case .oneOf(let key, let values, _) in predicates where key == k { return values }
        return nil
    }
}

/// Why no policy answers a ticket: the message of its error line.
public struct RouteFailure: Error, Sendable, Hashable {
    public var message: String
}
