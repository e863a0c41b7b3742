import CEL
import VerdictJSON

/// The declared ticket inputs, planned once: each leaf knows its slot, its
/// type and its default, so binding a ticket walks the declaration once and
/// never resolves a name.
public final class InputPlan: Sendable {
    public indirect enum Kind: Sendable {
        case bool, int, double, string, date, timestamp
        case enumeration(Set<String>, [String])
        case list(Kind)
        case object([Node])
    }

    public struct Node: Sendable {
        public var key: String
        public var path: String
        public var slot: Int
        public var kind: Kind
        public var optional: Bool
        public var defaultValue: CELValue?
        public var min: Int64?
        public var max: Int64?
        /// `"path is missing"`, made once rather than for every ticket that lacks the field.
        let missing: CELError
        /// The value when the ticket leaves the field out: its default, null
        /// when optional, else the missing error.
        let absent: CELValue

        public init(
            key: String, path: String, slot: Int, kind: Kind, optional: Bool, defaultValue: CELValue?,
            min: Int64?, max: Int64?
        ) {
            self.key = key
            self.path = path
            self.slot = slot
            self.kind = kind
            self.optional = optional
            self.defaultValue = defaultValue
            self.min = min
            self.max = max
            self.missing = InputPlan.missing(path)
            self.absent = defaultValue ?? (optional ? .null : .error(missing))
        }
    }

    /// The fields of an object input, to build its map when an expression reads the object itself.
    public final class Group: Sendable {
        public let keys: [String]
        public let slots: [Int]
        public init(keys: [String], slots: [Int]) {
            self.keys = keys
            self.slots = slots
        }
    }

    public let roots: [Node]

    public init(roots: [Node]) { self.roots = roots }

    /// Fills the input slots of `values`. Object slots that are present are
    /// left to the caller to build on demand (marked in `pendingGroups`).
    func bind(_ ticket: JSONObject, values: inout [CELValue], pendingGroups: inout [Int]) {
        for node in roots {
            bind(node, ticket[node.key], parentAbsent: nil, values: &values, pendingGroups: &pendingGroups)
        }
    }

    private func bind(
        _ node: Node, _ json: JSONValue?, parentAbsent: CELError?, values: inout [CELValue], pendingGroups: inout [Int]
    ) {
        // A field whose parent object is missing or invalid. Defaults fill in
        // for a missing parent only: under an invalid one (`"request": "x"`)
        // nothing is known, and a default would be a guess.
        if let parentAbsent {
            values[node.slot] = parentAbsent.code == .missing ? node.absent : .error(parentAbsent)
            if case .object(let children) = node.kind {
                for c in children {
                    bind(c, nil, parentAbsent: parentAbsent, values: &values, pendingGroups: &pendingGroups)
                }
            }
            return
        }
        guard let json, json != .null else {
            values[node.slot] = node.absent
            if case .object(let children) = node.kind {
                for c in children {
                    bind(c, nil, parentAbsent: node.missing, values: &values, pendingGroups: &pendingGroups)
                }
            }
            return
        }
        if case .object(let children) = node.kind {
            guard case .object(let obj) = json else {
                let e = CELError(.invalidArgument, "\(node.path): expected an object, got \(Self.describe(json))")
                values[node.slot] = .error(e)
                for c in children { bind(c, nil, parentAbsent: e, values: &values, pendingGroups: &pendingGroups) }
                return
            }
            pendingGroups.append(node.slot)
            for c in children {
                bind(c, obj[c.key], parentAbsent: nil, values: &values, pendingGroups: &pendingGroups)
            }
            return
        }
        values[node.slot] = convert(json, node.kind, node: node, path: node.path)
    }

    private func convert(_ json: JSONValue, _ kind: Kind, node: Node, path: String) -> CELValue {
        switch (kind, json) {
        case (.bool, .bool(let b)):
            return .bool(b)
        case (.int, .number(let n)):
            guard n.isInteger, let v = n.int else {
                return .error(
                    CELError(
                        n.isInteger ? .range : .invalidArgument,
                        n.isInteger
                            ? "\(path): \(Self.clip(n.text)) is out of the 64-bit integer range"
                            : "\(path): expected a whole number, got \(Self.clip(n.text))"))
            }
            if let min = node.min, v < min {
                return .error(CELError(.range, "\(path): \(v) is below the minimum \(min)"))
            }
            if let max = node.max, v > max {
                return .error(CELError(.range, "\(path): \(v) is above the maximum \(max)"))
            }
            return .int(v)
        case (.double, .number(let n)):
            guard n.double.isFinite else {
                return .error(CELError(.range, "\(path): \(Self.clip(n.text)) is out of range"))
            }
            return .double(n.double)
        case (.string, .string(let s)):
            return .string(s)
        case (.enumeration(let set, let ordered), .string(let s)):
            guard set.contains(s) else {
                return .error(
                    CELError(
                        .invalidArgument,
                        "\(path): unknown value \"\(Self.clip(s))\" (expected one of \(ordered.joined(separator: ", ")))"))
            }
            return .string(s)
        case (.date, .string(let s)):
            guard let d = CELDate.parse(s) else {
                return .error(CELError(.invalidArgument, "\(path): \"\(Self.clip(s))\" is not a valid date (YYYY-MM-DD)"))
            }
            return .date(d)
        case (.timestamp, .string(let s)):
            guard let t = CELTimestamp.parse(s) else {
                return .error(
                    CELError(
                        .invalidArgument,
                        "\(path): \"\(Self.clip(s))\" is not an RFC 3339 timestamp with a UTC offset"))
            }
            return .timestamp(t)
        case (.list(let inner), .array(let items)):
            var out: [CELValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                let v = convert(item, inner, node: node, path: path)
                if case .error(let e) = v {
                    // Name the element only when there is an error to report.
                    let detail = e.message.hasPrefix(path) ? String(e.message.dropFirst(path.count)) : ": " + e.message
                    return .error(CELError(e.code, "\(path)[\(i)]" + detail))
                }
                out.append(v)
            }
            return .list(out)
        default:
            return .error(
                CELError(.invalidArgument, "\(path): expected \(Self.expected(kind)), got \(Self.describe(json))"))
        }
    }

    static func missing(_ path: String) -> CELError {
        CELError(.missing, "\(path) is missing")
    }

    static func expected(_ kind: Kind) -> String {
        switch kind {
        case .bool: "true or false"
        case .int: "a whole number"
        case .double: "a number"
        case .string: "a string"
        case .enumeration: "a string"
        case .date: "a date string (YYYY-MM-DD)"
        case .timestamp: "a timestamp string"
        case .list: "a list"
        case .object: "an object"
        }
    }

    public static func describe(_ json: JSONValue) -> String {
        switch json {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): clip(n.text)
        case .string(let s): "the string \"\(clip(s))\""
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// Keeps echoed input short in messages: a 2 MB value must not come back in every reason.
    public static func clip(_ s: String) -> String {
        var out = ""
        var n = 0
        for ch in s.unicodeScalars {
            if n == 40 { return out + "…" }
            if ch.value < 0x20 || ch == "\"" || ch == "\\" {
                out += "\\u{\(String(ch.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(ch)
            }
            n += 1
        }
        return out
    }
}
