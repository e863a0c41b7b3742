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
        var w = JSONWriter(capacity: 8192)
        CanonicalJSON.write(value(of: snapshot), into: &w)
        return w.bytes
    }

    /// The canonical structure of a snapshot, before serialisation.
    static func value(of s: PolicySnapshot) -> CanonicalJSON {
        var policy: CanonicalMembers = [
            "format": .int(1),
            "name": .string(s.name),
            "applies_to": .object(
                CanonicalMembers(s.appliesTo.map { ($0.key, .array($0.values.map(CanonicalJSON.string))) }) { a, _ in a }),
            "inputs": inputs(s.inputs),
            "parameters": .object(
                CanonicalMembers(
                    s.parameters.map { p in
                        var o: CanonicalMembers = [
                            "type": type(p.type), "value": value(p.value), "clause": clause(p.clause),
                            "label": label(p.label),
                        ]
                        if let m = p.min { o["min"] = .double(m) }
                        if let m = p.max { o["max"] = .double(m) }
                        return (p.name, .object(o))
                    }
                ) { a, _ in a }),
            "rules": .array(s.rules.map(rule)),
            "catalogs": .object(
                CanonicalMembers(
                    s.catalogs.map { c in
                        (
                            c.name,
                            .object(
                                CanonicalMembers(
                                    c.entries.map { e in
                                        var o: CanonicalMembers = [
                                            "label": label(e.label), "clause": clause(e.clause),
                                        ]
                                        if let a = e.amount { o["amount"] = .double(a) }
                                        if let c = e.currency { o["currency"] = .string(c) }
                                        return (e.id, .object(o))
                                    }
                                ) { a, _ in a })
                        )
                    }
                ) { a, _ in a }),
        ]
        if let t = s.title { policy["title"] = label(t) }
        if let v = s.version { policy["version"] = .string(v) }
        if let d = s.effectiveFrom { policy["effective_from"] = .string(d.description) }
        if let d = s.datedBy { policy["dated_by"] = .string(d) }
        if let sections = s.sections { policy["sections"] = clause(sections) }
        return .object(policy)
    }

    static func inputs(_ fields: [InputSnapshot]) -> CanonicalJSON {
        .object(
            CanonicalMembers(
                fields.map { f in
                    var o: CanonicalMembers = ["type": inputType(f.type), "optional": .bool(f.optional)]
                    if let d = f.defaultValue { o["default"] = value(d) }
                    if let m = f.min { o["min"] = .int(m) }
                    if let m = f.max { o["max"] = .int(m) }
                    if let m = f.maxItems { o["max_items"] = .int(m) }
                    if let l = f.label { o["label"] = label(l) }
                    return (f.name, .object(o))
                }
            ) { a, _ in a })
    }

    static func inputType(_ t: InputType) -> CanonicalJSON {
        switch t {
        case .enumeration(let values): .object(["enum": .array(values.map(CanonicalJSON.string))])
        case .list(let e): .object(["list": inputType(e)])
        case .object(let fields): .object(["object": inputs(fields)])
        default: .string(t.name)
        }
    }

    static func type(_ t: ValueType) -> CanonicalJSON {
        switch t {
        case .catalogList(let c): .object(["ids_of": .string(c)])
        case .list(let e): .object(["list": type(e)])
        case .enumeration(let values, let of):
            of.map { .object(["enum_of": .string($0)]) } ?? .object(["enum": .array(values.map(CanonicalJSON.string))])
        default: .string(t.description)
        }
    }

    static func rule(_ r: RuleSnapshot) -> CanonicalJSON {
        var o: CanonicalMembers = [
            "name": .string(r.name), "type": type(r.type), "decision": .bool(r.decision), "clause": clause(r.clause),
            "label": label(r.label),
        ]
        switch r.body {
        case .expr(let e):
            o["expr"] = .string(e.text)
        case .table(let t):
            var table: CanonicalMembers = ["hit": .string(t.hit.rawValue), "rows": .array(t.rows.map(row))]
            if let d = t.defaultRow { table["default"] = row(d) }
            o["table"] = .object(table)
        case .items(let items):
            o["items"] = .array(
                items.map { i in
                    var item: CanonicalMembers = [
                        "id": .string(i.id), "when": .string(i.when.text), "clause": clause(i.clause),
                    ]
                    if let l = i.label { item["label"] = label(l) }
                    return .object(item)
                })
        }
        return .object(o)
    }

    static func row(_ r: RowSnapshot) -> CanonicalJSON {
        var o: CanonicalMembers = ["then": .string(r.then.text), "clause": clause(r.clause)]
        if let w = r.when { o["when"] = .string(w.text) }
        if let l = r.label { o["label"] = label(l) }
        return .object(o)
    }

    static func label(_ l: Label) -> CanonicalJSON { .object(["zh": .string(l.zh), "en": .string(l.en)]) }
    static func clause(_ c: Clause) -> CanonicalJSON { .array(c.map(CanonicalJSON.string)) }

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
            // RFC 8785 orders keys by UTF-16 code units; for ASCII keys (nearly
            // all) that is the order of their bytes, compared without copying.
            let pairs: [(key: String, value: CanonicalJSON)]
            if members.pairs.allSatisfy({ $0.key.utf8.allSatisfy { $0 < 0x80 } }) {
                pairs = members.pairs.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            } else {
                pairs = members.pairs.map { ($0, Array($0.key.utf16)) }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
            }
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
