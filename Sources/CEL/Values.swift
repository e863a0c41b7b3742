// Values, types and errors of the CEL module.

/// The static type of a CEL expression as inferred by the checker.
///
/// `.dyn` is the escape hatch: anything is assignable to and from it, and values of
/// that type are dispatched at run time.
public indirect enum CELType: Hashable, Sendable, CustomStringConvertible {
    case bool, int, double, string, null, date, timestamp, dyn
    case list(CELType)
    case map(CELType, CELType)

    public var description: String {
        switch self {
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "double"
        case .string: return "string"
        case .null: return "null_type"
        case .date: return "date"
        case .timestamp: return "timestamp"
        case .dyn: return "dyn"
        case .list(let e): return "list(\(e))"
        case .map(let k, let v): return "map(\(k), \(v))"
        }
    }
}

/// A CEL run-time error. Errors are values: they flow through evaluation and are
/// absorbed by `&&`, `||`, `all` and `exists` as the CEL specification requires.
public struct CELError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// A declared variable has no value (e.g. an absent optional input field).
        case missing
        case noSuchKey
        case noSuchOverload
        case noSuchField
        case divisionByZero
        case overflow
        case range
        case invalidArgument
        case undeclaredReference
        case unboundFunction
        case typeMismatch
        /// The evaluation ran out of steps (`CELBudget`).
        case costLimit
        case other
    }
    public var code: Code
    /// One line, lowercase start, e.g. "division by zero".
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// A CEL value. Lists and maps are value types (copy on write).
public enum CELValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case list([CELValue])
    case map(CELMap)
    case date(CELDate)
    case timestamp(CELTimestamp)
    case error(CELError)

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The CEL name of the value's run-time type ("int", "list", "null_type", ...).
    public var typeName: String {
        switch self {
        case .null: return "null_type"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "double"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        case .date: return "date"
        case .timestamp: return "timestamp"
        case .error: return "error"
        }
    }

    public var description: String { celLiteral }

    /// The value as CEL source text. Integral doubles keep a ".0" (`1.0`, `1e+100`,
    /// `-0.5`); NaN and the infinities print as `double("NaN")`, `double("Infinity")`,
    /// `double("-Infinity")` (which evaluate back to the same value); strings are
    /// double-quoted with escapes; dates and timestamps print as `date("…")` /
    /// `timestamp("…")`; maps print in insertion order; an error prints its message.
    public var celLiteral: String {
        var out = ""
        writeLiteral(into: &out)
        return out
    }

    func writeLiteral(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += formatDoubleLiteral(d)
        case .string(let s): writeQuoted(s, into: &out)
        case .list(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += ", " }
                v.writeLiteral(into: &out)
            }
            out += "]"
        case .map(let m):
            out += "{"
            for i in 0..<m.count {
                if i > 0 { out += ", " }
                m.keys[i].writeLiteral(into: &out)
                out += ": "
                m.values[i].writeLiteral(into: &out)
            }
            out += "}"
        case .date(let d): out += "date(\"\(d.description)\")"
        case .timestamp(let t): out += "timestamp(\"\(t.description)\")"
        case .error(let e): out += e.message
        }
    }
}

extension CELValue {
    /// Structural equality: strings compare by Unicode code points (as in CEL, without
    /// Swift's canonical equivalence), maps ignore insertion order, doubles use IEEE `==`
    /// (NaN is unequal to itself, 0.0 equals -0.0), and int 1 is not equal to double 1.0
    /// here (use CEL's `==` operator for heterogeneous numeric equality).
    public static func == (a: CELValue, b: CELValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return scalarEqual(x, y)
        case (.list(let x), .list(let y)): return x == y
        case (.map(let x), .map(let y)): return x == y
        case (.date(let x), .date(let y)): return x == y
        case (.timestamp(let x), .timestamp(let y)): return x == y
        case (.error(let x), .error(let y)): return x == y
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let x): h.combine(1); h.combine(x)
        case .int(let x): h.combine(2); h.combine(x)
        case .double(let x): h.combine(3); h.combine(x)
        case .string(let x): h.combine(4); h.combine(ScalarString(x))
        case .list(let x): h.combine(5); h.combine(x)
        case .map(let x): h.combine(6); h.combine(x)
        case .date(let x): h.combine(7); h.combine(x)
        case .timestamp(let x): h.combine(8); h.combine(x)
        case .error(let x): h.combine(9); h.combine(x)
        }
    }
}

