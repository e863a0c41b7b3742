import CEL
import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictModel
import VerdictYAML

/// The keys of each part of the policy format (docs/policy-format.md).
public enum FormatKeys {
    public static let file = [
        "verdict", "policy", "version", "effective_from", "dated_by", "extends", "abstract", "applies_to", "title",
        "sections", "inputs", "parameters", "rules", "catalogs",
    ]
    public static let input = [
        "type", "values", "optional", "default", "min", "max", "max_items", "label", "fields", "of", "informational",
    ]
    public static let parameter = ["type", "of", "values", "value", "min", "max", "clause", "label", "informational"]
    public static let rule = ["type", "of", "values", "decision", "clause", "label", "expr", "table", "items"]
    public static let table = ["hit", "rows", "default", "gaps"]
    public static let gap = ["when", "clause", "label"]
    public static let row = ["when", "then", "clause", "label"]
    public static let item = ["id", "when", "clause", "label"]
    public static let entry = ["label", "clause", "amount", "currency", "informational"]
}

/// Reads one policy file's YAML nodes into a `PolicyDocument`, collecting
/// every problem with its position instead of stopping at the first.
struct PolicyDecoder {
    let file: String
    /// Whether expressions keep their origin (for the policy cache, which
    /// keeps only files under `DocumentCoding.maxFileBytes`: a large table's
    /// hundred thousand expressions would hold megabytes of origins for nothing).
    let keepsOrigins: Bool
    var log = DiagnosticLog()
    /// Empty values already explained as a layout slip (keys meant to be
    /// inside them stand beside them): their shape is not reported again.
    var explained: Set<YAMLMark> = []

    init(file: String, keepsOrigins: Bool = true) {
        self.file = file
        self.keepsOrigins = keepsOrigins
    }

    /// Stands in for a label whose error was already reported, so that the
    /// same mistake is not reported again as a missing label.
    static let reported = Label(zh: "", en: "")

    // MARK: - Positions and errors

    func ref(_ node: YAMLNode) -> SourceRef { SourceRef(node, file: file) }

    mutating func error(_ code: DiagnosticCode, _ node: YAMLNode, _ message: String, help: String? = nil) {
        if code == .wrongShape || code == .missingKey, explained.contains(node.span.start) { return }
        log.error(code, ref(node), message, help: help)
    }

    /// `key:` with nothing after it.
    static func isEmpty(_ node: YAMLNode) -> Bool {
        if case .scalar(let s) = node.kind, s.isNull, !s.isQuoted, s.text.isEmpty { return true }
        return false
    }

    // MARK: - Shapes

    /// The pairs of a mapping with only the allowed keys; unknown keys are
    /// reported with a suggestion. Returns nil (after reporting) for a non-mapping.
    mutating func fields(
        _ node: YAMLNode, _ what: String, allowed: [String], required: [String] = []
    ) -> Fields? {
        guard case .mapping(let pairs) = node.kind else {
            error(.wrongShape, node, "\(what) must be a mapping")
            return nil
        }
        var out = Fields()
        // An allowed key left empty, and unknown keys after it at its level:
        // probably its own content, not indented under it.
        var empty: [(pair: YAMLPair, name: String, beside: [String])] = []
        var recovered: [String: YAMLPair] = [:]
        for pair in pairs {
            guard case .scalar(let k) = pair.key.kind else {
                error(.wrongShape, pair.key, "keys in \(what) must be plain names")
                continue
            }
            if allowed.contains(k.text) {
                out[k.text] = pair
                if Self.isEmpty(pair.value) { empty.append((pair, k.text, [])) } else if !empty.isEmpty, empty[empty.count - 1].beside.isEmpty { empty.removeLast() }
            } else if let last = empty.last, last.pair.key.span.start.column == pair.key.span.start.column,
                Suggest.closest(to: k.text, in: allowed) == nil
            {
                empty[empty.count - 1].beside.append(k.text)
            } else {
                let near = Suggest.closest(to: k.text, in: allowed)
                error(
                    .unknownKey, pair.key, LookAlike.note("unknown key `\(k.text)` in \(what)", k.text),
                    help: near.map { "did you mean `\($0)`?" }
                        ?? "allowed keys: \(allowed.map { "`\($0)`" }.joined(separator: ", "))")
                // Read a misspelt key as the one meant, so that its absence is not reported too.
                if let near, recovered[near] == nil { recovered[near] = pair }
            }
        }
        for (key, pair) in recovered where out[key] == nil { out[key] = pair }
        for e in empty where !e.beside.isEmpty {
            let keys = e.beside.map { "`\($0):`" }.joined(separator: ", ")
            error(
                .wrongShape, e.pair.key,
                "`\(e.name):` is empty, and \(keys) below it \(e.beside.count == 1 ? "stands" : "stand") at its level in \(what)",
                help: "indent \(keys) under `\(e.name):` (2 more spaces) to put \(e.beside.count == 1 ? "it" : "them") inside it")
            explained.insert(e.pair.value.span.start)
        }
        for key in required where out[key] == nil {
            error(.missingKey, node, "\(what) needs `\(key)`")
        }
        return out
    }

