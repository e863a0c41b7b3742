import CEL
import VerdictModel
import VerdictRuntime

/// What `check` warns about once the policies load: declarations nothing
/// uses, and selector values no policy answers. A declaration counts as used
/// when any policy of the set uses it (a base serves several markets).
struct PolicyWarnings {
    let set: PolicySet

    func all() -> [PolicyDiagnostic] {
        unusedInputs() + unusedParameters() + unusedRules() + unusedCatalogEntries() + uncoveredSelectors()
    }

    func warning(_ code: DiagnosticCode, _ at: SourceRef?, _ message: String, help: String? = nil) -> PolicyDiagnostic? {
        guard let at else { return nil }
        return PolicyDiagnostic(
            code, file: at.file, line: at.line, column: at.column, length: at.length, severity: .warning,
            message: message, help: help)
    }

    func informational(_ e: PolicyElement) -> Bool { set.informational.contains { $0.contains(e) } }

    /// An unused name declared anew close to an inherited one is a misspelt
    /// override: the policy meant to change the inherited value and did not.
    func misspeltOverride(_ kind: String, _ name: String, _ at: SourceRef?) -> PolicyDiagnostic? {
        guard let near = set.inherited.lazy.compactMap({ $0.near(name) }).first else { return nil }
        return warning(
            .likeInheritedName, at, "\(kind) `\(name)` is new here and nothing uses it; the inherited `\(near)` keeps its value",
            help: "did you mean to override the inherited `\(near)`?")
    }

    /// Every leaf input path of a policy, with where it is declared.
    func leaves(_ fields: [InputSnapshot]) -> [String] {
        fields.flatMap { f in f.fields.map(leaves) ?? [f.path] }
    }

    func unusedInputs() -> [PolicyDiagnostic] {
        var used = Set<String>(["id"])  // echoed in every answer
        var declared: [String: SourceRef] = [:]
        for (i, p) in set.policies.enumerated() {
            for slots in p.graph.inputs { for s in slots { used.insert(p.slotNames[s]) } }
            for sel in p.selectors { used.insert(sel.key) }
            if let d = p.dating { used.insert(d.input) }
            for path in leaves(set.snapshots[i].inputs) where declared[path] == nil {
                declared[path] = set.sourceMaps[i][.input(path)]
            }
        }
        return declared.keys.sorted().compactMap { path in
            let isUsed = used.contains { u in u == path || path.hasPrefix(u + ".") || u.hasPrefix(path + ".") }
            guard !isUsed, !informational(.input(path)) else { return nil }
            return warning(
                .unusedInput, declared[path], "no rule reads the input `\(path)`",
                help: "remove it, or mark it `informational: true` if it is declared for the record")
        }
    }

    func unusedParameters() -> [PolicyDiagnostic] {
        var used = Set<String>()
        var declared: [String: SourceRef] = [:]
        for (i, p) in set.policies.enumerated() {
            for slots in p.graph.parameters { for s in slots { used.insert(String(p.slotNames[s].dropFirst("params.".count))) } }
            for param in set.snapshots[i].parameters where declared[param.name] == nil {
                declared[param.name] = set.sourceMaps[i][.parameterOrigin(param.name)] ?? set.sourceMaps[i][.parameter(param.name)]
            }
        }
        return declared.keys.sorted().compactMap { name in
            guard !used.contains(name), !informational(.parameter(name)) else { return nil }
            if let d = misspeltOverride("parameter", name, declared[name]) { return d }
            return warning(
                .unusedParameter, declared[name], "no rule reads the parameter `\(name)`",
                help: "remove it, or mark it `informational: true` if it records a value of the guideline")
        }
    }

