import VerdictYAML

/// Reads one policy file's YAML nodes into a `PolicyFile`, collecting every
/// problem with its position instead of stopping at the first.
struct PolicyDecoder {
    let file: String
    var diagnostics: [PolicyDiagnostic] = []

    init(file: String) { self.file = file }

    // MARK: - Positions and errors

    func ref(_ node: YAMLNode) -> SourceRef { SourceRef(node, file: file) }

    mutating func error(_ at: SourceRef, _ message: String, help: String? = nil) {
        diagnostics.append(
            PolicyDiagnostic(
                file: at.file, line: at.line, column: at.column, length: at.length,
                message: message, help: help))
    }

    mutating func error(_ node: YAMLNode, _ message: String, help: String? = nil) {
        error(ref(node), message, help: help)
    }

    // MARK: - Shapes

    /// The pairs of a mapping with only the allowed keys; unknown keys are
    /// reported with a suggestion. Returns nil (after reporting) for a non-mapping.
    mutating func fields(
        _ node: YAMLNode, _ what: String, allowed: [String], required: [String] = []
    ) -> [String: YAMLPair]? {
        guard case .mapping(let pairs) = node.kind else {
            error(node, "\(what) must be a mapping")
            return nil
        }
        var out: [String: YAMLPair] = [:]
        for pair in pairs {
            guard case .scalar(let k) = pair.key.kind else {
                error(pair.key, "keys in \(what) must be plain names")
                continue
            }
            if allowed.contains(k.text) {
                out[k.text] = pair
            } else {
                error(
                    pair.key, "unknown key `\(k.text)` in \(what)",
                    help: Suggest.help(for: k.text, in: allowed)
                        ?? "allowed keys: \(allowed.map { "`\($0)`" }.joined(separator: ", "))")
            }
        }
        for key in required where out[key] == nil {
            error(node, "\(what) needs `\(key)`")
        }
        return out
    }

    /// The pairs of a mapping whose keys are names the owner chooses (rules, parameters…).
    mutating func namedEntries(_ node: YAMLNode, _ what: String) -> [(name: String, key: YAMLNode, value: YAMLNode)] {
        if case .scalar(let s) = node.kind, s.isNull, !s.isQuoted { return [] }
        guard case .mapping(let pairs) = node.kind else {
            error(node, "\(what) must be a mapping of names")
            return []
        }
        var out: [(String, YAMLNode, YAMLNode)] = []
        for pair in pairs {
            guard case .scalar(let k) = pair.key.kind else {
                error(pair.key, "names in \(what) must be plain scalars")
                continue
            }
            guard Self.isName(k.text) else {
                error(
                    pair.key,
                    "`\(k.text)` is not a valid name: use lowercase letters, digits and `_`, starting with a letter")
                continue
            }
            out.append((k.text, pair.key, pair.value))
        }
        return out
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("a"..."z").contains(first) || first == "_" else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    // MARK: - Scalars

    mutating func string(_ node: YAMLNode, _ what: String) -> String? {
        guard case .scalar(let s) = node.kind, !(s.isNull && !s.isQuoted) else {
            error(node, "\(what) must be a text value")
            return nil
        }
        return s.text
    }

    mutating func name(_ node: YAMLNode, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        guard Self.isName(s) else {
            error(node, "`\(s)` is not a valid name for \(what): use lowercase letters, digits and `_`")
            return nil
        }
        return s
    }

    mutating func bool(_ node: YAMLNode, _ what: String) -> Bool? {
        guard case .scalar(let s) = node.kind, !s.isQuoted, let b = s.asBool else {
            error(node, "\(what) must be `true` or `false`")
            return nil
        }
        return b
    }

    mutating func int(_ node: YAMLNode, _ what: String) -> Int64? {
        guard case .scalar(let s) = node.kind, !s.isQuoted, let v = s.asInt else {
            error(node, "\(what) must be a whole number")
            return nil
        }
        return v
    }

    mutating func number(_ node: YAMLNode, _ what: String) -> Double? {
        guard case .scalar(let s) = node.kind, !s.isQuoted, let v = s.asDouble, v.isFinite else {
            error(node, "\(what) must be a number")
            return nil
        }
        return v
    }

    mutating func expression(_ node: YAMLNode, _ what: String) -> ExprSource? {
        guard case .scalar(let s) = node.kind, !s.text.allSatisfy({ $0.isWhitespace }) else {
            error(node, "\(what) must be an expression (a text value)")
            return nil
        }
        return ExprSource(text: s.text, scalar: s, file: file, at: ref(node))
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
                    error(item, "a clause must be a clause number such as \"7.1.6\"")
                    continue
                }
                out.append(s.text)
            }
            return out
        default:
            error(node, "`clause` must be a clause number such as \"7.1.6\" or a list of them")
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

    /// `bool`, `int`, `double`, `string`, `date`, `timestamp`, or `list` with `of`.
    mutating func valueType(_ typeNode: YAMLNode, of ofNode: YAMLNode?, catalogsAllowed: Bool) -> ValueType? {
        guard let t = string(typeNode, "`type`") else { return nil }
        let scalarTypes: [String: ValueType] = [
            "bool": .bool, "int": .int, "double": .double, "string": .string, "date": .date, "timestamp": .timestamp,
        ]
        if let v = scalarTypes[t] {
            if let ofNode { error(ofNode, "`of` goes only with `type: list`") }
            return v
        }
        guard t == "list" else {
            error(
                typeNode, "unknown type `\(t)`",
                help: Suggest.help(for: t, in: Array(scalarTypes.keys) + ["list"])
                    ?? "types: bool, int, double, string, date, timestamp, list")
            return nil
        }
        guard let ofNode, let of = string(ofNode, "`of`") else {
            error(typeNode, "`type: list` needs `of`: an item type\(catalogsAllowed ? " or a catalogue name" : "")")
            return nil
        }
        if let v = scalarTypes[of] { return .list(v) }
        if catalogsAllowed, Self.isName(of) { return .catalogList(of) }
        error(ofNode, "unknown item type `\(of)`", help: Suggest.help(for: of, in: Array(scalarTypes.keys)))
        return nil
    }
}
