import CEL
import VerdictJSON

/// The effective content of a policy in a canonical form: what a ticket's
/// answer depends on (inputs, parameter values, rules with their canonical
/// expressions, clauses, catalogues), with keys sorted and positions, comments
/// and formatting left out. Two policy versions that differ only in layout,
/// key order or comments have the same digest.
enum PolicyDigest {
    static func canonical(
        _ policy: ResolvedPolicy, rules: [CompiledRule], initialValues: [CELValue], slotNames: [String],
        inputDefaults: [String: CELValue]
    ) -> String {
        var w = JSONWriter()
        w.raw("{\"policy\":")
        w.string(policy.name)
        w.raw(",\"applies_to\":{")
        for (i, s) in (policy.appliesTo ?? []).sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(s.key)
            w.raw(":")
            w.strings(s.values.sorted())
        }
        w.raw("},\"inputs\":")
        inputs(&w, policy.inputs, defaults: inputDefaults)
        w.raw(",\"parameters\":{")
        for (i, p) in policy.parameters.sorted(by: { $0.name < $1.name }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(p.name)
            w.raw(":{\"clause\":")
            w.strings(p.clause ?? [])
            w.raw(",\"value\":")
            if let slot = slotNames.firstIndex(of: "params." + p.name) {
                ValueJSON.write(initialValues[slot], into: &w)
            } else {
                w.null()
            }
            w.raw("}")
        }
        w.raw("},\"rules\":{")
        for (i, r) in rules.sorted(by: { $0.name < $1.name }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(r.name)
            w.raw(":{\"type\":")
            w.string(r.type.description)
            w.raw(",\"decision\":")
            w.bool(r.isDecision)
            w.raw(",\"clause\":")
            w.strings(r.clause)
            w.raw(",\"label\":")
            label(&w, r.label)
            switch r.body {
            case .expr(let p):
                w.raw(",\"expr\":")
                w.string(p.canonicalText)
            case .table(let t):
                w.raw(",\"hit\":")
                w.string(t.hit.rawValue)
                w.raw(",\"rows\":[")
                for (j, row) in t.rows.enumerated() {
                    if j > 0 { w.raw(",") }
                    self.row(&w, row)
                }
                w.raw("]")
                if let d = t.defaultRow {
                    w.raw(",\"default\":")
                    self.row(&w, d)
                }
            case .items(let items):
                w.raw(",\"items\":[")
                for (j, item) in items.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.raw("{\"id\":")
                    w.string(item.id)
                    w.raw(",\"when\":")
                    w.string(item.when.canonicalText)
                    w.raw(",\"clause\":")
                    w.strings(item.clause)
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw("},\"catalogs\":{")
        for (i, c) in policy.catalogs.sorted(by: { $0.name < $1.name }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(c.name)
            w.raw(":{")
            for (j, e) in c.entries.sorted(by: { $0.id < $1.id }).enumerated() {
                if j > 0 { w.raw(",") }
                w.string(e.id)
                w.raw(":{\"clause\":")
                w.strings(e.clause ?? [])
                if let l = e.label {
                    w.raw(",\"label\":")
                    label(&w, l)
                }
                if let a = e.amount {
                    w.raw(",\"amount\":")
                    w.double(a)
                }
                if let c = e.currency {
                    w.raw(",\"currency\":")
                    w.string(c)
                }
                w.raw("}")
            }
            w.raw("}")
        }
        w.raw("}}")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private static func row(_ w: inout JSONWriter, _ row: CompiledRow) {
        w.raw("{\"when\":")
        if let when = row.when { w.string(when.canonicalText) } else { w.null() }
        w.raw(",\"then\":")
        w.string(row.then.canonicalText)
        w.raw(",\"clause\":")
        w.strings(row.clause)
        w.raw("}")
    }

    private static func label(_ w: inout JSONWriter, _ l: Label) {
        w.raw("{\"en\":")
        w.string(l.en)
        w.raw(",\"zh\":")
        w.string(l.zh)
        w.raw("}")
    }

    private static func inputs(_ w: inout JSONWriter, _ fields: [InputField], defaults: [String: CELValue]) {
        w.raw("{")
        for (i, f) in fields.sorted(by: { $0.name < $1.name }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(f.name)
            w.raw(":{\"optional\":")
            w.bool(f.optional)
            // The default as the value it stands for, so `[a]` and `[b]`
            // differ and `12` and `0x0C` do not.
            if let d = defaults[f.path] {
                w.raw(",\"default\":")
                ValueJSON.write(d, into: &w)
            }
            if let m = f.min {
                w.raw(",\"min\":")
                w.int(m)
            }
            if let m = f.max {
                w.raw(",\"max\":")
                w.int(m)
            }
            w.raw(",\"type\":")
            type(&w, f.type, defaults: defaults)
            w.raw("}")
        }
        w.raw("}")
    }

    private static func type(_ w: inout JSONWriter, _ t: InputType, defaults: [String: CELValue]) {
        switch t {
        case .enumeration(let values):
            w.raw("{\"enum\":")
            w.strings(values)
            w.raw("}")
        case .list(let inner):
            w.raw("{\"list\":")
            type(&w, inner, defaults: defaults)
            w.raw("}")
        case .object(let fields):
            w.raw("{\"object\":")
            inputs(&w, fields, defaults: defaults)
            w.raw("}")
        default:
            w.string(t.name)
        }
    }
}