    /// The pairs of a mapping whose keys are names the owner chooses (rules, parameters…).
    mutating func namedEntries(_ node: YAMLNode, _ what: String) -> [(name: String, key: YAMLNode, value: YAMLNode)] {
        if case .scalar(let s) = node.kind, s.isNull, !s.isQuoted { return [] }
        guard case .mapping(let pairs) = node.kind else {
            error(.wrongShape, node, "\(what) must be a mapping of names")
            return []
        }
        var out: [(name: String, key: YAMLNode, value: YAMLNode)] = []
        out.reserveCapacity(pairs.count)
        for pair in pairs {
            guard case .scalar(let k) = pair.key.kind else {
                error(.wrongShape, pair.key, "names in \(what) must be plain scalars")
                continue
            }
            guard Names.isName(k.text) else {
                error(
                    .invalidName, pair.key,
                    "`\(k.text)` is not a valid name: use lowercase letters, digits and `_`, starting with a letter")
                continue
            }
            out.append((k.text, pair.key, pair.value))
        }
        return out
    }

    // MARK: - Scalars

    mutating func string(_ node: YAMLNode, _ what: String) -> String? {
        guard case .scalar(let s) = node.kind, !(s.isNull && !s.isQuoted) else {
            error(.invalidValue, node, "\(what) must be a text value")
            return nil
        }
        return s.text
    }

    mutating func name(_ node: YAMLNode, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        guard Names.isName(s) else {
            error(.invalidName, node, "`\(s)` is not a valid name for \(what): use lowercase letters, digits and `_`")
            return nil
        }
        return s
    }

    mutating func bool(_ node: YAMLNode, _ what: String) -> Bool? {
        guard case .scalar(let s) = node.kind, !s.isQuoted, let b = s.asBool else {
            error(.invalidValue, node, "\(what) must be `true` or `false`")
            return nil
        }
        return b
    }

    mutating func int(_ node: YAMLNode, _ what: String) -> Int64? {
        guard case .scalar(let s) = node.kind, !s.isQuoted, let v = s.asInt else {
            error(.invalidValue, node, "\(what) must be a whole number")
            return nil
        }
        return v
    }

    mutating func number(_ node: YAMLNode, _ what: String) -> Double? {
        guard case .scalar(let s) = node.kind, !s.isQuoted, let v = s.asDouble, v.isFinite else {
            error(.invalidValue, node, "\(what) must be a number")
            return nil
        }
        return v
    }

    mutating func expression(_ node: YAMLNode, _ what: String) -> ExprSource? {
        guard case .scalar(let s) = node.kind, !s.text.allSatisfy({ $0.isWhitespace }) else {
            error(.invalidValue, node, "\(what) must be an expression (a text value)")
            return nil
        }
        return ExprSource.located(in: s, at: ref(node), keepingOrigin: keepsOrigins)
    }

    /// A clause number or a list of them: `"7.1.6"` or `["7.1.6", "7.2.6"]`.
    mutating func clause(_ node: YAMLNode) -> Clause? {
        switch node.kind {
        case .scalar(let s) where !(s.isNull && !s.isQuoted) && !s.text.isEmpty:
            return [s.text]
        case .sequence(let items) where !items.isEmpty:
            var out: Clause = []
            for item in items {
                guard case .scalar(let s) = item.kind, !s.text.isEmpty else {
                    error(.invalidValue, item, "a clause must be a clause number such as \"7.1.6\"")
                    continue
                }
                out.append(s.text)
            }
            return out
        default:
            error(.invalidValue, node, "`clause` must be a clause number such as \"7.1.6\" or a list of them")
            return nil
        }
    }

