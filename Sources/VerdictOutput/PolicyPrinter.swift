import CEL
import VerdictCompiler
import VerdictJSONWriter
import VerdictModel
import VerdictRuntime

/// `verdict show`: a policy as it is in force after `extends` is merged,
/// every part marked with the file and line it came from; or the list of
/// policies. YAML (valid, in the policy format's own keys) or JSON.
public struct PolicyPrinter {
    let set: PolicySet

    public init(_ set: PolicySet) { self.set = set }

    /// The policy a `show` argument names: `name` (the version in force
    /// today when there are several) or `name@version`.
    public func index(of spec: String) -> Int? {
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        return parts.count == 2
            ? set.policies.firstIndex { $0.name == parts[0] && $0.identity.version == parts[1] }
            : set.index(named: spec)
    }

    /// What to say when `index(of:)` finds nothing.
    public func unknown(_ spec: String) -> String {
        let names = set.policies.map(\.identity.description).joined(separator: ", ")
        return "no policy `\(spec)` answers tickets; policies: \(names)"
    }

    /// One line per policy: name, version, the days it is in force, `applies_to`, digest.
    public func list() -> String {
        var out = ""
        for (i, p) in set.policies.enumerated() {
            let s = set.snapshots[i]
            let applies = s.appliesTo.map { "\($0.key): \($0.values.joined(separator: ", "))" }.joined(separator: "; ")
            let from = s.effectiveFrom.map { " from \($0)" } ?? ""
            out += "\(p.identity.description)\(from)  applies to \(applies)  \(p.digest)\n"
        }
        return out
    }

    func at(_ r: SourceRef?) -> String {
        guard let r else { return "" }
        return "\(Self.file(r.file)):\(r.line)"
    }

