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
        /// For a list: the most items it may have (`max_items`).
        public var maxItems: Int64? = nil
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
    func bind(_ ticket: JSONObject, values: UnsafeMutableBufferPointer<CELValue>, pendingGroups: inout [Int]) {
        for node in roots {
            bind(node, ticket[node.key], parentAbsent: nil, values: values, pendingGroups: &pendingGroups)
        }
    }

    private func bind(
        _ node: Node, _ json: JSONValue?, parentAbsent: CELError?, values: UnsafeMutableBufferPointer<CELValue>, pendingGroups: inout [Int]
    ) {
        // A field whose parent object is missing or invalid. Defaults fill in
        // for a missing parent only: under an invalid one (`"request": "x"`)
        // nothing is known, and a default would be a guess.
        if let parentAbsent {
            values[node.slot] = parentAbsent.code == .missing ? node.absent : .error(parentAbsent)
            if case .object(let children) = node.kind {
                for c in children {
                    bind(c, nil, parentAbsent: parentAbsent, values: values, pendingGroups: &pendingGroups)
                }
            }
            return
        }
        guard let json, json != .null else {
            values[node.slot] = node.absent
            if case .object(let children) = node.kind {
                for c in children {
                    bind(c, nil, parentAbsent: node.missing, values: values, pendingGroups: &pendingGroups)
                }
            }
            return
        }
        if case .object(let children) = node.kind {
            guard case .object(let obj) = json else {
                let e = CELError(.invalidArgument, "\(node.path): expected an object, got \(Self.describe(json))")
                values[node.slot] = .error(e)
                for c in children { bind(c, nil, parentAbsent: e, values: values, pendingGroups: &pendingGroups) }
                return
            }
            pendingGroups.append(node.slot)
            for c in children {
                bind(c, obj[c.key], parentAbsent: nil, values: values, pendingGroups: &pendingGroups)
            }
            return
        }
        values[node.slot] = convert(json, node.kind, node: node, path: node.path)
    }

    func convert(_ json: JSONValue, _ kind: Kind, node: Node, path: String) -> CELValue {
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
            return Self.bounded(v, node: node, path: path)
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
            if let limit = node.maxItems, items.count > limit {
                return .error(
                    CELError(.range, "\(path): \(items.count) items, more than its `max_items` \(limit)"))
            }
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

    /// A whole number within the input's declared `min` and `max`, or why not.
    @inline(__always)
    static func bounded(_ v: Int64, node: Node, path: String) -> CELValue {
        if let min = node.min, v < min {
            return .error(CELError(.range, "\(path): \(v) is below the minimum \(min)"))
        }
        if let max = node.max, v > max {
            return .error(CELError(.range, "\(path): \(v) is above the maximum \(max)"))
        }
        return .int(v)
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

/// The fast path's binding (`FieldScanner`): the plan's nodes, each with the
/// capture of its path, converted straight from the line's bytes into slots.
/// Common values (true/false, plain whole numbers, strings without escapes,
/// enum values, dates, timestamps) build no JSON value; anything else reads
/// the field's bytes with `JSONReader` and goes through `InputPlan.convert`,
/// so both paths give the same value and the same error text.
///
/// The nodes are flattened in preorder into plain structs, so binding walks
/// an array without retaining anything.
public final class FastInputPlan: Sendable {
    enum Kind: UInt8, Sendable {
        case bool, int, string, enumeration, date, timestamp, object, other
    }

    struct Flat: Sendable {
        var slot: Int
        var capture: Int
        var kind: Kind
        /// The index just after this node's subtree.
        var end: Int
        /// This node's values in `enumBytes`/`enumValues`.
        var enumStart: Int
        var enumCount: Int
        var min: Int64?
        var max: Int64?
    }

    let inputs: InputPlan
    let flat: [Flat]
    /// The plan's nodes, in the same order (paths, defaults, messages).
    let nodes: [InputPlan.Node]
    let enumBytes: [[UInt8]]
    let enumValues: [CELValue]

    /// Nil when the schema lacks one of the plan's paths (the caller then reads slowly).
    public init?(inputs: InputPlan, schema: FieldScanner.Schema) {
        var flat: [Flat] = []
        var nodes: [InputPlan.Node] = []
        var enumBytes: [[UInt8]] = []
        var enumValues: [CELValue] = []
        func add(_ n: InputPlan.Node) -> Bool {
            guard let capture = schema.ids[n.path] else { return false }
            let kind: Kind
            switch n.kind {
            case .bool: kind = .bool
            case .int: kind = .int
            case .string: kind = .string
            case .enumeration(_, let ordered):
                kind = .enumeration
                for v in ordered {
                    enumBytes.append(Array(v.utf8))
                    enumValues.append(.string(v))
                }
            case .date: kind = .date
            case .timestamp: kind = .timestamp
            case .object: kind = .object
            default: kind = .other
            }
            let index = flat.count
            let count = { if case .enumeration(_, let o) = n.kind { o.count } else { 0 } }()
            flat.append(
                Flat(
                    slot: n.slot, capture: capture, kind: kind, end: 0, enumStart: enumBytes.count - count,
                    enumCount: count, min: n.min, max: n.max))
            nodes.append(n)
            if case .object(let children) = n.kind {
                for c in children where !add(c) { return false }
            }
            flat[index].end = flat.count
            return true
        }
        for r in inputs.roots where !add(r) { return nil }
        self.inputs = inputs
        self.flat = flat
        self.nodes = nodes
        self.enumBytes = enumBytes
        self.enumValues = enumValues
    }

    /// The slot of each leaf (a field that is not an object input), with its
    /// node's index: what `value(leaf:_:_:)` converts on first read.
    var leaves: [(slot: Int, index: Int)] {
        flat.indices.filter { flat[$0].kind != .object }.map { (flat[$0].slot, $0) }
    }

    /// Binds what the line decides as a whole, the object inputs: a present
    /// object's slot goes to `pendingGroups` (its map is built when read); under
    /// an object the line lacks (or gives as null) every field takes its own
    /// default or is missing, under one that is not an object every field is
    /// its error, and these are marked `ready`. The other fields are left for
    /// `value(leaf:_:_:)` to convert when an expression first reads them: a
    /// field no asked decision needs costs nothing.
    func bind(
        _ scanner: FieldScanner.Captures, _ line: UnsafeRawBufferPointer, values: UnsafeMutableBufferPointer<CELValue>,
        ready: UnsafeMutableBufferPointer<Bool>, pendingGroups: inout [Int]
    ) {
        flat.withUnsafeBufferPointer { flat in
            var i = 0
            while i < flat.count {
                guard flat[i].kind == .object else {
                    i += 1
                    continue
                }
                let slot = flat[i].slot
                guard let capture = scanner.capture(flat[i].capture), capture.kind != .null else {
                    values[slot] = nodes[i].absent
                    // Under a missing object every field takes its own default (or is missing).
                    for k in (i + 1)..<flat[i].end {
                        values[flat[k].slot] = nodes[k].absent
                        ready[flat[k].slot] = true
                    }
                    i = flat[i].end
                    continue
                }
                guard capture.kind == .object else {
                    let e = CELError(
                        .invalidArgument,
                        "\(nodes[i].path): expected an object, got \(InputPlan.describe(json(capture, line)))")
                    values[slot] = .error(e)
                    // Under an invalid object nothing is known: no default is a guess.
                    for k in (i + 1)..<flat[i].end {
                        values[flat[k].slot] = .error(e)
                        ready[flat[k].slot] = true
                    }
                    i = flat[i].end
                    continue
                }
                pendingGroups.append(slot)
                i += 1
            }
        }
    }

    /// The value of leaf `index` (see `leaves`) for the line `captures` were
    /// scanned from, when its enclosing objects are present (`bind` settled the rest).
    @inline(__always)
    func value(leaf index: Int, _ captures: FieldScanner.Captures, _ line: UnsafeRawBufferPointer) -> CELValue {
        let f = flat[index]
        guard let capture = captures.capture(f.capture), capture.kind != .null else { return nodes[index].absent }
        return convert(f, index, capture, line)
    }

    /// The field's value as JSON, for the slow conversions and messages.
    private func json(_ c: FieldScanner.Capture, _ line: UnsafeRawBufferPointer) -> JSONValue {
        if case .success(let v) = JSONReader.parse(UnsafeRawBufferPointer(rebasing: line[c.start..<c.end])) { return v }
        return .null  // unreachable: the scanner validated these bytes
    }

    @inline(__always)
    private func convert(_ f: Flat, _ index: Int, _ c: FieldScanner.Capture, _ line: UnsafeRawBufferPointer) -> CELValue {
        // A string's text without its quotes, when it has no escape.
        let text = c.kind == .string && !c.escaped
            ? UnsafeRawBufferPointer(rebasing: line[(c.start + 1)..<(c.end - 1)]) : nil
        switch f.kind {
        case .bool where c.kind == .bool:
            return .bool(c.bool)
        case .int where c.kind == .number && c.integer:
            if let v = Self.int(line, c) {
                if f.min.map({ v >= $0 }) ?? true, f.max.map({ v <= $0 }) ?? true { return .int(v) }
                return InputPlan.bounded(v, node: nodes[index], path: nodes[index].path)
            }
        case .string:
            if let text { return .string(String(decoding: text, as: UTF8.self)) }
        case .enumeration:
            if let text {
                for k in f.enumStart..<(f.enumStart + f.enumCount) where enumBytes[k].count == text.count {
                    if enumBytes[k].withUnsafeBytes({ $0.elementsEqual(text) }) { return enumValues[k] }
                }
            }
        case .date:
            if let text, let d = CELDate.parse(utf8: text) { return .date(d) }
        case .timestamp:
            if let text, let t = CELTimestamp.parse(utf8: text) { return .timestamp(t) }
        default:
            break
        }
        let node = nodes[index]
        return inputs.convert(json(c, line), node.kind, node: node, path: node.path)
    }

    /// A plain whole number's value, nil when it does not fit (the slow path says why).
    @inline(__always)
    private static func int(_ line: UnsafeRawBufferPointer, _ c: FieldScanner.Capture) -> Int64? {
        var i = c.start
        let negative = line[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard c.end - i <= 18 else { return nil }
        var v: Int64 = 0
        while i < c.end {
            v = v * 10 + Int64(line[i] &- 0x30)
            i += 1
        }
        return negative ? -v : v
    }
}
