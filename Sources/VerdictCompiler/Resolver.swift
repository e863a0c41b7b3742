import CEL
import VerdictModel

/// A policy with its `extends` chain merged: the base's declarations first,
/// each descendant overriding by name. Still as written (literals, positions).
struct ResolvedPolicy: Sendable {
    var name: String
    var file: String
    var nameAt: SourceRef
    var version: String?
    var versionAt: SourceRef?
    var effectiveFrom: CELDate?
    var effectiveFromAt: SourceRef?
    /// Inherited: the last declaration down the chain.
    var datedBy: String?
    var datedByAt: SourceRef?
    var abstract: Bool
    /// Names from the root base down to this policy.
    var chain: [String]
    var appliesTo: [SelectorDecl]?
    var appliesToAt: SourceRef?
    var title: Label?
    var titleAt: SourceRef?
    /// Inherited: the last declaration down the chain.
    var sections: [String]?
    var inputs: [InputDecl]
    var parameters: [ParameterDecl]
    /// Where each parameter is first declared, by name.
    var parameterOrigins: [String: SourceRef] = [:]
    /// Parameters and rules declared anew below the root, and what they could
    /// have meant to override (computed only when a message needs it).
    var inherited = InheritedNames()
    var rules: [RuleDecl]
    var catalogs: [CatalogDecl]
}

/// Stage 4 of loading: resolves `extends` chains.
enum Resolver {
    /// The most policies one `extends` chain may hold, the policy itself
    /// included: resolving and merging a chain costs its length, for every
    /// policy in it.
    static let maxExtendsDepth = 32

