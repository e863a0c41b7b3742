import CEL
import VerdictJSONWriter
import VerdictModel

/// The digest of a policy: `sha256:` and the hex SHA-256 of the canonical
/// encoding of its snapshot. The encoding is JSON canonicalised as RFC 8785
/// (JCS: keys sorted, no whitespace, shortest numbers) of the structure
/// docs/digest.md describes, so that an auditor can recompute it from the
/// policy files with any JCS library and a short script
/// (`Tests/Golden/digest.py` does, independently of this code).
public enum PolicyDigest {
    public static func digest(of snapshot: PolicySnapshot) -> String {
        "sha256:" + SHA256.hex(canonicalEncoding(of: snapshot))
    }

    /// The bytes the digest hashes.
    public static func canonicalEncoding(of snapshot: PolicySnapshot) -> [UInt8] {
        var e = CanonicalEncoder(capacity: 8192)
        e.policy(snapshot)
        return e.w.bytes
    }

    /// A typed value: dates as `YYYY-MM-DD`, timestamps as answers print them.
    static func value(_ v: CELValue) -> CanonicalJSON {
        switch v {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .date(let d): .string(d.description)
        case .timestamp(let t): .string(t.description)
        case .list(let items): .array(items.map(value))
        case .map(let m): .object(CanonicalMembers(m.entries.map { ($0.0.celLiteral, value($0.1)) }) { a, _ in a })
        case .error(let e): .string(e.message)
        }
    }
}

/// JSON canonicalised by RFC 8785 (JCS): object keys sorted by their UTF-16
/// code units, no whitespace, strings escaped minimally, numbers as
/// ECMAScript prints them. Integers beyond ±(2^53 − 1), which an IEEE double
/// cannot hold exactly, are written as decimal strings.
indirect enum CanonicalJSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([CanonicalJSON])
    case object(CanonicalMembers)

    static let maxSafeInteger: Int64 = (1 << 53) - 1

    static func write(_ v: CanonicalJSON, into w: inout JSONWriter) {
        switch v {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let i):
            if i > maxSafeInteger || i < -maxSafeInteger { w.string(String(i)) } else { w.int(i) }
        case .double(let d): w.raw(text: ecmaScript(d))
        case .string(let s): w.string(s)
        case .array(let items):
            w.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(",") }
                write(item, into: &w)
            }
            w.raw("]")
        case .object(let members):
            w.raw("{")
            let pairs = CanonicalEncoder.canonicalOrder(members.pairs.map(\.key)).map { members.pairs[$0] }
            for (i, pair) in pairs.enumerated() {
                if i > 0 { w.raw(",") }
                w.string(pair.key)
                w.raw(":")
                write(pair.value, into: &w)
            }
            w.raw("}")
        }
    }

    /// A finite double as ECMAScript's Number::toString prints it (RFC 8785 §3.2.2.3):
    /// the shortest digits that round-trip, in plain notation from 1e-6 up to
    /// 1e21 and in exponent notation (`1e+21`, `1.5e-7`) outside it.
    static func ecmaScript(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == 0 { return "0" }
        // Swift prints the shortest round-trip digits: "120.5", "1e-07", "1.2345e+20".
        let text = d.magnitude.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        var digits = Array(whole + (parts.count > 1 ? String(parts[1]) : ""))
        // The decimal point stands after `point` digits.
        var point = whole.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let k = digits.count
        let sign = d < 0 ? "-" : ""
        if k <= point && point <= 21 {
            return sign + String(digits) + String(repeating: "0", count: point - k)
        }
        if 0 < point && point <= 21 {
            return sign + String(digits[..<point]) + "." + String(digits[point...])
        }
        if -6 < point && point <= 0 {
            return sign + "0." + String(repeating: "0", count: -point) + String(digits)
        }
        let e = point - 1
        let head = String(digits[0]) + (k > 1 ? "." + String(digits[1...]) : "")
        return sign + head + "e" + (e < 0 ? "-" : "+") + String(abs(e))
    }
}

/// The members of a canonical object: unique keys, in the order given (written sorted).
typealias CanonicalMembers = SmallMap<CanonicalJSON>