    mutating func label(_ node: YAMLNode) -> Label? {
        guard let f = fields(node, "label", allowed: ["zh", "en"], required: ["zh", "en"]),
            let zh = f["zh"].flatMap({ string($0.value, "`label.zh`") }),
            let en = f["en"].flatMap({ string($0.value, "`label.en`") })
        else { return nil }
        return Label(zh: zh, en: en)
    }

    /// `bool`, `int`, `double`, `string`, `date`, `timestamp`, `enum` with
    /// `values`, or `list` with `of` (a type, an enum input or a catalogue).
    mutating func valueType(
        _ typeNode: YAMLNode, of ofNode: YAMLNode?, values valuesNode: YAMLNode? = nil, catalogsAllowed: Bool
    ) -> ValueType? {
        guard let t = string(typeNode, "`type`") else { return nil }
        if t == "enum" {
            guard let valuesNode, case .sequence(let items) = valuesNode.kind, !items.isEmpty else {
                error(.missingKey, typeNode, "`type: enum` needs `values`: a list of the allowed values")
                return nil
            }
            var values: [String] = []
            for item in items {
                guard let v = string(item, "an enum value") else { continue }
                if values.contains(v) { error(.duplicateEnumValue, item, "duplicate enum value `\(v)`") }
                values.append(v)
            }
            return .enumeration(values, of: nil)
        }
        if let valuesNode { error(.conflictingKeys, valuesNode, "`values` goes only with `type: enum`") }
        let scalarTypes: [String: ValueType] = [
            "bool": .bool, "int": .int, "double": .double, "string": .string, "date": .date, "timestamp": .timestamp,
        ]
        if let v = scalarTypes[t] {
            if let ofNode { error(.conflictingKeys, ofNode, "`of` goes only with `type: list`") }
            return v
        }
        guard t == "list" else {
            error(
                .unknownType, typeNode, "unknown type `\(t)`",
                help: Suggest.help(for: t, in: Array(scalarTypes.keys) + ["list", "enum"])
                    ?? "types: bool, int, double, string, date, timestamp, enum, list")
            return nil
        }
        guard let ofNode, let of = string(ofNode, "`of`") else {
            error(
                .missingKey, typeNode,
                "`type: list` needs `of`: an item type\(catalogsAllowed ? " or a catalogue name" : "")")
            return nil
        }
        if let v = scalarTypes[of] { return .list(v) }
        // An enum input (`fault.cause`) or a catalogue (`forms`): the compiler knows which.
        if of.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ Names.isName(String($0)) }) {
            return .list(.named(of))
        }
        error(.unknownType, ofNode, "unknown item type `\(of)`", help: Suggest.help(for: of, in: Array(scalarTypes.keys)))
        return nil
    }

    // MARK: - The file

    /// Decodes a whole file; nil when the file is too broken to name a policy.
    mutating func policyFile(_ root: YAMLNode) -> PolicyDocument? {
        guard let f = fields(root, "a policy file", allowed: FormatKeys.file, required: ["verdict", "policy"])
        else { return nil }
        if let v = f["verdict"], let version = int(v.value, "`verdict` (the format version)"), version != 1 {
            error(.unsupportedFormat, v.value, "unsupported format version \(version); this verdict reads version 1")
        }
        guard let namePair = f["policy"], let name = name(namePair.value, "`policy`") else { return nil }
        var doc = PolicyDocument(path: file, name: name, nameAt: ref(namePair.value))
        if let p = f["version"], let v = string(p.value, "`version`") {
            doc.version = v
            doc.versionAt = ref(p.value)
        }
        if let p = f["effective_from"], let text = string(p.value, "`effective_from`") {
            if let d = CELDate.parse(text) {
                doc.effectiveFrom = d
                doc.effectiveFromAt = ref(p.value)
            } else {
                error(.invalidValue, p.value, "`effective_from` must be a date such as 2026-07-01, not `\(text)`")
            }
        }
        if let p = f["dated_by"], let path = string(p.value, "`dated_by`") {
            doc.datedBy = path
            doc.datedByAt = ref(p.value)
        }
        if let p = f["extends"] {
            doc.extends = self.name(p.value, "`extends`")
            doc.extendsAt = ref(p.value)
        }
        if let p = f["abstract"] { doc.abstract = bool(p.value, "`abstract`") ?? false }
        if let p = f["title"] {
            doc.title = label(p.value) ?? Self.reported
            doc.titleAt = ref(p.key)
        }
        if let p = f["sections"] { doc.sections = clause(p.value) }
        if let p = f["applies_to"] {
            doc.appliesTo = selectors(p.value)
            doc.appliesToAt = ref(p.key)
        }
        if let p = f["inputs"] { doc.inputs = inputs(p.value, prefix: "") }
        if let p = f["parameters"] {
            doc.parameters = namedEntries(p.value, "`parameters`").compactMap { parameter($0.name, $0.key, $0.value) }
        }
        if let p = f["rules"] {
            doc.rules = rules(namedEntries(p.value, "`rules`"))
        }
        if let p = f["catalogs"] {
            doc.catalogs = namedEntries(p.value, "`catalogs`").map { catalog($0.name, $0.key, $0.value) }
        }
        return doc
    }

    mutating func selectors(_ node: YAMLNode) -> [SelectorDecl] {
        namedPaths(node, "`applies_to`").compactMap { (key, keyNode, value) in
            var values: [String] = []
            switch value.kind {
            case .scalar:
                if let s = string(value, "a value in `applies_to`") { values = [s] }
            case .sequence(let items):
                values = items.compactMap { string($0, "a value in `applies_to`") }
                if items.isEmpty { error(.invalidValue, value, "`applies_to.\(key)` needs at least one value") }
            case .mapping:
                error(.wrongShape, value, "`applies_to.\(key)` must be a value or a list of values")
            }
            return SelectorDecl(key: key, keyAt: ref(keyNode), values: values, at: ref(value))
        }
    }

    /// Like `namedEntries`, but keys may be dotted input paths (`unit.model`).
    mutating func namedPaths(_ node: YAMLNode, _ what: String) -> [(String, YAMLNode, YAMLNode)] {
        guard case .mapping(let pairs) = node.kind else {
            error(.wrongShape, node, "\(what) must be a mapping")
            return []
        }
        var out: [(name: String, key: YAMLNode, value: YAMLNode)] = []
        out.reserveCapacity(pairs.count)
        for pair in pairs {
            guard case .scalar(let k) = pair.key.kind,
                k.text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ Names.isName(String($0)) })
            else {
                error(.invalidName, pair.key, "keys in \(what) must be input names such as `market`")
                continue
            }
            out.append((k.text, pair.key, pair.value))
        }
        return out
    }

    // MARK: inputs

    mutating func inputs(_ node: YAMLNode, prefix: String) -> [InputDecl] {
        namedEntries(node, prefix.isEmpty ? "`inputs`" : "`fields` of `\(prefix.dropLast())`").compactMap {
            input($0.name, path: prefix + $0.name, $0.key, $0.value)
        }
    }

    mutating func input(_ name: String, path: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> InputDecl? {
        let what = "input `\(path)`"
        // Shorthand: `serial: string`.
        if case .scalar = node.kind {
            guard let type = inputType(node, values: nil, fields: nil, of: nil, path: path) else { return nil }
            return InputDecl(name: name, path: path, type: type, at: ref(keyNode))
        }
        guard let f = fields(node, what, allowed: FormatKeys.input, required: ["type"]),
            let typeNode = f["type"]?.value,
            let type = inputType(
                typeNode, values: f["values"]?.value, fields: f["fields"]?.value, of: f["of"]?.value, path: path)
        else { return nil }
        var decl = InputDecl(
            name: name, path: path, type: type, defaultValue: f["default"].map { Literal($0.value, file: file) },
            at: ref(keyNode))
        if let p = f["optional"] { decl.optional = bool(p.value, "`optional`") ?? false }
        if let p = f["informational"] { decl.informational = bool(p.value, "`informational`") ?? false }
        if let p = f["label"] { decl.label = label(p.value) ?? Self.reported }
        for (key, keyPath) in [("min", \InputDecl.min), ("max", \InputDecl.max)] {
            guard let p = f[key] else { continue }
            guard case .int = type else {
                error(.conflictingKeys, p.key, "`\(key)` applies only to `int` inputs")
                continue
            }
            decl[keyPath: keyPath] = int(p.value, "`\(key)`")
        }
        if let p = f["max_items"] {
            if case .list = type {
                if let n = int(p.value, "`max_items`") {
                    if n < 0 {
                        error(.invalidValue, p.value, "`max_items` must be 0 or more, not \(n)")
                    } else {
                        decl.maxItems = n
                    }
                }
            } else {
                error(.conflictingKeys, p.key, "`max_items` applies only to `list` inputs")
            }
        }
        if let p = f["default"], case .object = type {
            error(.conflictingKeys, p.key, "an object input cannot have a default; give its fields defaults instead")
        }
        return decl
    }

    mutating func inputType(
        _ typeNode: YAMLNode, values: YAMLNode?, fields: YAMLNode?, of: YAMLNode?, path: String
    ) -> InputTypeDecl? {
        guard let t = string(typeNode, "`type`") else { return nil }
        let simple: [String: InputTypeDecl] = [
            "bool": .bool, "int": .int, "double": .double, "string": .string, "date": .date, "timestamp": .timestamp,
        ]
        if values != nil, t != "enum" { error(.conflictingKeys, typeNode, "`values` goes only with `type: enum`") }
        if fields != nil, t != "object" { error(.conflictingKeys, typeNode, "`fields` goes only with `type: object`") }
        if of != nil, t != "list" { error(.conflictingKeys, typeNode, "`of` goes only with `type: list`") }
        if let s = simple[t] { return s }
        switch t {
        case "enum":
            guard let values, case .sequence(let items) = values.kind, !items.isEmpty else {
                error(.missingKey, typeNode, "`type: enum` needs `values`: a list of the allowed values")
                return nil
            }
            var seen: Set<String> = []
            var out: [String] = []
            for item in items {
                guard let v = string(item, "an enum value") else { continue }
                if !seen.insert(v).inserted { error(.duplicateEnumValue, item, "duplicate enum value `\(v)`") }
                out.append(v)
            }
            return .enumeration(out)
        case "object":
            guard let fields else {
                error(.missingKey, typeNode, "`type: object` needs `fields`")
                return nil
            }
            return .object(inputs(fields, prefix: path + "."))
        case "list":
            guard let of else {
                error(.missingKey, typeNode, "`type: list` needs `of`: the item type")
                return nil
            }
            guard let inner = inputType(of, values: nil, fields: nil, of: nil, path: path) else { return nil }
            return .list(inner)
        default:
            error(
                .unknownType, typeNode, "unknown input type `\(t)`",
                help: Suggest.help(for: t, in: Array(simple.keys) + ["enum", "object", "list"])
                    ?? "types: bool, int, double, string, date, timestamp, enum, object, list")
            return nil
        }
    }

    // MARK: parameters

    mutating func parameter(_ name: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> ParameterDecl? {
        guard let f = fields(node, "parameter `\(name)`", allowed: FormatKeys.parameter) else { return nil }
        var p = ParameterDecl(name: name, value: f["value"].map { Literal($0.value, file: file) }, at: ref(keyNode))
        if let t = f["type"] {
            p.type = valueType(t.value, of: f["of"]?.value, values: f["values"]?.value, catalogsAllowed: true)
            p.typeInvalid = p.type == nil
        } else if let o = f["of"] {
            error(.conflictingKeys, o.key, "`of` goes only with `type: list`")
        }
        if let v = f["min"] { p.min = number(v.value, "`min`") }
        if let v = f["max"] { p.max = number(v.value, "`max`") }
        if let v = f["clause"] { p.clause = clause(v.value) ?? [] }
        if let v = f["label"] { p.label = label(v.value) ?? Self.reported }
        if let v = f["informational"] { p.informational = bool(v.value, "`informational`") }
        return p
    }

    // MARK: rules

    /// Decodes the rules, on every core when there are many.
    mutating func rules(_ entries: [(name: String, key: YAMLNode, value: YAMLNode)]) -> [RuleDecl] {
        inParallel(entries) { $0.rule($1.name, $1.key, $1.value) }
    }

    /// Decodes each of many named entries (rules, catalogue entries) alone,
    /// on every core when there are many: a decoder per part, and the parts'
    /// results and diagnostics put back in file order.
    mutating func inParallel<T: Sendable>(
        _ entries: [(name: String, key: YAMLNode, value: YAMLNode)],
        _ decode: @Sendable (inout PolicyDecoder, (name: String, key: YAMLNode, value: YAMLNode)) -> T?
    ) -> [T] {
        let workers = entries.count < 512 ? 1 : Threads.cores
        guard workers > 1 else { return entries.compactMap { decode(&self, $0) } }
        let part = (entries.count + workers - 1) / workers
        let file = self.file
        let keepsOrigins = self.keepsOrigins
        let results = ResultSlots<(decoded: [T], diagnostics: [PolicyDiagnostic], explained: Set<YAMLMark>)>(count: workers)
        Threads.concurrentPerform(iterations: workers) { w in
            var decoder = PolicyDecoder(file: file, keepsOrigins: keepsOrigins)
            let range = min(entries.count, w * part)..<min(entries.count, (w + 1) * part)
            let decoded = entries[range].compactMap { decode(&decoder, $0) }
            results.set(w, (decoded, decoder.log.diagnostics, decoder.explained))
        }
        var out: [T] = []
        out.reserveCapacity(entries.count)
        for case let (decoded, diagnostics, explained)? in results.values {
            out += decoded
            log.append(contentsOf: diagnostics)
            self.explained.formUnion(explained)
        }
        return out
    }

    mutating func rule(_ name: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> RuleDecl? {
        let what = "rule `\(name)`"
        guard let f = fields(node, what, allowed: FormatKeys.rule) else { return nil }
        var r = RuleDecl(name: name, at: ref(keyNode))
        if let t = f["type"] {
            r.type = valueType(t.value, of: f["of"]?.value, values: f["values"]?.value, catalogsAllowed: true)
            r.typeInvalid = r.type == nil
        } else if let o = f["of"] {
            error(.conflictingKeys, o.key, "`of` goes only with `type: list`")
        }
        if let v = f["decision"] { r.decision = bool(v.value, "`decision`") }
        if let v = f["clause"] { r.clause = clause(v.value) ?? [] }
        if let v = f["label"] { r.label = label(v.value) ?? Self.reported }
        let bodies = ["expr", "table", "items"].compactMap { f[$0] }
        if bodies.count > 1 {
            error(.conflictingKeys, bodies[1].key, "\(what) has more than one of `expr`, `table` and `items`; keep one")
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
                    .invalidValue, h.value, "unknown hit policy `\(s)`",
                    help: Suggest.help(for: s, in: HitPolicy.allCases.map(\.rawValue))
                        ?? "hit policies: first, unique, collect")
            }
        }
        var rows: [RowDecl] = []
        if let r = f["rows"] {
            if case .sequence(let items) = r.value.kind, !items.isEmpty {
                rows.reserveCapacity(items.count)
                for (i, item) in items.enumerated() {
                    if let row = row(item, "row \(i + 1) of `\(rule)`", needsWhen: true) { rows.append(row) }
                }
            } else {
                error(.wrongShape, r.value, "`rows` must be a list of rows, each with `when` and `then`")
            }
        }
        var defaultRow: RowDecl?
        if let d = f["default"] {
            defaultRow = row(d.value, "the default of `\(rule)`", needsWhen: false)
        }
        var gaps: [GapDecl] = []
        if let g = f["gaps"] {
            if case .sequence(let items) = g.value.kind, !items.isEmpty {
                for (i, item) in items.enumerated() {
                    guard
                        let gf = fields(
                            item, "gap \(i + 1) of `\(rule)`", allowed: FormatKeys.gap, required: ["when", "clause"]),
                        let w = gf["when"], let when = expression(w.value, "`when`")
                    else { continue }
                    var gap = GapDecl(when: when, at: ref(item))
                    if let c = gf["clause"] { gap.clause = clause(c.value) ?? [] }
                    if let l = gf["label"] { gap.label = label(l.value) ?? Self.reported }
                    gaps.append(gap)
                }
            } else {
                error(.wrongShape, g.value, "`gaps` must be a list, each with `when` and `clause`")
            }
        }
        return TableDecl(hit: hit, rows: rows, defaultRow: defaultRow, gaps: gaps, at: ref(node))
    }

    mutating func row(_ node: YAMLNode, _ what: String, needsWhen: Bool) -> RowDecl? {
        let allowed = needsWhen ? FormatKeys.row : FormatKeys.row.filter { $0 != "when" }
        guard let f = fields(node, what, allowed: allowed, required: needsWhen ? ["when", "then"] : ["then"]),
            let thenNode = f["then"], let then = expression(thenNode.value, "`then`")
        else { return nil }
        var row = RowDecl(when: nil, then: then, at: ref(node))
        if let w = f["when"] { row.when = expression(w.value, "`when`") }
        if let c = f["clause"] { row.clause = clause(c.value) ?? [] }
        if let l = f["label"] { row.label = label(l.value) ?? Self.reported }
        return row
    }

    mutating func items(_ node: YAMLNode, rule: String) -> [ItemDecl] {
        guard case .sequence(let list) = node.kind, !list.isEmpty else {
            error(.wrongShape, node, "`items` must be a list of items, each with `id` and `when`")
            return []
        }
        var out: [ItemDecl] = []
        for (i, item) in list.enumerated() {
            guard
                let f = fields(item, "item \(i + 1) of `\(rule)`", allowed: FormatKeys.item, required: ["id", "when"]),
                let idNode = f["id"]?.value, let id = name(idNode, "an item `id`"),
                let whenNode = f["when"]?.value, let when = expression(whenNode, "`when`")
            else { continue }
            var decl = ItemDecl(id: id, idAt: ref(idNode), when: when, at: ref(item))
            if let c = f["clause"] { decl.clause = clause(c.value) ?? [] }
            if let l = f["label"] { decl.label = label(l.value) ?? Self.reported }
            out.append(decl)
        }
        return out
    }

    // MARK: catalogues

    mutating func catalog(_ name: String, _ keyNode: YAMLNode, _ node: YAMLNode) -> CatalogDecl {
        let entries = inParallel(namedEntries(node, "catalogue `\(name)`")) { $0.catalogEntry($1, of: name) }
        return CatalogDecl(name: name, entries: entries, at: ref(keyNode))
    }

    mutating func catalogEntry(_ entry: (name: String, key: YAMLNode, value: YAMLNode), of catalog: String)
        -> CatalogEntryDecl?
    {
        let (id, key, value) = entry
        guard let f = fields(value, "entry `\(id)` of `\(catalog)`", allowed: FormatKeys.entry) else { return nil }
        var e = CatalogEntryDecl(id: id, at: ref(key))
        if let v = f["label"] { e.label = label(v.value) ?? Self.reported }
        if let v = f["clause"] { e.clause = clause(v.value) ?? [] }
        if let v = f["amount"] { e.amount = number(v.value, "`amount`") }
        if let v = f["currency"] { e.currency = string(v.value, "`currency`") }
        if let v = f["informational"] { e.informational = bool(v.value, "`informational`") ?? false }
        return e
    }
}