    static func file(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    func q(_ s: String) -> String {
        var w = JSONWriter(capacity: s.utf8.count + 2)
        w.string(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func label(_ l: Label?) -> String { l.map { "{zh: \(q($0.zh)), en: \(q($0.en))}" } ?? "null" }
    func list(_ items: [String]) -> String { "[" + items.map(q).joined(separator: ", ") + "]" }

    func value(_ v: CELValue) -> String {
        switch v {
        case .string(let s): return q(s)
        case .date(let d): return d.description
        case .timestamp(let t): return q(t.description)
        case .list(let items): return "[" + items.map(value).joined(separator: ", ") + "]"
        default: return v.celLiteral
        }
    }

    func type(_ t: ValueType) -> String {
        switch t {
        case .catalogList(let c): return "list, of: \(c)"
        case .list(.enumeration(_, let of?)): return "list, of: \(of)"
        case .list(let e): return "list, of: \(type(e))"
        case .enumeration(let values, let of): return of.map { "enum, of: \($0)" } ?? "enum, values: \(list(values))"
        default: return t.description
        }
    }

    func inputType(_ t: InputType) -> String {
        switch t {
        case .enumeration(let values): return "enum, values: \(list(values))"
        case .list(let e): return "list, of: \(inputType(e))"
        default: return t.name
        }
    }

    /// The effective policy as YAML, with `# file:line` after each part.
    public func yaml(_ index: Int) -> String {
        let s = set.snapshots[index]
        let m = set.sourceMaps[index]
        let p = set.policies[index]
        var out = "# \(p.identity.description): the effective policy, \(m.chain.joined(separator: " ← ")) merged\n"
        out += "# \(p.digest)\n"
        out += "verdict: 1\npolicy: \(s.name)\(comment(m[.policy]))\n"
        if let v = s.version { out += "version: \(q(v))\(comment(m[.version]))\n" }
        if let f = s.effectiveFrom { out += "effective_from: \(f)\(comment(m[.effectiveFrom]))\n" }
        if let d = s.datedBy { out += "dated_by: \(d)\(comment(m[.datedBy]))\n" }
        if !s.appliesTo.isEmpty {
            out += "applies_to:\(comment(m[.appliesTo]))\n"
            for sel in s.appliesTo { out += "  \(sel.key): \(list(sel.values))\n" }
        }
        if let sections = s.sections { out += "sections: \(list(sections))\n" }
        if let t = s.title { out += "title: \(label(t))\(comment(m[.title]))\n" }
        out += "inputs:\n"
        inputs(s.inputs, m, indent: "  ", into: &out)
        out += "parameters:\n"
        for param in s.parameters {
            var where_ = at(m[.parameter(param.name)])
            let valueAt = at(m[.parameterValue(param.name)])
            if let origin = m[.parameterOrigin(param.name)], at(origin) != where_ {
                where_ += " (overrides \(at(origin)))"
            }
            if valueAt != at(m[.parameter(param.name)]) { where_ += ", value at \(valueAt)" }
            var fields = "type: \(type(param.type)), value: \(value(param.value))"
            if let v = param.min { fields += ", min: \(number(v))" }
            if let v = param.max { fields += ", max: \(number(v))" }
            fields += ", clause: \(list(param.clause)), label: \(label(param.label))"
            out += "  \(param.name): {\(fields)}   # \(where_)\n"
        }
        out += "rules:\n"
        for r in s.rules {
            out += "  \(r.name):\(comment(m[.rule(r.name)]))\n"
            out += "    type: \(type(r.type).replacing(", of: ", with: "\n    of: "))\n"
            if r.decision { out += "    decision: true\n" }
            out += "    clause: \(list(r.clause))\n    label: \(label(r.label))\n"
            switch r.body {
            case .expr(let e):
                out += "    expr: \(q(e.text))\(comment(m.expressions[.expr(rule: r.name)]?.at))\n"
            case .table(let t):
                out += "    table:\(comment(m[.table(rule: r.name)]))\n      hit: \(t.hit.rawValue)\n      rows:\n"
                for (i, row) in t.rows.enumerated() {
                    out += "        - {when: \(q(row.when?.text ?? "")), then: \(q(row.then.text)), clause: \(list(row.clause))"
                    if let l = row.label { out += ", label: \(label(l))" }
                    out += "}\(comment(m[.row(rule: r.name, row: i)]))\n"
                }
                if let d = t.defaultRow {
                    out += "      default: {then: \(q(d.then.text)), clause: \(list(d.clause))"
                    if let l = d.label { out += ", label: \(label(l))" }
                    out += "}\(comment(m[.row(rule: r.name, row: -1)]))\n"
                }
            case .items(let items):
                out += "    items:\n"
                for (i, item) in items.enumerated() {
                    out += "      - {id: \(item.id), when: \(q(item.when.text)), clause: \(list(item.clause))"
                    if let l = item.label { out += ", label: \(label(l))" }
                    out += "}\(comment(m[.item(rule: r.name, item: i)]))\n"
                }
            }
        }
        out += "catalogs:\n"
        for c in s.catalogs {
            out += "  \(c.name):\n"
            for e in c.entries {
                var fields = "label: \(label(e.label)), clause: \(list(e.clause))"
                if let a = e.amount { fields += ", amount: \(number(a))" }
                if let cur = e.currency { fields += ", currency: \(q(cur))" }
                out += "    \(e.id): {\(fields)}\(comment(m[.catalogEntry(catalog: c.name, id: e.id)]))\n"
            }
        }
        return out
    }

    func inputs(_ fields: [InputSnapshot], _ m: PolicySourceMap, indent: String, into out: inout String) {
        for f in fields {
            if case .object(let children) = f.type {
                out += "\(indent)\(f.name):\(comment(m[.input(f.path)]))\n\(indent)  type: object\n"
                if f.optional { out += "\(indent)  optional: true\n" }
                if let l = f.label { out += "\(indent)  label: \(label(l))\n" }
                out += "\(indent)  fields:\n"
                inputs(children, m, indent: indent + "    ", into: &out)
                continue
            }
            var fields = "type: \(inputType(f.type))"
            if f.optional { fields += ", optional: true" }
            if let d = f.defaultValue { fields += ", default: \(value(d))" }
            if let v = f.min { fields += ", min: \(v)" }
            if let v = f.max { fields += ", max: \(v)" }
            if let l = f.label { fields += ", label: \(label(l))" }
            out += "\(indent)\(f.name): {\(fields)}\(comment(m[.input(f.path)]))\n"
        }
    }

    func comment(_ r: SourceRef?) -> String { r.map { "   # \(at($0))" } ?? "" }

    func number(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d) }

    /// The effective policy as JSON: the snapshot's parts, each with `at` (file:line:column).
    public func json(_ index: Int) -> String {
        let s = set.snapshots[index]
        let m = set.sourceMaps[index]
        let p = set.policies[index]
        var w = JSONWriter(capacity: 16384)
        func at(_ r: SourceRef?) {
            w.raw(",\"at\":")
            if let r { w.string("\(r.file):\(r.line):\(r.column)") } else { w.null() }
        }
        func strings(_ items: [String]) {
            w.raw("[")
            for (i, s) in items.enumerated() {
                if i > 0 { w.raw(",") }
                w.string(s)
            }
            w.raw("]")
        }
        func lab(_ l: Label?) {
            guard let l else {
                w.null()
                return
            }
            w.raw("{\"zh\":")
            w.string(l.zh)
            w.raw(",\"en\":")
            w.string(l.en)
            w.raw("}")
        }
        w.raw("{\"policy\":")
        w.string(s.name)
        w.raw(",\"version\":")
        if let v = s.version { w.string(v) } else { w.null() }
        w.raw(",\"digest\":")
        w.string(p.digest)
        w.raw(",\"chain\":")
        strings(m.chain)
        w.raw(",\"effective_from\":")
        if let f = s.effectiveFrom { w.string(f.description) } else { w.null() }
        w.raw(",\"applies_to\":{")
        for (i, sel) in s.appliesTo.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(sel.key)
            w.raw(":")
            strings(sel.values)
        }
        w.raw("},\"title\":")
        lab(s.title)
        w.raw(",\"parameters\":[")
        for (i, param) in s.parameters.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":")
            w.string(param.name)
            w.raw(",\"type\":")
            w.string(param.type.description)
            w.raw(",\"value\":")
            w.raw(text: CELJSON.text(param.value))
            w.raw(",\"clause\":")
            strings(param.clause)
            w.raw(",\"label\":")
            lab(param.label)
            at(m[.parameter(param.name)])
            w.raw(",\"value_at\":")
            if let r = m[.parameterValue(param.name)] { w.string("\(r.file):\(r.line):\(r.column)") } else { w.null() }
            w.raw(",\"declared_at\":")
            if let r = m[.parameterOrigin(param.name)] { w.string("\(r.file):\(r.line):\(r.column)") } else { w.null() }
            w.raw("}")
        }
        w.raw("],\"rules\":[")
        for (i, r) in s.rules.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":")
            w.string(r.name)
            w.raw(",\"type\":")
            w.string(r.type.description)
            w.raw(",\"decision\":")
            w.bool(r.decision)
            w.raw(",\"clause\":")
            strings(r.clause)
            w.raw(",\"label\":")
            lab(r.label)
            at(m[.rule(r.name)])
            switch r.body {
            case .expr(let e):
                w.raw(",\"expr\":")
                w.string(e.text)
            case .table(let t):
                w.raw(",\"table\":{\"hit\":")
                w.string(t.hit.rawValue)
                w.raw(",\"rows\":[")
                let all: [(Int, RowSnapshot)] =
                    t.rows.enumerated().map { ($0.offset, $0.element) } + (t.defaultRow.map { [(-1, $0)] } ?? [])
                for (k, (j, row)) in all.enumerated() {
                    if k > 0 { w.raw(",") }
                    w.raw("{\"row\":")
                    if j >= 0 { w.int(Int64(j + 1)) } else { w.string("default") }
                    w.raw(",\"when\":")
                    if let when = row.when { w.string(when.text) } else { w.null() }
                    w.raw(",\"then\":")
                    w.string(row.then.text)
                    w.raw(",\"clause\":")
                    strings(row.clause)
                    at(m[.row(rule: r.name, row: j)])
                    w.raw("}")
                }
                w.raw("]}")
            case .items(let items):
                w.raw(",\"items\":[")
                for (j, item) in items.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.raw("{\"id\":")
                    w.string(item.id)
                    w.raw(",\"when\":")
                    w.string(item.when.text)
                    w.raw(",\"clause\":")
                    strings(item.clause)
                    at(m[.item(rule: r.name, item: j)])
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw("],\"catalogs\":{")
        for (i, c) in s.catalogs.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(c.name)
            w.raw(":[")
            for (j, e) in c.entries.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw("{\"id\":")
                w.string(e.id)
                w.raw(",\"label\":")
                lab(e.label)
                w.raw(",\"clause\":")
                strings(e.clause)
                if let a = e.amount {
                    w.raw(",\"amount\":")
                    w.double(a)
                }
                if let cur = e.currency {
                    w.raw(",\"currency\":")
                    w.string(cur)
                }
                at(m[.catalogEntry(catalog: c.name, id: e.id)])
                w.raw("}")
            }
            w.raw("]")
        }
        w.raw("}}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

/// A CEL value as JSON text (dates as strings).
enum CELJSON {
    static func text(_ v: CELValue) -> String {
        var w = JSONWriter(capacity: 32)
        ValueJSON.write(v, into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
