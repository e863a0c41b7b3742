import CEL
import VerdictJSON
import VerdictModel
import VerdictRuntime

/// What a ticket field can hold, merged over both versions' declarations.
enum LeafKind: Equatable, Sendable {
    case bool, int, double, string, date, timestamp, list
    /// Values of both versions: the new version's in order, then the old one's extras.
    case enumeration([String])
    case object
    /// The versions declare the field with different types.
    case conflict(String)

    var isOrdered: Bool {
        switch self {
        case .int, .date, .timestamp: true
        default: false
        }
    }
}

/// Both versions' inputs, merged by path: one node per ticket field, in the
/// new version's declaration order, then the old version's extras.
struct InputTree: Sendable {
    struct Node: Sendable {
        var path: String
        var key: String
        var parent: Int?
        var children: [Int] = []
        /// Index 0: old, 1: new; nil where that version does not declare the path.
        var decls: [InputSnapshot?] = [nil, nil]
        var kind: LeafKind = .bool
    }

    var nodes: [Node] = []
    var roots: [Int] = []
    var byPath: [String: Int] = [:]

    init(old: [InputSnapshot], new: [InputSnapshot]) {
        add(new, version: 1, parent: nil)
        add(old, version: 0, parent: nil)
        for i in nodes.indices { nodes[i].kind = Self.merge(nodes[i].decls) }
    }

    private mutating func add(_ inputs: [InputSnapshot], version: Int, parent: Int?) {
        for input in inputs {
            let index: Int
            if let existing = byPath[input.path] {
                index = existing
            } else {
                index = nodes.count
                nodes.append(Node(path: input.path, key: input.name, parent: parent))
                byPath[input.path] = index
                if let parent { nodes[parent].children.append(index) } else { roots.append(index) }
            }
            nodes[index].decls[version] = input
            if let fields = input.fields { add(fields, version: version, parent: index) }
        }
    }

    private static func kind(_ t: InputType) -> LeafKind {
        switch t {
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .date: .date
        case .timestamp: .timestamp
        case .enumeration(let v): .enumeration(v)
        case .list: .list
        case .object: .object
        }
    }

    private static func merge(_ decls: [InputSnapshot?]) -> LeafKind {
        let kinds = [decls[1], decls[0]].compactMap { $0.map { kind($0.type) } }
        guard var merged = kinds.first else { return .conflict("undeclared") }
        for k in kinds.dropFirst() {
            switch (merged, k) {
            case (.enumeration(let a), .enumeration(let b)):
                merged = .enumeration(a + b.filter { !a.contains($0) })
            case (.list, .list):
                if case .list(let x)? = decls[0]?.type, case .list(let y)? = decls[1]?.type, x != y {
                    return .conflict("a list of \(x.name) in one version and of \(y.name) in the other")
                }
            default:
                if merged != k {
                    return .conflict("\(decls[0]?.type.name ?? "?") in the old version and \(decls[1]?.type.name ?? "?") in the new")
                }
            }
        }
        return merged
    }

    func decl(_ node: Int, _ version: Int) -> InputSnapshot? { nodes[node].decls[version] }

    /// Whether some version needs the field (no `optional`, no `default`).
    func required(_ node: Int) -> Bool {
        nodes[node].decls.contains { d in d.map { !$0.optional && $0.defaultValue == nil } ?? false }
    }

    /// Whether leaving the field out gives something other than an error in
    /// some version (null or a default), so that a wrong value is a class of its own.
    func absentIsValue(_ node: Int) -> Bool {
        nodes[node].decls.contains { d in d.map { $0.optional || $0.defaultValue != nil } ?? false }
    }

    func ancestors(_ node: Int) -> [Int] {
        var out: [Int] = []
        var p = nodes[node].parent
        while let q = p {
            out.append(q)
            p = nodes[q].parent
        }
        return out.reversed()
    }

    func descendants(_ node: Int) -> [Int] {
        var out: [Int] = []
        var stack = nodes[node].children.reversed() as [Int]
        while let n = stack.popLast() {
            out.append(n)
            stack.append(contentsOf: nodes[n].children.reversed())
        }
        return out
    }