/// Writes a snapshot's canonical encoding straight into bytes, members in
/// the order RFC 8785 sorts them, without building a tree first: for a
/// 16 MB catalogue the tree (one box per value, freed afterwards) cost more
/// than writing and hashing it. Keys fixed by the format are written in
/// their sorted order by hand (the comment above each object lists it);
/// keys that come from the policy (input, parameter, catalogue and entry
/// names, selector keys) are sorted here. `Tests/Golden/digest.py`
/// recomputes every shipped digest independently of this code.
struct CanonicalEncoder {
    var w: JSONWriter
    /// Whether the next member of the open object needs a comma before it.
    private var comma = false

    init(capacity: Int) { w = JSONWriter(capacity: capacity) }

    private mutating func open() {
        w.raw("{")
        comma = false
    }

    private mutating func close() {
        w.raw("}")
        comma = true
    }

    private mutating func key(_ k: StaticString) {
        if comma { w.raw(",") }
        w.raw("\"")
        w.raw(k)
        w.raw("\":")
        comma = true
    }

    private mutating func key(_ k: String) {
        if comma { w.raw(",") }
        w.string(k)
        w.raw(":")
        comma = true
    }

    private mutating func int(_ i: Int64) { CanonicalJSON.write(.int(i), into: &w) }
    private mutating func double(_ d: Double) { w.raw(text: CanonicalJSON.ecmaScript(d)) }
    private mutating func value(_ v: CELValue) { CanonicalJSON.write(PolicyDigest.value(v), into: &w) }

    /// An object whose keys come from the policy: each key once (the first
    /// one given wins), in RFC 8785 order.
    private mutating func members<T>(_ items: [T], key: (T) -> String, value: (inout CanonicalEncoder, T) -> Void) {
        open()
        for i in CanonicalEncoder.canonicalOrder(items.map(key)) {
            self.key(key(items[i]))
            value(&self, items[i])
        }
        close()
    }