func formatDoubleLiteral(_ d: Double) -> String {
    if d.isNaN { return "double(\"NaN\")" }
    if d.isInfinite { return d < 0 ? "double(\"-Infinity\")" : "double(\"Infinity\")" }
    return d.description  // shortest round-trip digits; integral values keep ".0"
}

/// Formats a double like Go's `%g` with shortest digits, as cel-go's `string(double)`
/// does: "123.456", "-0.0045", "1e+06", "1.5e-07", "100000", "NaN", "+Inf", "-Inf".
func formatDoubleGo(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
    if d == 0 { return d.sign == .minus ? "-0" : "0" }
    // Shortest digits and decimal exponent, taken from Swift's description.
    let desc = d.magnitude.description
    var mantissa = Substring(desc)
    var exp10 = 0
    if let eIdx = desc.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = desc[desc.startIndex..<eIdx]
        exp10 = Int(desc[desc.index(after: eIdx)...]) ?? 0
    }
    var intPart = mantissa
    var fracPart: Substring = ""
    if let dot = mantissa.firstIndex(of: ".") {
        intPart = mantissa[mantissa.startIndex..<dot]
        fracPart = mantissa[mantissa.index(after: dot)...]
    }
    var digits = Array(intPart + fracPart)
    var dp = intPart.count + exp10  // decimal point position relative to digits
    while let f = digits.first, f == "0", digits.count > 1 {
        digits.removeFirst()
        dp -= 1
    }
    while let l = digits.last, l == "0", digits.count > 1 { digits.removeLast() }
    let sign = d.sign == .minus ? "-" : ""
    let exp = dp - 1
    if exp < -4 || exp >= 6 {  // Go: shortest %g switches to e-notation at exponent 6
        var s = sign + String(digits[0])
        if digits.count > 1 { s += "." + String(digits[1...]) }
        s += exp < 0 ? "e-" : "e+"
        let ae = abs(exp)
        s += ae < 10 ? "0\(ae)" : "\(ae)"
        return s
    }
    if dp <= 0 {
        return sign + "0." + String(repeating: "0", count: -dp) + String(digits)
    }
    if dp >= digits.count {
        return sign + String(digits) + String(repeating: "0", count: dp - digits.count)
    }
    return sign + String(digits[0..<dp]) + "." + String(digits[dp...])
}