    /// The bounds a value must respect in every version that declares the field.
    func intBounds(_ node: Int) -> (min: Int64?, max: Int64?) {
        var lo: Int64?
        var hi: Int64?
        for d in nodes[node].decls.compactMap({ $0 }) {
            if let m = d.min { lo = Swift.max(lo ?? m, m) }
            if let m = d.max { hi = Swift.min(hi ?? m, m) }
        }
        return (lo, hi)
    }

    /// A value every declaring version accepts, for fields a decision does not read.
    func plainValue(_ node: Int) -> CELValue {
        switch nodes[node].kind {
        case .bool: return .bool(false)
        case .int:
            let (lo, hi) = intBounds(node)
            var v: Int64 = 0
            if let lo, v < lo { v = lo }
            if let hi, v > hi { v = hi }
            return .int(v)
        case .double: return .double(0)
        case .string: return .string("example")
        case .enumeration(let values):
            let accepted = values.first { v in
                nodes[node].decls.allSatisfy { d in
                    guard let d, case .enumeration(let own) = d.type else { return true }
                    return own.contains(v)
                }
            }
            return .string(accepted ?? values.first ?? "")
        case .date: return CELDate(year: 2025, month: 1, day: 15).map(CELValue.date) ?? .null
        case .timestamp: return Stamps.make(Stamps.anchorDay, style: 0)
        case .list: return .list([])
        case .object, .conflict: return .null
        }
    }

    /// A plain value of a declared type (list items, sampling).
    static func plainValue(of type: InputType) -> CELValue {
        switch type {
        case .bool: return .bool(false)
        case .int: return .int(0)
        case .double: return .double(0)
        case .string: return .string("example")
        case .enumeration(let v): return .string(v.first ?? "")
        case .date: return CELDate(year: 2025, month: 1, day: 15).map(CELValue.date) ?? .null
        case .timestamp: return Stamps.make(Stamps.anchorDay, style: 0)
        case .list: return .list([])
        case .object: return .map(CELMap())
        }
    }
}

/// Timestamps for a day: the time and offset a class representative uses.
enum Stamps {
    /// 2025-01-15, the day representatives start from when nothing constrains them.
    static let anchorDay: Int64 = CELDate(year: 2025, month: 1, day: 15)?.daysSinceEpoch ?? 20103
    /// Times of day and offsets: a plain one, and two near midnight with
    /// offsets of both signs (where the local date and the UTC date differ).
    static let styles: [(seconds: Int64, offset: Int32)] = [
        (9 * 3600 + 30 * 60, 8 * 3600),
        (23 * 3600 + 30 * 60, -5 * 3600),
        (30 * 60, 9 * 3600),
    ]

    /// A timestamp whose date in its own offset is `day`.
    static func make(_ day: Int64, style: Int) -> CELValue {
        let s = styles[Swift.max(0, Swift.min(style, styles.count - 1))]
        let local = day * 86400 + s.seconds
        guard let t = CELTimestamp(seconds: local - Int64(s.offset), offsetSeconds: s.offset, writtenWithZ: false) else {
            return .error(CELError(.range, "timestamp out of range"))
        }
        return .timestamp(t)
    }
}

/// The state of a ticket field in one class of tickets.
enum FieldState: Sendable {
    case absent
    /// A value of the wrong JSON type.
    case invalid
    case value(CELValue)
    /// Objects only.
    case present
}