    /// Resolves every policy; reports duplicate names, unknown bases and `extends` cycles.
    /// `unreadable` names files that failed to parse or decode: a base missing
    /// for that reason is not reported again (the file's own errors are).
    static func resolve(
        _ documents: [PolicyDocument], unreadable: [String] = [], log: inout DiagnosticLog
    ) -> [ResolvedPolicy] {
        // Several documents may name one policy: its versions, each with its own `effective_from`.
        var byName: [String: [PolicyDocument]] = [:]
        var names: [String] = []
        for d in documents {
            if byName[d.name] == nil { names.append(d.name) }
            byName[d.name, default: []].append(d)
        }
        var ordered: [PolicyDocument] = []
        for name in names {
            ordered += versions(of: name, byName[name] ?? [], log: &log)
        }
        let depths = chainLengths(byName)
        var out: [ResolvedPolicy] = []
        for d in ordered {
            if let n = depths[d.name], n > maxExtendsDepth {
                // Reported once, where the chain first grows too long; the
                // policies below that one cannot load either.
                if n == maxExtendsDepth + 1, let at = d.extendsAt {
                    log.error(
                        .extendsTooDeep, at,
                        "`\(d.name)` extends a chain of \(maxExtendsDepth) policies; at most \(maxExtendsDepth) may be chained by `extends` (docs/limits.md)",
                        help: "extend a base nearer the root, or merge intermediate policies")
                }
                continue
            }
            // Walk up the chain.
            var chain: [PolicyDocument] = [d]
            var seen: Set<String> = [d.name]
            var broken = false
            while let parent = chain[chain.count - 1].extends {
                let child = chain[chain.count - 1]
                guard let candidates = byName[parent], let p = candidates.first else {
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
                if candidates.count > 1 {
                    if let at = child.extendsAt, child.name == d.name {
                        log.error(
                            .versionedBase, at,
                            "`\(child.name)` extends `\(parent)`, which has \(candidates.count) versions; a base must have one",
                            help: "extend a base they share, or merge the versions into one file")
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
                // Only a chain that meets a cycle or an unknown base far up
                // gets here this long: say so rather than walk it.
                if chain.count > maxExtendsDepth {
                    if let at = d.extendsAt {
                        log.error(
                            .extendsTooDeep, at,
                            "`\(d.name)` extends a chain of more than \(maxExtendsDepth) policies; at most \(maxExtendsDepth) may be chained by `extends` (docs/limits.md)",
                            help: "extend a base nearer the root, or merge intermediate policies")
                    }
                    broken = true
                    break
                }
            }
            if broken { continue }
            out.append(merge(Array(chain.reversed()), log: &log))
        }
        return out
    }

    /// Each policy's chain length (1 for a policy that extends none), when
    /// its chain reaches a root; none for one that meets a cycle or an
    /// unknown base (reported when its chain is walked). Each name is walked
    /// once: linear in the number of policies, however long the chains.
    static func chainLengths(_ byName: [String: [PolicyDocument]]) -> [String: Int] {
        var length: [String: Int] = [:]
        var broken: Set<String> = []
        for start in byName.keys.sorted() where length[start] == nil && !broken.contains(start) {
            var path: [String] = []
            var onPath: Set<String> = []
            var cur = start
            var base: Int?  // the length of the chain above `path`, or nil when broken
            while true {
                if let n = length[cur] {
                    base = n
                    break
                }
                if broken.contains(cur) || onPath.contains(cur) { break }
                guard let doc = byName[cur]?.first else { break }
                path.append(cur)
                onPath.insert(cur)
                guard let parent = doc.extends else {
                    base = 0
                    break
                }
                cur = parent
            }
            for (i, name) in path.reversed().enumerated() {
                if let base { length[name] = base + i + 1 } else { broken.insert(name) }
            }
        }
        return length
    }

    /// The documents of one policy name that can stand side by side: one, or
    /// versions that each name themselves and take effect on different days
    /// (at most one from the beginning of time). Reports the rest.
    static func versions(of name: String, _ docs: [PolicyDocument], log: inout DiagnosticLog) -> [PolicyDocument] {
        guard docs.count > 1 else { return docs }
        var kept: [PolicyDocument] = []
        var undated: PolicyDocument?
        var byDate: [CELDate: PolicyDocument] = [:]
        var byVersion: [String: PolicyDocument] = [:]
        for d in docs {
            guard let from = d.effectiveFrom else {
                if let first = undated {
                    log.error(
                        .duplicatePolicy, d.nameAt,
                        "policy `\(d.name)` is defined twice (first in \(first.path):\(first.nameAt.line))",
                        help: "versions of one policy each need `effective_from` (and `version`)")
                    continue
                }
                undated = d
                kept.append(d)
                continue
            }
            if let first = byDate[from] {
                log.error(
                    .ambiguousVersions, d.effectiveFromAt ?? d.nameAt,
                    "two versions of policy `\(d.name)` take effect on \(from) (the other in \(first.path):\(first.nameAt.line))")
                continue
            }
            byDate[from] = d
            kept.append(d)
        }
        for d in kept {
            guard let v = d.version else {
                log.error(
                    .ambiguousVersions, d.nameAt,
                    "policy `\(d.name)` has \(kept.count) versions: each needs `version` to name it in answers")
                continue
            }
            if let first = byVersion[v] {
                log.error(
                    .ambiguousVersions, d.versionAt ?? d.nameAt,
                    "two versions of policy `\(d.name)` are named `\(v)` (the other in \(first.path):\(first.nameAt.line))")
            }
            byVersion[v] = d
        }
        return kept
    }

    /// Merges a chain given root first.
    static func merge(_ chain: [PolicyDocument], log: inout DiagnosticLog) -> ResolvedPolicy {
        let leaf = chain[chain.count - 1]
        var r = ResolvedPolicy(
            name: leaf.name, file: leaf.path, nameAt: leaf.nameAt, version: leaf.version, versionAt: leaf.versionAt,
            effectiveFrom: leaf.effectiveFrom, effectiveFromAt: leaf.effectiveFromAt, datedBy: nil, datedByAt: nil,
            abstract: leaf.abstract, chain: chain.map(\.name), appliesTo: leaf.appliesTo, appliesToAt: leaf.appliesToAt,
            title: leaf.title, titleAt: leaf.titleAt, sections: nil, inputs: [], parameters: [], rules: [],
            catalogs: [])
        // Positions by name, so that merging stays linear in the number of declarations.
        var inputAt: [String: Int] = [:]
        var parameterAt: [String: Int] = [:]
        var ruleAt: [String: Int] = [:]
        for d in chain {
            if let s = d.sections { r.sections = s }
            if let by = d.datedBy {
                r.datedBy = by
                r.datedByAt = d.datedByAt
            }
            for input in d.inputs {
                if let k = inputAt[input.name] {
                    let prior = r.inputs[k]
                    log.error(
                        .duplicateInput, input.at,
                        "input `\(input.name)` is already declared (at \(prior.at.file):\(prior.at.line))")
                } else {
                    inputAt[input.name] = r.inputs.count
                    r.inputs.append(input)
                }
            }
            for p in d.parameters {
                if let i = parameterAt[p.name] {
                    var m = r.parameters[i]
                    m.type = p.type ?? m.type
                    m.typeInvalid = p.typeInvalid || (p.type == nil && m.typeInvalid)
                    m.value = p.value ?? m.value
                    m.min = p.min ?? m.min
                    m.max = p.max ?? m.max
                    m.clause = p.clause ?? m.clause
                    m.label = p.label ?? m.label
                    m.informational = p.informational ?? m.informational
                    m.at = p.at
                    r.parameters[i] = m
                } else {
                    if d.name != chain[0].name { r.inherited.newParameters[p.name] = r.parameters.count }
                    parameterAt[p.name] = r.parameters.count
                    r.parameters.append(p)
                    r.parameterOrigins[p.name] = p.at
                }
            }
            for rule in d.rules {
                if let i = ruleAt[rule.name] {
                    var m = r.rules[i]
                    m.type = rule.type ?? m.type
                    m.typeInvalid = rule.typeInvalid || (rule.type == nil && m.typeInvalid)
                    m.decision = rule.decision ?? m.decision
                    m.clause = rule.clause ?? m.clause
                    m.label = rule.label ?? m.label
                    m.body = rule.body ?? m.body
                    m.at = rule.at
                    r.rules[i] = m
                } else {
                    if d.name != chain[0].name { r.inherited.newRules[rule.name] = r.rules.count }
                    ruleAt[rule.name] = r.rules.count
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
        r.inherited.parameterNames = r.parameters.map(\.name)
        r.inherited.ruleNames = r.rules.map(\.name)
        return r
    }
}

/// The names a policy inherits, and those it declares anew below the root:
/// a new name one slip from an inherited one is probably a misspelt
/// override. Edit distances are computed only when a message asks.
public struct InheritedNames: Sendable {
    /// New name → how many parameters (rules) came before it: the ones it could have meant.
    var newParameters: [String: Int] = [:]
    var newRules: [String: Int] = [:]
    var parameterNames: [String] = []
    var ruleNames: [String] = []

    /// The inherited parameter a new one was probably meant to override.
    func parameter(near name: String) -> String? {
        guard let before = newParameters[name] else { return nil }
        return Suggest.closest(to: name, in: parameterNames.prefix(before))
    }

    func rule(near name: String) -> String? {
        guard let before = newRules[name] else { return nil }
        return Suggest.closest(to: name, in: ruleNames.prefix(before))
    }

    /// Either.
    func near(_ name: String) -> String? { parameter(near: name) ?? rule(near: name) }
}