    /// The positions of `keys` in RFC 8785 order (by UTF-16 code units;
    /// for ASCII keys the order of their bytes), the first of equal keys only.
    static func canonicalOrder(_ keys: [String]) -> [Int] {
        var order = Array(keys.indices)
        if keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) {
            // For ASCII, String's own order is the order of the bytes (and fast).
            order.sort { a, b in keys[a] == keys[b] ? a < b : keys[a] < keys[b] }
        } else {
            let units = keys.map { Array($0.utf16) }
            order.sort { a, b in units[a] == units[b] ? a < b : units[a].lexicographicallyPrecedes(units[b]) }
        }
        var unique: [Int] = []
        unique.reserveCapacity(order.count)
        for i in order where unique.last.map({ keys[$0] != keys[i] }) ?? true { unique.append(i) }
        return unique
    }

    private mutating func strings(_ values: [String]) {
        w.raw("[")
        for (i, v) in values.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(v)
        }
        w.raw("]")
    }

    // en, zh
    private mutating func label(_ l: Label) {
        open()
        key("en")
        w.string(l.en)
        key("zh")
        w.string(l.zh)
        close()
    }

    // applies_to, catalogs, dated_by?, effective_from?, format, inputs, name,
    // parameters, rules, sections?, title?, version?
    mutating func policy(_ s: PolicySnapshot) {
        open()
        key("applies_to")
        members(s.appliesTo, key: \.key) { e, a in e.strings(a.values) }
        key("catalogs")
        members(s.catalogs, key: \.name) { e, c in e.members(c.entries, key: \.id) { e, x in e.catalogEntry(x) } }
        if let d = s.datedBy {
            key("dated_by")
            w.string(d)
        }
        if let d = s.effectiveFrom {
            key("effective_from")
            w.string(d.description)
        }
        key("format")
        int(1)
        key("inputs")
        inputs(s.inputs)
        key("name")
        w.string(s.name)
        key("parameters")
        members(s.parameters, key: \.name) { e, p in e.parameter(p) }
        key("rules")
        w.raw("[")
        for (i, r) in s.rules.enumerated() {
            if i > 0 { w.raw(",") }
            rule(r)
        }
        w.raw("]")
        if let sections = s.sections {
            key("sections")
            strings(sections)
        }
        if let t = s.title {
            key("title")
            label(t)
        }
        if let v = s.version {
            key("version")
            w.string(v)
        }
        close()
    }

    // amount?, clause, currency?, label
    private mutating func catalogEntry(_ e: CatalogEntrySnapshot) {
        open()
        if let a = e.amount {
            key("amount")
            double(a)
        }
        key("clause")
        strings(e.clause)
        if let c = e.currency {
            key("currency")
            w.string(c)
        }
        key("label")
        label(e.label)
        close()
    }

    // clause, label, max?, min?, type, value
    private mutating func parameter(_ p: ParameterSnapshot) {
        open()
        key("clause")
        strings(p.clause)
        key("label")
        label(p.label)
        if let m = p.max {
            key("max")
            double(m)
        }
        if let m = p.min {
            key("min")
            double(m)
        }
        key("type")
        type(p.type)
        key("value")
        value(p.value)
        close()
    }

    // default?, label?, max?, max_items?, min?, optional, type
    private mutating func inputs(_ fields: [InputSnapshot]) {
        members(fields, key: \.name) { e, f in
            e.open()
            if let d = f.defaultValue {
                e.key("default")
                e.value(d)
            }
            if let l = f.label {
                e.key("label")
                e.label(l)
            }
            if let m = f.max {
                e.key("max")
                e.int(m)
            }
            if let m = f.maxItems {
                e.key("max_items")
                e.int(m)
            }
            if let m = f.min {
                e.key("min")
                e.int(m)
            }
            e.key("optional")
            e.w.bool(f.optional)
            e.key("type")
            e.inputType(f.type)
            e.close()
        }
    }

    /// An object of one member: `{"key": …}`.
    private mutating func single(_ k: StaticString, _ value: (inout CanonicalEncoder) -> Void) {
        open()
        key(k)
        value(&self)
        close()
    }

    private mutating func inputType(_ t: InputType) {
        switch t {
        case .enumeration(let values): single("enum") { $0.strings(values) }
        case .list(let element): single("list") { $0.inputType(element) }
        case .object(let fields): single("object") { $0.inputs(fields) }
        default: w.string(t.name)
        }
    }

    private mutating func type(_ t: ValueType) {
        switch t {
        case .catalogList(let c): single("ids_of") { $0.w.string(c) }
        case .list(let element): single("list") { $0.type(element) }
        case .enumeration(_, let of?): single("enum_of") { $0.w.string(of) }
        case .enumeration(let values, nil): single("enum") { $0.strings(values) }
        default: w.string(t.description)
        }
    }

    // clause, decision, expr | items, label, name, table, type
    private mutating func rule(_ r: RuleSnapshot) {
        open()
        key("clause")
        strings(r.clause)
        key("decision")
        w.bool(r.decision)
        switch r.body {
        case .expr(let e):
            key("expr")
            w.string(e.text)
        case .items(let items):
            key("items")
            w.raw("[")
            for (n, i) in items.enumerated() {
                if n > 0 { w.raw(",") }
                // clause, id, label?, when
                open()
                key("clause")
                strings(i.clause)
                key("id")
                w.string(i.id)
                if let l = i.label {
                    key("label")
                    label(l)
                }
                key("when")
                w.string(i.when.text)
                close()
            }
            w.raw("]")
        case .table: break
        }
        key("label")
        label(r.label)
        key("name")
        w.string(r.name)
        if case .table(let t) = r.body {
            // default?, hit, rows
            key("table")
            open()
            if let d = t.defaultRow {
                key("default")
                row(d)
            }
            key("hit")
            w.string(t.hit.rawValue)
            key("rows")
            w.raw("[")
            for (n, x) in t.rows.enumerated() {
                if n > 0 { w.raw(",") }
                row(x)
            }
            w.raw("]")
            close()
        }
        key("type")
        type(r.type)
        close()
    }

    // clause, label?, then, when?
    private mutating func row(_ r: RowSnapshot) {
        open()
        key("clause")
        strings(r.clause)
        if let l = r.label {
            key("label")
            label(l)
        }
        key("then")
        w.string(r.then.text)
        if let x = r.when {
            key("when")
            w.string(x.text)
        }
        close()
    }
}