/// JSON for ticket values.
enum TicketJSON {
    static func json(_ v: CELValue) -> JSONValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .number(JSONNumber(int: i))
        case .double(let d): return .number(JSONNumber(double: d))
        case .string(let s): return .string(s)
        case .date(let d): return .string(d.description)
        case .timestamp(let t): return .string(t.description)
        case .list(let items): return .array(items.map(json))
        case .map(let m):
            return .object(JSONObject(m.entries.map { (key: $0.key.celLiteral, value: json($0.value)) }))
        case .error: return .null
        }
    }

    /// Compact text, keys in order, without the `id`: to tell tickets apart.
    static func text(_ o: JSONObject) -> String {
        var out = ""
        write(.object(JSONObject(o.entries.filter { $0.key != "id" })), &out)
        return out
    }

    private static func write(_ v: JSONValue, _ out: inout String) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n.text
        case .string(let s): out += String(reflecting: s)
        case .array(let items):
            out += "["
            for (i, x) in items.enumerated() {
                if i > 0 { out += "," }
                write(x, &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, e) in o.entries.enumerated() {
                if i > 0 { out += "," }
                out += String(reflecting: e.key) + ":"
                write(e.value, &out)
            }
            out += "}"
        }
    }

    /// A value of the wrong type for the field.
    static func invalid(_ kind: LeafKind) -> JSONValue {
        switch kind {
        case .string, .enumeration, .date, .timestamp: return .number(JSONNumber(int: 0))
        default: return .string("invalid")
        }
    }

    /// Sets `path` (dotted) in an object, creating objects on the way.
    static func setting(_ path: [String], _ value: JSONValue, in object: JSONObject) -> JSONObject {
        guard let first = path.first else { return object }
        var entries = object.entries
        let rest = Array(path.dropFirst())
        let i = entries.firstIndex { $0.key == first }
        let newValue: JSONValue
        if rest.isEmpty {
            newValue = value
        } else {
            var inner = JSONObject()
            if let i, case .object(let o) = entries[i].value { inner = o }
            newValue = .object(setting(rest, value, in: inner))
        }
        if let i { entries[i].value = newValue } else { entries.append((key: first, value: newValue)) }
        return JSONObject(entries)
    }
}

extension InputTree {
    /// A ticket: fields with a state get it; the others, when `fill`, a plain
    /// value if some version needs them (optional and defaulted fields are
    /// left out); `skip` paths (selectors) are never written.
    func ticket(states: [FieldState?], fill: Bool, skip: Set<String>) -> JSONObject {
        JSONObject(entries(roots, states: states, fill: fill, skip: skip))
    }

    private func entries(_ list: [Int], states: [FieldState?], fill: Bool, skip: Set<String>) -> [(key: String, value: JSONValue)] {
        var out: [(key: String, value: JSONValue)] = []
        for n in list {
            let node = nodes[n]
            if skip.contains(node.path) { continue }
            if case .conflict = node.kind { continue }
            switch states[n] {
            case .absent?: continue
            case .invalid?: out.append((node.key, TicketJSON.invalid(node.kind)))
            case .value(let v)?: out.append((node.key, TicketJSON.json(v)))
            case .present?:
                out.append((node.key, .object(JSONObject(entries(node.children, states: states, fill: fill, skip: skip)))))
            case nil:
                guard fill, required(n) else { continue }
                if node.kind == .object {
                    out.append((node.key, .object(JSONObject(entries(node.children, states: states, fill: fill, skip: skip)))))
                } else {
                    out.append((node.key, TicketJSON.json(plainValue(n))))
                }
            }
        }
        return out
    }
}

/// The selector inputs (`applies_to` keys): fixed on each side to the first
/// value that side accepts, never part of a witness ticket.
struct Selectors: Sendable {
    /// Path → [old value, new value].
    var values: [(path: String, sides: [String])] = []

    init(old: CompiledPolicy, new: CompiledPolicy) {
        var keys: [String] = []
        for s in new.selectors + old.selectors where !keys.contains(s.key) { keys.append(s.key) }
        for key in keys {
            let o = old.selectors.first { $0.key == key }?.values.first
            let n = new.selectors.first { $0.key == key }?.values.first
            guard let ov = o ?? n, let nv = n ?? o else { continue }
            values.append((key, [ov, nv]))
        }
    }

    var paths: Set<String> { Set(values.map(\.path)) }

    func value(_ path: String, side: Int) -> String? { values.first { $0.path == path }?.sides[side] }

    /// The ticket as one side sees it: with that side's selector values.
    func applied(to ticket: JSONObject, side: Int) -> JSONObject {
        var t = ticket
        for v in values {
            t = TicketJSON.setting(v.path.split(separator: ".").map(String.init), .string(v.sides[side]), in: t)
        }
        return t
    }
}
