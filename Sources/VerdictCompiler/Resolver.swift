import CEL
import VerdictModel

/// A policy with its `extends` chain merged: the base's declarations first,
/// each descendant overriding by name. Still as written (literals, positions).
struct ResolvedPolicy: Sendable {
    var name: String
    var file: String
    var nameAt: SourceRef
    var abstract: Bool
    /// Names from the root base down to this policy.
    var chain: [String]
    var appliesTo: [SelectorDecl]?
    var appliesToAt: SourceRef?
    var title: Label?
    var inputs: [InputDecl]
    var parameters: [ParameterDecl]
    var rules: [RuleDecl]
    var catalogs: [CatalogDecl]
}

/// Stage 4 of loading: resolves `extends` chains.
enum Resolver {
    /// Resolves every policy; reports duplicate names, unknown bases and `extends` cycles.
    /// `unreadable` names files that failed to parse or decode: a base missing
    /// for that reason is not reported again (the file's own errors are).
    static func resolve(
        _ documents: [PolicyDocument], unreadable: [String] = [], log: inout DiagnosticLog
    ) -> [ResolvedPolicy] {
        var byName: [String: PolicyDocument] = [:]
        var ordered: [PolicyDocument] = []
        for d in documents {
            if let first = byName[d.name] {
                log.error(
                    .duplicatePolicy, d.nameAt,
                    "policy `\(d.name)` is defined twice (first in \(first.path):\(first.nameAt.line))")
                continue
            }
            byName[d.name] = d
            ordered.append(d)
        }
        var out: [ResolvedPolicy] = []
        for d in ordered {
            // Walk up the chain.
            var chain: [PolicyDocument] = [d]
            var seen: Set<String> = [d.name]
            var broken = false
            while let parent = chain[chain.count - 1].extends {
                let child = chain[chain.count - 1]
                guard let p = byName[parent] else {
                    // When some file failed to load, the base may be in it: its own
                    // errors are reported, and repeating them per child is noise.
                    if let at = child.extendsAt, child.name == d.name, unreadable.isEmpty {
                        log.error(
                            .unknownBase, at, "`\(child.name)` extends unknown policy `\(parent)`",
                            help: Suggest.help(for: parent, in: byName.keys.sorted()))
                    }
                    broken = true
                    break
                }
                if seen.contains(parent) {
                    if let at = d.extendsAt {
                        let path = (chain.map(\.name) + [parent]).map { "`\($0)`" }.joined(separator: " → ")
                        log.error(.extendsCycle, at, "policies extend each other in a cycle: \(path)")
                    }
                    broken = true
                    break
                }
                seen.insert(parent)
                chain.append(p)
            }
            if broken { continue }
            out.append(merge(Array(chain.reversed()), log: &log))
        }
        return out
    }

    /// Merges a chain given root first.
    static func merge(_ chain: [PolicyDocument], log: inout DiagnosticLog) -> ResolvedPolicy {
        let leaf = chain[chain.count - 1]
        var r = ResolvedPolicy(
            name: leaf.name, file: leaf.path, nameAt: leaf.nameAt, abstract: leaf.abstract, chain: chain.map(\.name),
            appliesTo: leaf.appliesTo, appliesToAt: leaf.appliesToAt, title: leaf.title, inputs: [], parameters: [],
            rules: [], catalogs: [])
        for d in chain {
            for input in d.inputs {
                if let prior = r.inputs.first(where: { $0.name == input.name }) {
                    log.error(
                        .duplicateInput, input.at,
                        "input `\(input.name)` is already declared (at \(prior.at.file):\(prior.at.line))")
                } else {
                    r.inputs.append(input)
                }
            }
            for p in d.parameters {
                if let i = r.parameters.firstIndex(where: { $0.name == p.name }) {
                    var m = r.parameters[i]
                    m.type = p.type ?? m.type
                    m.value = p.value ?? m.value
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
            for rule in d.rules {
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
            for c in d.catalogs {
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
