import CEL
import VerdictModel

/// A decoded policy file as bytes and back, for the policy cache: every
/// stored part of a `PolicyDocument`, positions included, so that a document
/// read back compiles, explains and reports exactly as the one decoded from
/// YAML.
///
/// An expression keeps its origin (the raw text of its scalar, where it
/// starts and how it is quoted), and its `locate` (a position inside the
/// expression to a file position) is made from it again, as the decoder
/// makes it. Reading is strict: any truncated, overlong or inconsistent
/// input gives nil, never a partial document.
public enum DocumentCoding {
    /// Bumped whenever the layout below changes (the cache key holds it too).
    public static let formatVersion: UInt32 = 2

    /// Larger files are not kept (`PolicyCache`), and their expressions keep no origin.
    public static let maxFileBytes = 1 << 20

    /// The document's bytes, or nil when it holds an expression without an origin.
    public static func encode(_ document: PolicyDocument) -> [UInt8]? {
        var w = Writer()
        guard w.document(document) else { return nil }
        return w.bytes
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) -> PolicyDocument? {
        var r = Reader(bytes: bytes)
        guard let d = r.document(), r.atEnd else { return nil }
        return d
    }

    // MARK: - Writing

    /// In the order of their tags (0 to 5) in both type enums.
    static let scalarTypeNames = ["bool", "int", "double", "string", "date", "timestamp"]

    struct Writer {
        var bytes: [UInt8] = []
        /// Each distinct string is written once; later uses name its index.
        var strings: [String: Int] = [:]

        mutating func byte(_ b: UInt8) { bytes.append(b) }

        mutating func uint(_ v: UInt64) {
            var v = v
            while v >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }

