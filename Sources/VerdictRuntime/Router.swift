import VerdictJSON

/// Chooses the one policy that answers a ticket. Owns everything about that
/// choice: the selector keys, each policy's defaults for them, matching, the
/// reasons a ticket matches none, and the load-time check that no two
/// policies can match the same ticket. A route is a list of predicates, so a
/// new kind of condition (a date range for effective-dated versions) is one
/// more case here.
public struct Router: Sendable {
    /// A distinct `applies_to` key across policies: `market`, `product`, `unit.model`.
    public struct Key: Sendable, Hashable {
        public var name: String
        public var path: [String]
    }

    /// One condition a ticket must meet for a policy to answer it.
    public enum Predicate: Sendable, Hashable {
        /// The ticket's value for `keys[key]` (or, when the ticket leaves it
        /// out, the policy's default for it) is one of `values`.
        case oneOf(key: Int, values: [String], defaultValue: String?)
    }

    /// In first-declared order over the policies.
    public let keys: [Key]
    /// For each policy (in the set's order), the predicates that must all hold.
    public let routes: [[Predicate]]

    public init(selectors: [[PolicySelector]]) {
        var keys: [Key] = []
        for policy in selectors {
            for s in policy where !keys.contains(where: { $0.name == s.key }) {
                keys.append(Key(name: s.key, path: s.key.split(separator: ".").map(String.init)))
            }
        }
        self.keys = keys
        self.routes = selectors.map { policy in
            policy.compactMap { s in
                keys.firstIndex { $0.name == s.key }.map {
                    Predicate.oneOf(key: $0, values: s.values, defaultValue: s.defaultValue)
                }
            }
        }
    }

    /// Per-evaluator scratch space for `route`, reused from ticket to ticket.
    public func makeScratch() -> [String?] { [String?](repeating: nil, count: keys.count) }

    /// The index of the policy that answers the ticket, or why none does
    /// (an error line's message).
    public func route(_ ticket: JSONObject, scratch keyValues: inout [String?]) -> Result<Int, RouteFailure> {
        for (k, key) in keys.enumerated() {
            switch Self.lookup(ticket, key.path) {
            case .string(let s)?:
                keyValues[k] = s
            case nil, .null?:
                keyValues[k] = nil
            case let other?:
                return .failure(RouteFailure(message: "`\(key.name)` must be a string, not \(InputPlan.describe(other))"))
            }
        }
        for (i, predicates) in routes.enumerated() where predicates.allSatisfy({ holds($0, keyValues) }) {
            return .success(i)
        }
        // Say why, naming a missing key when there is one no policy fills in.
        var described: [String] = []
        for (k, key) in keys.enumerated() {
            guard let v = keyValues[k] ?? defaultValue(forKey: k) else {
                return .failure(RouteFailure(message: "`\(key.name)` is missing: no policy can be chosen"))
            }
            described.append("\(key.name) \"\(InputPlan.clip(v))\"")
        }
        return .failure(RouteFailure(message: "no policy applies to \(described.joined(separator: " and "))"))
    }

    private func holds(_ p: Predicate, _ keyValues: [String?]) -> Bool {
        switch p {
        case .oneOf(let key, let values, let defaultValue):
            guard let v = keyValues[key] ?? defaultValue else { return false }
            return values.contains(v)
        }
    }

    /// The first policy's default for a key, as error messages describe a ticket that leaves it out.
    private func defaultValue(forKey k: Int) -> String? {
        for predicates in routes {
            for case .oneOf(let key, _, let d?) in predicates where key == k { return d }
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

    /// Every pair of policies whose routes are not disjoint: a key only one of
    /// them selects on matches any value, as a ticket could carry any.
    public func overlaps() -> [Overlap] {
        var out: [Overlap] = []
        for a in routes.indices {
            for b in routes.indices where b > a {
                var example: [String] = []
                let overlap = keys.indices.sorted(by: { keys[$0].name < keys[$1].name }).allSatisfy { k in
                    let va = values(routes[a], key: k).map(Set.init)
                    let vb = values(routes[b], key: k).map(Set.init)
                    switch (va, vb) {
                    case (nil, nil):
                        return true
                    case (let x?, nil), (nil, let x?):
                        if let v = x.sorted().first { example.append("\(keys[k].name) `\(v)`") }
                        return true
                    case (let x?, let y?):
                        let common = x.intersection(y).sorted()
                        if let v = common.first { example.append("\(keys[k].name) `\(v)`") }
                        return !common.isEmpty
                    }
                }
                if overlap { out.append(Overlap(first: a, second: b, example: example)) }
            }
        }
        return out
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