    func unusedRules() -> [PolicyDiagnostic] {
        var used = Set<String>()
        var declared: [String: SourceRef] = [:]
        for (i, p) in set.policies.enumerated() {
            for d in p.decisions {
                used.insert(p.rules[d].name)
                for r in p.graph.ruleClosure(of: d) { used.insert(p.rules[r].name) }
            }
            for r in p.rules where declared[r.name] == nil { declared[r.name] = set.sourceMaps[i][.rule(r.name)] }
        }
        return declared.keys.sorted().compactMap { name in
            guard !used.contains(name) else { return nil }
            if let d = misspeltOverride("rule", name, declared[name]) { return d }
            return warning(
                .unusedRule, declared[name], "no decision needs the rule `\(name)`",
                help: "make it a decision (`decision: true`), use it in one, or remove it")
        }
    }

    func unusedCatalogEntries() -> [PolicyDiagnostic] {
        var used = Set<String>()
        var declared: [String: SourceRef] = [:]
        for i in set.policies.indices {
            let s = set.snapshots[i]
            for rule in s.rules {
                guard case .catalogList(let c) = rule.type else { continue }
                if case .items(let items) = rule.body { for item in items { used.insert("\(c).\(item.id)") } }
            }
            for param in s.parameters {
                guard case .catalogList(let c) = param.type, case .list(let ids) = param.value else { continue }
                for case .string(let id) in ids { used.insert("\(c).\(id)") }
            }
            for c in s.catalogs {
                for e in c.entries where declared["\(c.name).\(e.id)"] == nil {
                    declared["\(c.name).\(e.id)"] = set.sourceMaps[i][.catalogEntry(catalog: c.name, id: e.id)]
                }
            }
        }
        return declared.keys.sorted().compactMap { key in
            guard !used.contains(key) else { return nil }
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, !informational(.catalogEntry(catalog: parts[0], id: parts[1])) else { return nil }
            return warning(
                .unusedCatalogEntry, declared[key], "no rule lists the entry `\(parts[1])` of catalogue `\(parts[0])`",
                help: "remove it, or mark it `informational: true` if it is listed for the record")
        }
    }

    /// Every combination of the selector inputs' declared values must have a policy.
    func uncoveredSelectors() -> [PolicyDiagnostic] {
        let router = set.compiled.router
        guard !router.keys.isEmpty else { return [] }
        var domains: [[String]] = []
        var at: SourceRef?
        for key in router.keys {
            var values: [String]?
            for (i, s) in set.snapshots.enumerated() {
                if case .enumeration(let v)? = s.inputs.input(at: key.name)?.type {
                    values = v
                    at = at ?? set.sourceMaps[i][.input(key.name)]
                    break
                }
            }
            guard let values else { return [] }  // a text selector has no list of values to cover
            domains.append(values)
        }
        var missing: [String] = []
        forEachCombination(domains.map(\.count)) { combination in
            let values = combination.enumerated().map { domains[$0.offset][$0.element] }
            if !router.selects(values) {
                missing.append(zip(router.keys, values).map { "\($0.name) `\($1)`" }.joined(separator: " and "))
            }
            return true
        }
        guard !missing.isEmpty else { return [] }
        let shown = missing.prefix(8).joined(separator: "; ") + (missing.count > 8 ? "; and \(missing.count - 8) more" : "")
        return [
            warning(
                .uncoveredSelectors, at, "no policy answers tickets with \(shown)",
                help: "add a policy for them, widen an `applies_to`, or remove the values from the input")
        ].compactMap { $0 }
    }
}

/// Calls `body` with every combination of indices below `sizes` (the last
/// index moving fastest), until it returns false. No call when a size is 0.
func forEachCombination(_ sizes: [Int], _ body: ([Int]) -> Bool) {
    guard sizes.allSatisfy({ $0 > 0 }) else { return }
    var combination = [Int](repeating: 0, count: sizes.count)
    while body(combination) {
        var k = sizes.count - 1
        while k >= 0 {
            combination[k] += 1
            if combination[k] < sizes[k] { break }
            combination[k] = 0
            k -= 1
        }
        if k < 0 { return }
    }
}