/// The known keys of one mapping, as `fields` read them.
typealias Fields = SmallMap<YAMLPair>

extension ExprSource {
    /// The scalar's styles as `Origin.style` codes.
    static let styles: [YAMLScalarStyle] = [.plain, .singleQuoted, .doubleQuoted, .literal, .folded]

    /// An expression held by a YAML scalar: positions inside it map back
    /// through the scalar's raw source (quoting, escapes, block indentation).
    static func located(in s: YAMLScalar, at: SourceRef, keepingOrigin: Bool = true) -> ExprSource {
        let origin = Origin(
            source: s.rawSource, line: s.start.line, column: s.start.column,
            style: UInt8(styles.firstIndex(of: s.style) ?? 0))
        return ExprSource(text: s.text, at: at, origin: keepingOrigin ? origin : nil) { offset in
            let mark = s.mark(atOffset: offset)
            return (mark.line, mark.column)
        }
    }

    /// The same from an origin read back (the policy cache); nil for an unknown style.
    static func located(text: String, at: SourceRef, origin: Origin) -> ExprSource? {
        guard Int(origin.style) < styles.count else { return nil }
        let scalar = YAMLScalar(
            text: text, style: styles[Int(origin.style)], source: origin.source,
            sourceStart: YAMLMark(line: origin.line, column: origin.column))
        return located(in: scalar, at: at)
    }
}
