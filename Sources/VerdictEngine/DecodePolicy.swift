import VerdictYAML

/// The keys of each part of the policy format (docs/policy-format.md).
enum FormatKeys {
    static let file = [
        "verdict", "policy", "extends", "abstract", "applies_to", "title", "inputs", "parameters", "rules", "catalogs",
    ]
    static let input = ["type", "values", "optional", "default", "min", "max", "label", "fields", "of"]
    static let parameter = ["type", "of", "value", "min", "max", "clause", "label"]
    static let rule = ["type", "of", "decision", "clause", "label", "expr", "table", "items"]
    static let table = ["hit", "rows", "default"]
    static let row = ["when", "then", "clause", "label"]
    static let item = ["id", "when", "clause", "label"]
    static let entry = ["label", "clause", "amount", "currency"]
}

extension PolicyDecoder {
    /// Stands in for a label whose error was already reported, so that the
    /// same mistake is not reported again as a missing label.
    static let reported = Label(zh: "", en: "")

    /// Decodes a whole file; nil when the file is too broken to name a policy.
    mutating func policyFile(_ root: YAMLNode) -> PolicyFile? {
        guard
            let f = fields(
                root, "a policy file", allowed: FormatKeys.file, required: ["verdict", "policy"])
        else { return nil }
        if let v = f["verdict"], let version = int(v.value, "`verdict` (the format version)"), version != 1 {
            error(v.value, "unsupported format version \(version); this verdict reads version 1")
        }
        guard let namePair = f["policy"], let name = name(namePair.value, "`policy`") else { return nil }
        var file = PolicyFile(
            path: self.file, name: name, nameAt: ref(namePair.value), extends: nil, extendsAt: nil,
            abstract: false, appliesTo: nil, appliesToAt: nil, title: nil, inputs: [], parameters: [], rules: [],
            catalogs: [])
        if let p = f["extends"] {
            file.extends = self.name(p.value, "`extends`")
            file.extendsAt = ref(p.value)
        }
        if let p = f["abstract"] { file.abstract = bool(p.value, "`abstract`") ?? false }
        if let p = f["title"] { file.title = label(p.value) ?? Self.reported }
        if let p = f["applies_to"] {
            file.appliesTo = selectors(p.value)
            file.appliesToAt = ref(p.key)
        }
        if let p = f["inputs"] { file.inputs = inputFields(p.value, prefix: "") }
        if let p = f["parameters"] {
            file.parameters = namedEntries(p.value, "`parameters`").compactMap { parameter($0.name, $0.key, $0.value) }
        }
        if let p = f["rules"] {
            file.rules = namedEntries(p.value, "`rules`").compactMap { rule($0.name, $0.key, $0.value) }
        }
        if let p = f["catalogs"] {
            file.catalogs = namedEntries(p.value, "`catalogs`").map { catalog($0.name, $0.key, $0.value) }
        }
        return file
    }

    mutating func selectors(_ node: YAMLNode) -> [Selector] {
        namedPaths(node, "`applies_to`").compactMap { (key, keyNode, value) in
            var values: [String] = []
            switch value.kind {
            case .scalar:
                if let s = string(value, "a value in `applies_to`") { values = [s] }
            case .sequence(let items):
                values = items.compactMap { string($0, "a value in `applies_to`") }
                if items.isEmpty { error(value, "`applies_to.\(key)` needs at least one value") }
            case .mapping:
                error(value, "`applies_to.\(key)` must be a value or a list of values")
            }
            return Selector(key: key, keyAt: ref(keyNode), values: values, at: ref(value))
        }
    }

