import CEL
import VerdictModel
import VerdictYAML

/// Reads one policy file's bytes into a `PolicyDocument`: YAML first, then
/// the policy format. Every problem is reported with its position.
public enum PolicyFileReader {
    public enum Outcome: Sendable {
        /// Decoded; `diagnostics` may still hold problems in parts of it.
        case document(PolicyDocument)
        /// Not YAML, empty, or too broken to name a policy.
        case unreadable
    }

    public static func read(path: String, bytes: [UInt8]) -> (Outcome, [PolicyDiagnostic]) {
        var tree: YAMLNode?
        switch YAMLDocument.parse(bytes) {
        case .failure(let errors):
            let layout = YAMLLayout(bytes)
            let diagnostics = errors.diagnostics.map { d in
                if d.kind == .encoding {
                    return d.mark.line == 0
                        ? PolicyDiagnostic(.notUTF8, file: path, message: d.message, help: encodingHelp)
                        : PolicyDiagnostic(
                            .notUTF8, file: path, line: d.mark.line, column: d.mark.column, message: d.message,
                            help: encodingHelp)
                }
                if let x = layout.explain(d) {
                    return PolicyDiagnostic(
                        code(d.kind), file: path, line: x.line, column: x.column, length: x.length, message: x.message,
                        help: x.help)
                }
                return PolicyDiagnostic(
                    code(d.kind), file: path, line: d.mark.line, column: d.mark.column, length: d.length ?? 1,
                    message: d.message, help: YAMLHints.help(for: d.message))
            }
            return (.unreadable, diagnostics)
        case .success(let root):
            // The result is let go of here, so that `tree` holds the only reference.
            tree = root
        }
        guard let root = tree.take() else {
            return (.unreadable, [PolicyDiagnostic(.emptyFile, file: path, message: "the policy file is empty")])
        }
        var decoder = PolicyDecoder(file: path, keepsOrigins: bytes.count < DocumentCoding.maxFileBytes)
        let document = decoder.policyFile(root)
        // A large file's tree is freed beside the stages that follow (compiling
        // expressions waits for it, to reuse its memory).
        if bytes.count >= 1 << 20 { Threads.release(consume root) }
        return (document.map(Outcome.document) ?? .unreadable, decoder.log.diagnostics)
    }

    static let encodingHelp = "save the file as UTF-8 (in most editors: \"Save with encoding\" or \"Reopen with encoding\")"

    static func code(_ kind: YAMLDiagnostic.Kind) -> DiagnosticCode {
        switch kind {
        case .syntax: .yamlSyntax
        case .duplicateKey: .duplicateKey
        case .unsupported: .unsupportedYAML
        case .limit: .yamlLimit
        case .invalid: .invalidYAMLValue
        case .encoding: .notUTF8
        }
    }
}

/// Hints for the YAML mistakes policy owners make most, keyed by libyaml's message.
enum YAMLHints {
    static func help(for message: String) -> String? {
        if message.contains("while scanning an anchor") || message.contains("while scanning an alias")
            || message.contains("while scanning a tag") || message.hasPrefix("custom tag `!")
        {
            return
                "a value that starts with `!`, `&` or `*` means something else to YAML: quote it, e.g. `expr: \"!in_warranty\"`"
        }
        if message.contains("mapping values are not allowed") {
            return "a `: ` inside a plain value starts a new mapping: quote the value, e.g. `en: \"Fees: parts\"`"
        }
        if message.contains("did not find expected ',' or '}'") || message.contains("did not find expected ',' or ']'") {
            return "inside `{…}` or `[…]`, quote a value that contains `:`, `,`, `{` or `[`"
        }
        if message.contains("found character that cannot start any token"), message.contains("tab") {
            return "indent with spaces, not tabs"
        }
        if message.hasPrefix("nesting deeper than") {
            return "flatten the structure: a policy needs a handful of levels"
        }
        if message.contains("expands beyond the limit") {
            return "write the repeated part once, as a parameter or in a base policy"
        }
        if message.hasPrefix("the file is larger than") {
            return "split the policy into a base and policies that `extends` it"
        }
        return nil
    }
}

extension SourceRef {
    /// Where a YAML node stands; a one-line node is underlined whole.
    init(_ node: YAMLNode, file: String) {
        let s = node.span.start
        let e = node.span.end
        let length = e.line == s.line ? max(1, e.column - s.column) : 1
        self.init(file: file, line: s.line, column: s.column, length: length)
    }
}

extension Literal {
    /// A YAML node as a format-neutral literal, with the readings YAML 1.2's
    /// core schema allows for where it stands.
    init(_ node: YAMLNode, file: String) {
        let at = SourceRef(node, file: file)
        switch node.kind {
        case .scalar(let s):
            self.init(
                kind: .scalar(
                    Scalar(
                        text: s.text, isQuoted: s.isQuoted, isNull: s.isNull, bool: s.asBool, int: s.asInt,
                        double: s.asDouble)), at: at)
        case .sequence(let items):
            self.init(kind: .list(items.map { Literal($0, file: file) }), at: at)
        case .mapping(let pairs):
            self.init(
                kind: .mapping(
                    pairs.map { pair in
                        (pair.key.scalar?.text ?? "", SourceRef(pair.key, file: file), Literal(pair.value, file: file))
                    }), at: at)
        }
    }
}