        mutating func int(_ v: Int64) { uint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
        mutating func int(_ v: Int) { int(Int64(v)) }
        mutating func bool(_ v: Bool) { byte(v ? 1 : 0) }

        mutating func double(_ v: Double) {
            let bits = v.bitPattern
            for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (UInt64(k) * 8))) }
        }

        mutating func string(_ s: String) {
            if let index = strings[s] {
                uint(UInt64(index) + 1)
                return
            }
            strings[s] = strings.count
            uint(0)
            let utf8 = Array(s.utf8)
            uint(UInt64(utf8.count))
            bytes += utf8
        }

        /// Presence byte, then the value.
        mutating func optional<T>(_ v: T?, _ write: (inout Writer, T) -> Void) {
            guard let v else { return byte(0) }
            byte(1)
            write(&self, v)
        }

        mutating func array<T>(_ items: [T], _ write: (inout Writer, T) -> Void) {
            uint(UInt64(items.count))
            for item in items { write(&self, item) }
        }

        mutating func strings(_ items: [String]) { array(items) { $0.string($1) } }

        mutating func ref(_ r: SourceRef) {
            string(r.file)
            int(r.line)
            int(r.column)
            int(r.length)
        }

        mutating func label(_ l: Label) {
            string(l.zh)
            string(l.en)
        }

        /// False for an expression not read from a file (no origin to keep).
        mutating func expr(_ e: ExprSource) -> Bool {
            guard let origin = e.origin else { return false }
            string(e.text)
            ref(e.at)
            optional(origin.source) { $0.string($1) }
            int(origin.line)
            int(origin.column)
            byte(origin.style)
            return true
        }

        mutating func literal(_ l: Literal) {
            switch l.kind {
            case .scalar(let s):
                byte(0)
                string(s.text)
                bool(s.isQuoted)
                bool(s.isNull)
                optional(s.bool) { $0.bool($1) }
                optional(s.int) { $0.int($1) }
                optional(s.double) { $0.double($1) }
            case .list(let items):
                byte(1)
                array(items) { $0.literal($1) }
            case .mapping(let pairs):
                byte(2)
                array(pairs) { w, p in
                    w.string(p.key)
                    w.ref(p.keyAt)
                    w.literal(p.value)
                }
            }
            ref(l.at)
        }

        /// The six scalar types of both type enums, tagged 0 to 5 by their names.
        mutating func scalarType(_ name: String) { byte(UInt8(DocumentCoding.scalarTypeNames.firstIndex(of: name) ?? 0)) }

        mutating func valueType(_ t: ValueType) {
            switch t {
            case .bool, .int, .double, .string, .date, .timestamp:
                scalarType(t.description)
            case .catalogList(let name):
                byte(6)
                string(name)
            case .list(let e):
                byte(7)
                valueType(e)
            case .enumeration(let values, let of):
                byte(8)
                strings(values)
                optional(of) { $0.string($1) }
            case .named(let name):
                byte(9)
                string(name)
            }
        }

        mutating func inputType(_ t: InputTypeDecl) {
            switch t {
            case .bool, .int, .double, .string, .date, .timestamp:
                scalarType(t.name)
            case .enumeration(let values):
                byte(6)
                strings(values)
            case .list(let e):
                byte(7)
                inputType(e)
            case .object(let fields):
                byte(8)
                array(fields) { $0.input($1) }
            }
        }

        mutating func input(_ i: InputDecl) {
            string(i.name)
            string(i.path)
            inputType(i.type)
            bool(i.optional)
            optional(i.defaultValue) { $0.literal($1) }
            optional(i.min) { $0.int($1) }
            optional(i.max) { $0.int($1) }
            optional(i.maxItems) { $0.int($1) }
            optional(i.label) { $0.label($1) }
            bool(i.informational)
            ref(i.at)
        }

        mutating func parameter(_ p: ParameterDecl) {
            string(p.name)
            optional(p.type) { $0.valueType($1) }
            optional(p.value) { $0.literal($1) }
            optional(p.min) { $0.double($1) }
            optional(p.max) { $0.double($1) }
            optional(p.clause) { $0.strings($1) }
            optional(p.label) { $0.label($1) }
            optional(p.informational) { $0.bool($1) }
            bool(p.typeInvalid)
            ref(p.at)
        }

        mutating func clauseAndLabel(_ clause: Clause?, _ label: Label?) {
            optional(clause) { $0.strings($1) }
            optional(label) { $0.label($1) }
        }

        mutating func row(_ r: RowDecl) -> Bool {
            var ok = true
            optional(r.when) { ok = $0.expr($1) && ok }
            ok = expr(r.then) && ok
            clauseAndLabel(r.clause, r.label)
            ref(r.at)
            return ok
        }

        mutating func rule(_ r: RuleDecl) -> Bool {
            var ok = true
            string(r.name)
            optional(r.type) { $0.valueType($1) }
            optional(r.decision) { $0.bool($1) }
            clauseAndLabel(r.clause, r.label)
            optional(r.body) { w, body in
                switch body {
                case .expr(let e):
                    w.byte(0)
                    ok = w.expr(e) && ok
                case .table(let t):
                    w.byte(1)
                    w.string(t.hit.rawValue)
                    w.array(t.rows) { ok = $0.row($1) && ok }
                    w.optional(t.defaultRow) { ok = $0.row($1) && ok }
                    w.array(t.gaps) { w, g in
                        ok = w.expr(g.when) && ok
                        w.clauseAndLabel(g.clause, g.label)
                        w.ref(g.at)
                    }
                    w.ref(t.at)
                case .items(let items):
                    w.byte(2)
                    w.array(items) { w, item in
                        w.string(item.id)
                        w.ref(item.idAt)
                        ok = w.expr(item.when) && ok
                        w.clauseAndLabel(item.clause, item.label)
                        w.ref(item.at)
                    }
                }
            }
            bool(r.typeInvalid)
            ref(r.at)
            return ok
        }

        mutating func catalog(_ c: CatalogDecl) {
            string(c.name)
            array(c.entries) { w, e in
                w.string(e.id)
                w.clauseAndLabel(e.clause, e.label)
                w.optional(e.amount) { $0.double($1) }
                w.optional(e.currency) { $0.string($1) }
                w.bool(e.informational)
                w.ref(e.at)
            }
            ref(c.at)
        }

        mutating func document(_ d: PolicyDocument) -> Bool {
            string(d.path)
            string(d.name)
            ref(d.nameAt)
            optional(d.version) { $0.string($1) }
            optional(d.versionAt) { $0.ref($1) }
            optional(d.effectiveFrom) { w, date in
                w.int(date.year)
                w.int(date.month)
                w.int(date.day)
            }
            optional(d.effectiveFromAt) { $0.ref($1) }
            optional(d.datedBy) { $0.string($1) }
            optional(d.datedByAt) { $0.ref($1) }
            optional(d.extends) { $0.string($1) }
            optional(d.extendsAt) { $0.ref($1) }
            bool(d.abstract)
            optional(d.appliesTo) { w, selectors in
                w.array(selectors) { w, s in
                    w.string(s.key)
                    w.ref(s.keyAt)
                    w.strings(s.values)
                    w.ref(s.at)
                }
            }
            optional(d.appliesToAt) { $0.ref($1) }
            optional(d.title) { $0.label($1) }
            optional(d.titleAt) { $0.ref($1) }
            optional(d.sections) { $0.strings($1) }
            array(d.inputs) { $0.input($1) }
            array(d.parameters) { $0.parameter($1) }
            var ok = true
            array(d.rules) { ok = $0.rule($1) && ok }
            array(d.catalogs) { $0.catalog($1) }
            return ok
        }
    }

    // MARK: - Reading

    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var at = 0
        var table: [String] = []
        /// Nesting of lists, literals and types, bounded like the YAML reader's depth.
        var depth = 0
        static let maxDepth = 256

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var atEnd: Bool { at == bytes.count }

        mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func uint() -> UInt64? {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while let b = byte() {
                guard shift < 64 else { return nil }
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
            return nil
        }

        mutating func int64() -> Int64? {
            guard let u = uint() else { return nil }
            return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
        }

        mutating func int() -> Int? { int64().flatMap { Int(exactly: $0) } }

        mutating func bool() -> Bool? {
            switch byte() {
            case 0: false
            case 1: true
            default: nil
            }
        }

        mutating func double() -> Double? {
            guard bytes.count - at >= 8 else { return nil }
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[at + k]) << (UInt64(k) * 8) }
            at += 8
            return Double(bitPattern: bits)
        }

        /// A count of items that each take at least one byte (so a corrupt count cannot reserve much).
        mutating func count() -> Int? {
            guard let n = uint(), n <= UInt64(bytes.count - at) else { return nil }
            return Int(n)
        }

        mutating func string() -> String? {
            guard let tag = uint() else { return nil }
            if tag > 0 {
                guard tag <= UInt64(table.count) else { return nil }
                return table[Int(tag - 1)]
            }
            guard let n = count() else { return nil }
            var s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]), as: UTF8.self)
            guard s != nil else { return nil }
            at += n
            table.append(s.take() ?? "")
            return table[table.count - 1]
        }

        /// `.some(nil)` when absent, `.some(value)` when present, nil when unreadable.
        mutating func optional<T>(_ read: (inout Reader) -> T?) -> T?? {
            switch byte() {
            case 0: return .some(nil)
            case 1: return read(&self).map { .some($0) }
            default: return nil
            }
        }

        mutating func array<T>(_ read: (inout Reader) -> T?) -> [T]? {
            guard let n = count() else { return nil }
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { return nil }
            var out: [T] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                guard let item = read(&self) else { return nil }
                out.append(item)
            }
            return out
        }

        mutating func strings() -> [String]? { array { $0.string() } }

        mutating func ref() -> SourceRef? {
            guard let file = string(), let line = int(), let column = int(), let length = int() else { return nil }
            return SourceRef(file: file, line: line, column: column, length: length)
        }

        mutating func label() -> Label? {
            guard let zh = string(), let en = string() else { return nil }
            return Label(zh: zh, en: en)
        }

        mutating func expr() -> ExprSource? {
            guard let text = string(), let at = ref(), let source = optional({ $0.string() }), let line = int(),
                let column = int(), let style = byte()
            else { return nil }
            return ExprSource.located(
                text: text, at: at, origin: .init(source: source, line: line, column: column, style: style))
        }

        mutating func literal() -> Literal? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth, let tag = byte() else { return nil }
            let kind: Literal.Kind
            switch tag {
            case 0:
                guard let text = string(), let quoted = bool(), let null = bool(), let b = optional({ $0.bool() }),
                    let i = optional({ $0.int64() }), let d = optional({ $0.double() })
                else { return nil }
                kind = .scalar(.init(text: text, isQuoted: quoted, isNull: null, bool: b, int: i, double: d))
            case 1:
                guard let items = array({ $0.literal() }) else { return nil }
                kind = .list(items)
            case 2:
                guard
                    let pairs = array({ r -> (key: String, keyAt: SourceRef, value: Literal)? in
                        guard let key = r.string(), let keyAt = r.ref(), let value = r.literal() else { return nil }
                        return (key, keyAt, value)
                    })
                else { return nil }
                kind = .mapping(pairs)
            default:
                return nil
            }
            guard let at = ref() else { return nil }
            return Literal(kind: kind, at: at)
        }

        mutating func valueType() -> ValueType? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth, let tag = byte() else { return nil }
            switch tag {
            case 0..<6: return [ValueType.bool, .int, .double, .string, .date, .timestamp][Int(tag)]
            case 6: return string().map { .catalogList($0) }
            case 7: return valueType().map { .list($0) }
            case 8:
                guard let values = strings(), let of = optional({ $0.string() }) else { return nil }
                return .enumeration(values, of: of)
            case 9: return string().map { .named($0) }
            default: return nil
            }
        }

        mutating func inputType() -> InputTypeDecl? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth, let tag = byte() else { return nil }
            switch tag {
            case 0..<6: return [InputTypeDecl.bool, .int, .double, .string, .date, .timestamp][Int(tag)]
            case 6: return strings().map { .enumeration($0) }
            case 7: return inputType().map { .list($0) }
            case 8: return array({ $0.input() }).map { .object($0) }
            default: return nil
            }
        }

        mutating func input() -> InputDecl? {
            guard let name = string(), let path = string(), let type = inputType(), let optional = bool(),
                let defaultValue = self.optional({ $0.literal() }), let min = self.optional({ $0.int64() }),
                let max = self.optional({ $0.int64() }), let maxItems = self.optional({ $0.int64() }),
                let label = self.optional({ $0.label() }), let informational = bool(), let at = ref()
            else { return nil }
            var i = InputDecl(
                name: name, path: path, type: type, optional: optional, defaultValue: defaultValue, min: min, max: max,
                label: label, at: at)
            i.maxItems = maxItems
            i.informational = informational
            return i
        }

        mutating func parameter() -> ParameterDecl? {
            guard let name = string(), let type = optional({ $0.valueType() }), let value = optional({ $0.literal() }),
                let min = optional({ $0.double() }), let max = optional({ $0.double() }),
                let clause = optional({ $0.strings() }), let label = optional({ $0.label() }),
                let informational = optional({ $0.bool() }), let typeInvalid = bool(), let at = ref()
            else { return nil }
            var p = ParameterDecl(
                name: name, type: type, value: value, min: min, max: max, clause: clause, label: label, at: at)
            p.informational = informational
            p.typeInvalid = typeInvalid
            return p
        }

        mutating func clauseAndLabel() -> (Clause?, Label?)? {
            guard let clause = optional({ $0.strings() }), let label = optional({ $0.label() }) else { return nil }
            return (clause, label)
        }

        mutating func row() -> RowDecl? {
            guard let when = optional({ $0.expr() }), let then = expr(), let cl = clauseAndLabel(),
                let at = ref()
            else { return nil }
            return RowDecl(when: when, then: then, clause: cl.0, label: cl.1, at: at)
        }

        mutating func ruleBody() -> RuleBodyDecl? {
            switch byte() {
            case 0:
                return expr().map { .expr($0) }
            case 1:
                guard let hitName = string(), let hit = HitPolicy(rawValue: hitName), let rows = array({ $0.row() }),
                    let defaultRow = optional({ $0.row() }),
                    let gaps = array({ r -> GapDecl? in
                        guard let when = r.expr(), let cl = r.clauseAndLabel(), let at = r.ref() else {
                            return nil
                        }
                        return GapDecl(when: when, clause: cl.0, label: cl.1, at: at)
                    }),
                    let at = ref()
                else { return nil }
                return .table(TableDecl(hit: hit, rows: rows, defaultRow: defaultRow, gaps: gaps, at: at))
            case 2:
                let items = array { r -> ItemDecl? in
                    guard let id = r.string(), let idAt = r.ref(), let when = r.expr(),
                        let cl = r.clauseAndLabel(), let at = r.ref()
                    else { return nil }
                    return ItemDecl(id: id, idAt: idAt, when: when, clause: cl.0, label: cl.1, at: at)
                }
                return items.map { .items($0) }
            default:
                return nil
            }
        }

        mutating func rule() -> RuleDecl? {
            guard let name = string(), let type = optional({ $0.valueType() }), let decision = optional({ $0.bool() }),
                let cl = clauseAndLabel(), let body = optional({ $0.ruleBody() }),
                let typeInvalid = bool(), let at = ref()
            else { return nil }
            var r = RuleDecl(
                name: name, type: type, decision: decision, clause: cl.0, label: cl.1, body: body, at: at)
            r.typeInvalid = typeInvalid
            return r
        }

        mutating func catalog() -> CatalogDecl? {
            guard let name = string(),
                let entries = array({ r -> CatalogEntryDecl? in
                    guard let id = r.string(), let cl = r.clauseAndLabel(),
                        let amount = r.optional({ $0.double() }), let currency = r.optional({ $0.string() }),
                        let informational = r.bool(), let at = r.ref()
                    else { return nil }
                    var e = CatalogEntryDecl(
                        id: id, label: cl.1, clause: cl.0, amount: amount, currency: currency, at: at)
                    e.informational = informational
                    return e
                }),
                let at = ref()
            else { return nil }
            return CatalogDecl(name: name, entries: entries, at: at)
        }

        mutating func document() -> PolicyDocument? {
            guard let path = string(), let name = string(), let nameAt = ref(),
                let version = optional({ $0.string() }), let versionAt = optional({ $0.ref() }),
                let effectiveFrom = optional({ r -> CELDate? in
                    guard let y = r.int(), let m = r.int(), let d = r.int() else { return nil }
                    return CELDate(year: y, month: m, day: d)
                }),
                let effectiveFromAt = optional({ $0.ref() }), let datedBy = optional({ $0.string() }),
                let datedByAt = optional({ $0.ref() }), let extends = optional({ $0.string() }),
                let extendsAt = optional({ $0.ref() }), let abstract = bool(),
                let appliesTo = optional({ r in
                    r.array { r -> SelectorDecl? in
                        guard let key = r.string(), let keyAt = r.ref(), let values = r.strings(), let at = r.ref()
                        else { return nil }
                        return SelectorDecl(key: key, keyAt: keyAt, values: values, at: at)
                    }
                }),
                let appliesToAt = optional({ $0.ref() }), let title = optional({ $0.label() }),
                let titleAt = optional({ $0.ref() }), let sections = optional({ $0.strings() }),
                let inputs = array({ $0.input() }), let parameters = array({ $0.parameter() }),
                let rules = array({ $0.rule() }), let catalogs = array({ $0.catalog() })
            else { return nil }
            var d = PolicyDocument(path: path, name: name, nameAt: nameAt)
            d.version = version
            d.versionAt = versionAt
            d.effectiveFrom = effectiveFrom
            d.effectiveFromAt = effectiveFromAt
            d.datedBy = datedBy
            d.datedByAt = datedByAt
            d.extends = extends
            d.extendsAt = extendsAt
            d.abstract = abstract
            d.appliesTo = appliesTo
            d.appliesToAt = appliesToAt
            d.title = title
            d.titleAt = titleAt
            d.sections = sections
            d.inputs = inputs
            d.parameters = parameters
            d.rules = rules
            d.catalogs = catalogs
            return d
        }
    }
}