func writeQuoted(_ s: String, into out: inout String) {
    out += "\""
    for u in s.unicodeScalars {
        switch u {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{0B}": out += "\\v"
        default:
            if u.value < 0x20 || u.value == 0x7F {
                let hex = String(u.value, radix: 16, uppercase: false)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    out += "\""
}

/// A map key: CEL map keys are ints, bools or strings. Strings compare by code points
/// (no Unicode normalization), as CEL requires.
enum CELMapKey: Hashable, Sendable {
    case int(Int64)
    case bool(Bool)
    case string(ScalarString)

    /// The key for a value used to build a map; nil for unsupported key types.
    init?(_ v: CELValue) {
        switch v {
        case .int(let i): self = .int(i)
        case .bool(let b): self = .bool(b)
        case .string(let s): self = .string(ScalarString(s))
        default: return nil
        }
    }

    /// Whether a map's key (an int, bool or string value) is this one.
    func matches(_ v: CELValue) -> Bool {
        switch (self, v) {
        case (.int(let a), .int(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return scalarEqual(a.value, b)
        default: return false
        }
    }

    /// The key for a lookup: integral doubles find int keys (heterogeneous numeric keys).
    init?(lookup v: CELValue) {
        switch v {
        case .double(let d):
            guard let i = exactInt64(d) else { return nil }
            self = .int(i)
        default:
            self.init(v)
        }
    }
}

/// A String wrapper whose equality and hash use Unicode scalars (CEL semantics), not
/// Swift's canonical equivalence.
struct ScalarString: Hashable, Sendable {
    let value: String
    init(_ s: String) { value = s }
    static func == (a: ScalarString, b: ScalarString) -> Bool { scalarEqual(a.value, b.value) }
    func hash(into h: inout Hasher) {
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { h.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for b in value.utf8 { h.combine(b) }
        }
    }
}

/// Code point equality (no normalization); a byte comparison for native strings.
@inline(__always)
func scalarEqual(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    let fast: Bool?? = a.utf8.withContiguousStorageIfAvailable { pa in
        b.utf8.withContiguousStorageIfAvailable { pb in
            pa.count == pb.count && (pa.count == 0 || memEqual(pa, pb))
        }
    }
    if let f = fast, let r = f { return r }
    return a.utf8.elementsEqual(b.utf8)
}

@inline(__always)
func memEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    let n = a.count
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// Code point (UTF-8 byte) order: -1, 0, 1.
func scalarCompare(_ a: String, _ b: String) -> Int {
    let fast: Int?? = a.utf8.withContiguousStorageIfAvailable { pa in
        b.utf8.withContiguousStorageIfAvailable { pb in
            let n = min(pa.count, pb.count)
            var i = 0
            while i < n {
                if pa[i] != pb[i] { return pa[i] < pb[i] ? -1 : 1 }
                i += 1
            }
            return pa.count == pb.count ? 0 : (pa.count < pb.count ? -1 : 1)
        }
    }
    if let f = fast, let r = f { return r }
    var ia = a.utf8.makeIterator()
    var ib = b.utf8.makeIterator()
    while true {
        let x = ia.next()
        let y = ib.next()
        switch (x, y) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case (let p?, let q?):
            if p != q { return p < q ? -1 : 1 }
        }
    }
}

/// The Int64 equal to `d`, or nil when `d` is not integral or out of range.
func exactInt64(_ d: Double) -> Int64? {
    // Range first, then truncate (no libm needed): the conversion truncates toward zero.
    guard d.isFinite, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return nil }
    let i = Int64(d)
    return Double(i) == d ? i : nil
}

/// An insertion-ordered CEL map. Keys are ints, bools or strings.
public struct CELMap: Sendable, Hashable {
    public private(set) var keys: [CELValue]
    public private(set) var values: [CELValue]
    /// Built once the map holds more than `linearLimit` entries; a smaller
    /// one is searched in order (an object input of a few fields, read as a
    /// map per ticket, was a hashed dictionary built and freed each time).
    private var index: [CELMapKey: Int]?
    static let linearLimit = 8

    func indexOf(_ k: CELMapKey) -> Int? {
        if let index { return index[k] }
        for i in keys.indices where k.matches(keys[i]) { return i }
        return nil
    }

    public init() {
        keys = []
        values = []
        index = nil
    }

    /// Builds a map; throws on an unsupported key type or a repeated key.
    public init(entries: [(CELValue, CELValue)]) throws(CELError) {
        self.init()
        keys.reserveCapacity(entries.count)
        values.reserveCapacity(entries.count)
        for (k, v) in entries {
            try insert(key: k, value: v)
        }
    }

    /// Appends an entry; throws on an unsupported key type or a repeated key.
    public mutating func insert(key: CELValue, value: CELValue) throws(CELError) {
        guard let mk = CELMapKey(key) else {
            throw CELError(.invalidArgument, "unsupported key type: \(key.typeName)")
        }
        if indexOf(mk) != nil {
            throw CELError(.invalidArgument, "failed with repeated key: \(key.celLiteral)")
        }
        if index != nil {
            index?[mk] = keys.count
        } else if keys.count == Self.linearLimit {
            var built: [CELMapKey: Int] = [mk: keys.count]
            for (i, k) in keys.enumerated() {
                if let existing = CELMapKey(k) { built[existing] = i }
            }
            index = built
        }
        keys.append(key)
        values.append(value)
    }

    public var count: Int { keys.count }

    public var entries: [(key: CELValue, value: CELValue)] {
        (0..<keys.count).map { (keys[$0], values[$0]) }
    }

    /// Lookup by key (integral doubles find int keys); nil when absent.
    public subscript(key: CELValue) -> CELValue? {
        guard let mk = CELMapKey(lookup: key), let i = indexOf(mk) else { return nil }
        return values[i]
    }

    /// Lookup of a string key (field selection).
    public subscript(field name: String) -> CELValue? {
        guard let i = indexOf(.string(ScalarString(name))) else { return nil }
        return values[i]
    }

    public func contains(key: CELValue) -> Bool {
        guard let mk = CELMapKey(lookup: key) else { return false }
        return indexOf(mk) != nil
    }

    /// Equality ignores insertion order.
    public static func == (a: CELMap, b: CELMap) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.keys.indices {
            guard let k = CELMapKey(a.keys[i]), let j = b.indexOf(k), a.values[i] == b.values[j] else { return false }
        }
        return true
    }

    public func hash(into h: inout Hasher) {
        var acc = 0
        for i in keys.indices {
            var eh = Hasher()
            eh.combine(CELMapKey(keys[i]))
            eh.combine(values[i])
            acc ^= eh.finalize()
        }
        h.combine(count)
        h.combine(acc)
    }
}
