import CEL
import Foundation
import VerdictYAML

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
        return nil
    }
}

/// Every policy of a folder, loaded, checked and compiled: all or nothing.
public final class PolicySet: Sendable {
    /// Concrete policies (those that answer tickets), sorted by name.
    public let policies: [CompiledPolicy]
    /// The distinct `applies_to` keys (`market`, `product`), in first-declared order.
    let selectorKeys: [(path: [String], name: String)]

    init(policies: [CompiledPolicy]) {
        self.policies = policies
        var keys: [(path: [String], name: String)] = []
        for p in policies {
            for s in p.selectors where !keys.contains(where: { $0.name == s.key }) {
                keys.append((s.key.split(separator: ".").map(String.init), s.key))
            }
        }
        self.selectorKeys = keys
    }

    /// The policy with this name, if it answers tickets.
    public func policy(named name: String) -> CompiledPolicy? {
        policies.first { $0.name == name }
    }

    /// All decision names across policies, sorted.
    public var decisionNames: [String] {
        Array(Set(policies.flatMap(\.decisionNames))).sorted()
    }

    /// Loads every `*.yaml` / `*.yml` file directly in `directory`, in name order.
    public static func load(directory: String) throws(PolicyLoadError) -> PolicySet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw PolicyLoadError(
                diagnostics: [
                    PolicyDiagnostic(file: directory, line: 0, column: 0, message: "no policy folder at `\(directory)`")
                ], sources: [:])
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        var files: [(String, [UInt8])] = []
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PolicyLoadError(
                    diagnostics: [PolicyDiagnostic(file: path, line: 0, column: 0, message: "cannot read `\(path)`")],
                    sources: [:])
            }
            files.append((path, [UInt8](data)))
        }
        if files.isEmpty {
            throw PolicyLoadError(
                diagnostics: [
                    PolicyDiagnostic(
                        file: directory, line: 0, column: 0,
                        message: "no policy files (`*.yaml`) in `\(directory)`")
                ], sources: [:])
        }
        return try load(files: files)
    }

    /// Loads policies from in-memory files (path, bytes); used by `load(directory:)` and by tests.
    public static func load(files: [(path: String, bytes: [UInt8])]) throws(PolicyLoadError) -> PolicySet {
        var diagnostics: [PolicyDiagnostic] = []
        var sources: [String: [UInt8]] = [:]
        var decoded: [PolicyFile] = []
        var unreadable: [String] = []
        for (path, bytes) in files {
            sources[path] = bytes
            switch YAMLDocument.parse(bytes) {
            case .failure(let errors):
                unreadable.append(path)
                for d in errors.diagnostics {
                    diagnostics.append(
                        PolicyDiagnostic(
                            file: path, line: d.mark.line, column: d.mark.column, length: d.length ?? 1,
                            message: d.message, help: YAMLHints.help(for: d.message)))
                }
            case .success(nil):
                diagnostics.append(PolicyDiagnostic(file: path, line: 0, column: 0, message: "the policy file is empty"))
            case .success(let root?):
                var decoder = PolicyDecoder(file: path)
                if let f = decoder.policyFile(root) { decoded.append(f) } else { unreadable.append(path) }
                diagnostics += decoder.diagnostics
            }
        }
        let resolved = Resolver.resolve(decoded, unreadable: unreadable, diagnostics: &diagnostics)
        var compiled: [CompiledPolicy] = []
        var checked: [ResolvedPolicy] = []
        for policy in resolved where !policy.abstract {
            var compiler = PolicyCompiler(policy: policy)
            if let c = compiler.compile() {
                compiled.append(c)
                checked.append(policy)
            }
            diagnostics += compiler.diagnostics
        }
        // An abstract policy no concrete one extends is still checked, so its mistakes surface.
        let extended = Set(resolved.filter { !$0.abstract }.flatMap(\.chain))
        for policy in resolved where policy.abstract && !extended.contains(policy.name) {
            var compiler = PolicyCompiler(policy: policy)
            _ = compiler.compile()
            diagnostics += compiler.diagnostics
        }
        if resolved.allSatisfy(\.abstract), diagnostics.isEmpty, let first = files.first {
            diagnostics.append(
                PolicyDiagnostic(
                    file: first.path, line: 1, column: 1,
                    message: "every policy is abstract: at least one needs `applies_to` to answer tickets"))
        }
        diagnostics += overlaps(checked)
        // The same mistake in a shared base is reported once, not once per market.
        let unique = Array(Set(diagnostics)).sorted()
        guard unique.isEmpty else { throw PolicyLoadError(diagnostics: unique, sources: sources) }
        let order = compiled.indices.sorted { compiled[$0].name < compiled[$1].name }
        return PolicySet(policies: order.map { compiled[$0] })
    }

    /// Two policies must never answer the same ticket.
    private static func overlaps(_ policies: [ResolvedPolicy]) -> [PolicyDiagnostic] {
        var out: [PolicyDiagnostic] = []
        let sorted = policies.sorted { $0.name < $1.name }
        for (i, a) in sorted.enumerated() {
            for b in sorted[(i + 1)...] {
                let sa = a.appliesTo ?? []
                let sb = b.appliesTo ?? []
                let keys = Set(sa.map(\.key)).union(sb.map(\.key)).sorted()
                var example: [String] = []
                let overlap = keys.allSatisfy { key in
                    let va = sa.first { $0.key == key }.map { Set($0.values) }
                    let vb = sb.first { $0.key == key }.map { Set($0.values) }
                    switch (va, vb) {
                    case (nil, nil):
                        return true
                    case (let x?, nil), (nil, let x?):
                        if let v = x.sorted().first { example.append("\(key) `\(v)`") }
                        return true
                    case (let x?, let y?):
                        let common = x.intersection(y).sorted()
                        if let v = common.first { example.append("\(key) `\(v)`") }
                        return !common.isEmpty
                    }
                }
                if overlap, let at = b.appliesToAt ?? Optional(b.nameAt) {
                    out.append(
                        PolicyDiagnostic(
                            file: at.file, line: at.line, column: at.column, length: at.length,
                            message:
                                "policies `\(a.name)` and `\(b.name)` both apply to tickets with \(example.joined(separator: " and ")); make their `applies_to` disjoint"
                        ))
                }
            }
        }
        return out
    }
}