    /// Like `namedEntries`, but keys may be dotted input paths (`unit.model`).
    mutating func namedPaths(_ node: YAMLNode, _ what: String) -> [(String, YAMLNode, YAMLNode)] {
        guard case .mapping(let pairs) = node.kind else {
            error(node, "\(what) must be a mapping")
            return []
        }
        var out: [(String, YAMLNode, YAMLNode)] = []
        for pair in pairs {
            guard case .scalar(let k) = pair.key.kind,
                k.text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ Self.isName(String($0)) })
            else {
                error(pair.key, "keys in \(what) must be input names such as `market`")
                continue
            }
            out.append((k.text, pair.key, pair.value))
        }
        return out
    }

    // MARK: inputs

    mutating func inputFields(_ node: YAMLNode, prefix: String) -> [InputField] {
        namedEntries(node, prefix.isEmpty ? "`inputs`" : "`fields` of `\(prefix.dropLast())`").compactMap {
            inputField($0.name, path: prefix + $0.name, $0.key, $0.value)
        }
    }

    mutating func inputField(_ name: String, path: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> InputField? {
        let what = "input `\(path)`"
        // Shorthand: `serial: string`.
        if case .scalar = node.kind {
            guard let type = inputType(node, values: nil, fields: nil, of: nil, path: path) else { return nil }
            return InputField(
                name: name, path: path, type: type, optional: false, defaultValue: nil, min: nil, max: nil,
                label: nil, at: ref(keyNode))
        }
        guard let f = fields(node, what, allowed: FormatKeys.input, required: ["type"]),
            let typeNode = f["type"]?.value,
            let type = inputType(typeNode, values: f["values"]?.value, fields: f["fields"]?.value, of: f["of"]?.value, path: path)
        else { return nil }
        var field = InputField(
            name: name, path: path, type: type, optional: false, defaultValue: f["default"]?.value,
            min: nil, max: nil, label: nil, at: ref(keyNode))
        if let p = f["optional"] { field.optional = bool(p.value, "`optional`") ?? false }
        if let p = f["label"] { field.label = label(p.value) ?? Self.reported }
        for (key, keyPath) in [("min", \InputField.min), ("max", \InputField.max)] {
            guard let p = f[key] else { continue }
            guard case .int = type else {
                error(p.key, "`\(key)` applies only to `int` inputs")
                continue
            }
            field[keyPath: keyPath] = int(p.value, "`\(key)`")
        }
        if let p = f["default"], case .object = type {
            error(p.key, "an object input cannot have a default; give its fields defaults instead")
        }
        return field
    }

    mutating func inputType(
        _ typeNode: YAMLNode, values: YAMLNode?, fields: YAMLNode?, of: YAMLNode?, path: String
    ) -> InputType? {
        guard let t = string(typeNode, "`type`") else { return nil }
        let simple: [String: InputType] = [
            "bool": .bool, "int": .int, "double": .double, "string": .string, "date": .date, "timestamp": .timestamp,
        ]
        if values != nil, t != "enum" { error(typeNode, "`values` goes only with `type: enum`") }
        if fields != nil, t != "object" { error(typeNode, "`fields` goes only with `type: object`") }
        if of != nil, t != "list" { error(typeNode, "`of` goes only with `type: list`") }
        if let s = simple[t] { return s }
        switch t {
        case "enum":
            guard let values, case .sequence(let items) = values.kind, !items.isEmpty else {
                error(typeNode, "`type: enum` needs `values`: a list of the allowed values")
                return nil
            }
            var seen: Set<String> = []
            var out: [String] = []
            for item in items {
                guard let v = string(item, "an enum value") else { continue }
                if !seen.insert(v).inserted { error(item, "duplicate enum value `\(v)`") }
                out.append(v)
            }
            return .enumeration(out)
        case "object":
            guard let fields else {
                error(typeNode, "`type: object` needs `fields`")
                return nil
            }
            return .object(inputFields(fields, prefix: path + "."))
        case "list":
            guard let of else {
                error(typeNode, "`type: list` needs `of`: the item type")
                return nil
            }
            guard let inner = inputType(of, values: nil, fields: nil, of: nil, path: path) else { return nil }
            return .list(inner)
        default:
            error(
                typeNode, "unknown input type `\(t)`",
                help: Suggest.help(for: t, in: Array(simple.keys) + ["enum", "object", "list"])
                    ?? "types: bool, int, double, string, date, timestamp, enum, object, list")
            return nil
        }
    }

    // MARK: parameters

    mutating func parameter(_ name: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> ParameterDecl? {
        guard let f = fields(node, "parameter `\(name)`", allowed: FormatKeys.parameter) else { return nil }
        var p = ParameterDecl(
            name: name, type: nil, value: f["value"]?.value, valueFile: file, min: nil, max: nil, clause: nil,
            label: nil, at: ref(keyNode))
        if let t = f["type"] { p.type = valueType(t.value, of: f["of"]?.value, catalogsAllowed: false) }
        else if let o = f["of"] { error(o.key, "`of` goes only with `type: list`") }
        if let v = f["min"] { p.min = number(v.value, "`min`") }
        if let v = f["max"] { p.max = number(v.value, "`max`") }
        if let v = f["clause"] { p.clause = clause(v.value) ?? [] }
        if let v = f["label"] { p.label = label(v.value) ?? Self.reported }
        return p
    }

    // MARK: rules

    mutating func rule(_ name: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> RuleDecl? {
        let what = "rule `\(name)`"
        guard let f = fields(node, what, allowed: FormatKeys.rule) else { return nil }
        var r = RuleDecl(name: name, type: nil, decision: nil, clause: nil, label: nil, body: nil, at: ref(keyNode))
        if let t = f["type"] { r.type = valueType(t.value, of: f["of"]?.value, catalogsAllowed: true) }
        else if let o = f["of"] { error(o.key, "`of` goes only with `type: list`") }
        if let v = f["decision"] { r.decision = bool(v.value, "`decision`") }
        if let v = f["clause"] { r.clause = clause(v.value) ?? [] }
        if let v = f["label"] { r.label = label(v.value) ?? Self.reported }
        let bodies = ["expr", "table", "items"].compactMap { f[$0] }
        if bodies.count > 1 {
            error(bodies[1].key, "\(what) has more than one of `expr`, `table` and `items`; keep one")
        }
        if let e = f["expr"] {
            if let x = expression(e.value, "`expr`") { r.body = .expr(x) }
        } else if let t = f["table"] {
            if let x = table(t.value, rule: name) { r.body = .table(x) }
        } else if let i = f["items"] {
            r.body = .items(items(i.value, rule: name))
        }
        return r
    }

    mutating func table(_ node: YAMLNode, rule: String) -> TableDecl? {
        let what = "the table of `\(rule)`"
        guard let f = fields(node, what, allowed: FormatKeys.table, required: ["rows"]) else { return nil }
        var hit = HitPolicy.first
        if let h = f["hit"], let s = string(h.value, "`hit`") {
            if let p = HitPolicy(rawValue: s) {
                hit = p
            } else {
                error(
                    h.value, "unknown hit policy `\(s)`",
                    help: Suggest.help(for: s, in: HitPolicy.allCases.map(\.rawValue)) ?? "hit policies: first, unique, collect")
            }
        }
        var rows: [RowDecl] = []
        if let r = f["rows"] {
            if case .sequence(let items) = r.value.kind, !items.isEmpty {
                for (i, item) in items.enumerated() {
                    if let row = row(item, "row \(i + 1) of `\(rule)`", needsWhen: true) { rows.append(row) }
                }
            } else {
                error(r.value, "`rows` must be a list of rows, each with `when` and `then`")
            }
        }
        var defaultRow: RowDecl?
        if let d = f["default"] {
            defaultRow = row(d.value, "the default of `\(rule)`", needsWhen: false)
        }
        return TableDecl(hit: hit, rows: rows, defaultRow: defaultRow, at: ref(node))
    }

    mutating func row(_ node: YAMLNode, _ what: String, needsWhen: Bool) -> RowDecl? {
        let allowed = needsWhen ? FormatKeys.row : FormatKeys.row.filter { $0 != "when" }
        guard let f = fields(node, what, allowed: allowed, required: needsWhen ? ["when", "then"] : ["then"]),
            let thenNode = f["then"], let then = expression(thenNode.value, "`then`")
        else { return nil }
        var row = RowDecl(when: nil, then: then, clause: nil, label: nil, at: ref(node))
        if let w = f["when"] { row.when = expression(w.value, "`when`") }
        if let c = f["clause"] { row.clause = clause(c.value) ?? [] }
        if let l = f["label"] { row.label = label(l.value) ?? Self.reported }
        return row
    }

    mutating func items(_ node: YAMLNode, rule: String) -> [ItemDecl] {
        guard case .sequence(let list) = node.kind, !list.isEmpty else {
            error(node, "`items` must be a list of items, each with `id` and `when`")
            return []
        }
        var out: [ItemDecl] = []
        for (i, item) in list.enumerated() {
            guard
                let f = fields(item, "item \(i + 1) of `\(rule)`", allowed: FormatKeys.item, required: ["id", "when"]),
                let idNode = f["id"]?.value, let id = name(idNode, "an item `id`"),
                let whenNode = f["when"]?.value, let when = expression(whenNode, "`when`")
            else { continue }
            var decl = ItemDecl(id: id, idAt: ref(idNode), when: when, clause: nil, label: nil, at: ref(item))
            if let c = f["clause"] { decl.clause = clause(c.value) ?? [] }
            if let l = f["label"] { decl.label = label(l.value) ?? Self.reported }
            out.append(decl)
        }
        return out
    }

    // MARK: catalogues

    mutating func catalog(_ name: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> CatalogDecl {
        let entries = namedEntries(node, "catalogue `\(name)`").compactMap { (id, key, value) -> CatalogEntry? in
            guard let f = fields(value, "entry `\(id)` of `\(name)`", allowed: FormatKeys.entry) else { return nil }
            var e = CatalogEntry(id: id, label: nil, clause: nil, amount: nil, currency: nil, at: ref(key))
            if let v = f["label"] { e.label = label(v.value) ?? Self.reported }
            if let v = f["clause"] { e.clause = clause(v.value) ?? [] }
            if let v = f["amount"] { e.amount = number(v.value, "`amount`") }
            if let v = f["currency"] { e.currency = string(v.value, "`currency`") }
            return e
        }
        return CatalogDecl(name: name, entries: entries, at: ref(keyNode))
    }
}
