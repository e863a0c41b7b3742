/// A policy with its `extends` chain merged: the base's declarations first,
/// each descendant overriding by name.
struct ResolvedPolicy: Sendable {
    var name: String
    var file: String
    var nameAt: SourceRef
    var abstract: Bool
    /// Names from the root base down to this policy.
    var chain: [String]
    var appliesTo: [Selector]?
    var appliesToAt: SourceRef?
    var title: Label?
    var inputs: [InputField]
    var parameters: [ParameterDecl]
    var rules: [RuleDecl]
    var catalogs: [CatalogDecl]
}

enum Resolver {
    /// Resolves every policy; reports duplicate names, unknown bases and `extends` cycles.
    /// `unreadable` names files that failed to parse or decode: a base missing
    /// for that reason is not reported again (the file's own errors are).
    static func resolve(
        _ files: [PolicyFile], unreadable: [String] = [], diagnostics: inout [PolicyDiagnostic]
    ) -> [ResolvedPolicy] {
        var byName: [String: PolicyFile] = [:]
        var ordered: [PolicyFile] = []
        for f in files {
            if let first = byName[f.name] {
                diagnostics.append(
                    PolicyDiagnostic(
                        file: f.nameAt.file, line: f.nameAt.line, column: f.nameAt.column, length: f.nameAt.length,
                        message: "policy `\(f.name)` is defined twice (first in \(first.path):\(first.nameAt.line))"))
                continue
            }
            byName[f.name] = f
            ordered.append(f)
        }
        var out: [ResolvedPolicy] = []
        for f in ordered {
            // Walk up the chain.
            var chain: [PolicyFile] = [f]
            var seen: Set<String> = [f.name]
            var broken = false
            while let parent = chain[chain.count - 1].extends {
                let child = chain[chain.count - 1]
                guard let p = byName[parent] else {
                    // When some file failed to load, the base may be in it: its own
                    // errors are reported, and repeating them per child is noise.
                    if let at = child.extendsAt, child.name == f.name, unreadable.isEmpty {
                        diagnostics.append(
                            PolicyDiagnostic(
                                file: at.file, line: at.line, column: at.column, length: at.length,
                                message: "`\(child.name)` extends unknown policy `\(parent)`",
                                help: Suggest.help(for: parent, in: byName.keys.sorted())))
                    }
                    broken = true
                    break
                }
                if seen.contains(parent) {
                    if let at = f.extendsAt {
                        let path = (chain.map(\.name) + [parent]).map { "`\($0)`" }.joined(separator: " → ")
                        diagnostics.append(
                            PolicyDiagnostic(
                                file: at.file, line: at.line, column: at.column, length: at.length,
                                message: "policies extend each other in a cycle: \(path)"))
                    }
                    broken = true
                    break
                }
                seen.insert(parent)
                chain.append(p)
            }
            if broken { continue }
            out.append(merge(Array(chain.reversed()), diagnostics: &diagnostics))
        }
        return out
    }

    /// Merges a chain given root first.
    static func merge(_ chain: [PolicyFile], diagnostics: inout [PolicyDiagnostic]) -> ResolvedPolicy {
        let leaf = chain[chain.count - 1]
        var r = ResolvedPolicy(
            name: leaf.name, file: leaf.path, nameAt: leaf.nameAt, abstract: leaf.abstract, chain: chain.map(\.name),
            appliesTo: leaf.appliesTo, appliesToAt: leaf.appliesToAt, title: leaf.title, inputs: [], parameters: [],
            rules: [], catalogs: [])
        for f in chain {
            for input in f.inputs {
                if let prior = r.inputs.first(where: { $0.name == input.name }) {
                    diagnostics.append(
                        PolicyDiagnostic(
                            file: input.at.file, line: input.at.line, column: input.at.column, length: input.at.length,
                            message: "input `\(input.name)` is already declared (at \(prior.at.file):\(prior.at.line))"))
                } else {
                    r.inputs.append(input)
                }
            }
            for p in f.parameters {
                if let i = r.parameters.firstIndex(where: { $0.name == p.name }) {
                    var m = r.parameters[i]
                    m.type = p.type ?? m.type
                    if p.value != nil {
                        m.value = p.value
                        m.valueFile = p.valueFile
                    }
                    m.min = p.min ?? m.min
                    m.max = p.max ?? m.max
                    m.clause = p.clause ?? m.clause
                    m.label = p.label ?? m.label
                    m.at = p.at
                    r.parameters[i] = m
                } else {
                    r.parameters.append(p)
                }
            }
            for rule in f.rules {
                if let i = r.rules.firstIndex(where: { $0.name == rule.name }) {
                    var m = r.rules[i]
                    m.type = rule.type ?? m.type
                    m.decision = rule.decision ?? m.decision
                    m.clause = rule.clause ?? m.clause
                    m.label = rule.label ?? m.label
                    m.body = rule.body ?? m.body
                    m.at = rule.at
                    r.rules[i] = m
                } else {
                    r.rules.append(rule)
                }
            }
            for c in f.catalogs {
                if let i = r.catalogs.firstIndex(where: { $0.name == c.name }) {
                    for e in c.entries {
                        if let j = r.catalogs[i].entries.firstIndex(where: { $0.id == e.id }) {
                            r.catalogs[i].entries[j] = e
                        } else {
                            r.catalogs[i].entries.append(e)
                        }
                    }
                } else {
                    r.catalogs.append(c)
                }
            }
        }
        return r
    }
}
