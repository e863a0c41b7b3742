import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictRuntime

/// How `verdict diff` prints its findings.
public enum DiffFormat: String, Sendable, CaseIterable {
    case text, json, markdown
}

/// Everything one `verdict diff` run found, rendered in one of three formats.
public struct DiffReport: Sendable {
    public var diff: SetDiff
    public var oldLabel: String
    public var newLabel: String
    public var replay: ReplayReport?
    /// Where the replayed tickets came from.
    public var ticketsLabel: String?
    public var witnesses: [WitnessSection]

    public init(
        diff: SetDiff, oldLabel: String, newLabel: String, replay: ReplayReport? = nil, ticketsLabel: String? = nil,
        witnesses: [WitnessSection] = []
    ) {
        self.diff = diff
        self.oldLabel = oldLabel
        self.newLabel = newLabel
        self.replay = replay
        self.ticketsLabel = ticketsLabel
        self.witnesses = witnesses
    }

    /// How many old → new value pairs the text and Markdown list per decision (JSON lists all kept).
    static let pairsShown = 5

    /// Every change, numbered as the replay attributes them.
    var numbered: [(policy: PolicyDiff, change: Change)] {
        diff.policies.flatMap { p in p.changes.map { (p, $0) } }
    }

    public func render(_ format: DiffFormat) -> String {
        switch format {
        case .text: text()
        case .json: json()
        case .markdown: markdown()
        }
    }

    // MARK: - Text

    func header(_ p: PolicyDiff) -> String {
        switch (p.old, p.new) {
        case (let o?, let n?):
            let from = n.snapshot.effectiveFrom.map { " (in force from \($0))" } ?? ""
            if o.identity.name != n.identity.name || o.identity.version != n.identity.version {
                return "\(o.identity.description) → \(n.identity.description)\(from)"
            }
            return n.identity.description + from
        case (let o?, nil): return o.identity.description
        case (nil, let n?): return n.identity.description
        case (nil, nil): return p.name
        }
    }

    func digests(_ p: PolicyDiff) -> String {
        switch (p.old, p.new) {
        case (let o?, let n?) where o.identity.digest != n.identity.digest:
            return "\(short(o.identity.digest)) → \(short(n.identity.digest))"
        case (_, let n?): return short(n.identity.digest)
        case (let o?, nil): return short(o.identity.digest)
        default: return ""
        }
    }

    func short(_ digest: String) -> String { String(digest.prefix(7 + 12)) + "…" }

    func describe(_ c: Change) -> String {
        var s = c.subject
        if let aspect = c.aspect { s += " " + aspect }
        switch c.kind {
        case .changed: s += ": " + (c.old ?? "none") + " → " + (c.new ?? "none")
        case .added: if let n = c.new { s += ": " + n }
        case .removed: if let o = c.old { s += ": " + o }
        }
        return s
    }

    func reach(_ c: Change) -> String {
        if let note = c.note { return note }
        if c.explanationOnly {
            return c.affects.isEmpty ? "explanations only" : "explanations of: " + c.affects.joined(separator: ", ")
        }
        return c.affects.isEmpty ? "no decision" : "can change: " + c.affects.joined(separator: ", ")
    }

    func text() -> String {
        var out = "verdict diff \(oldLabel) \(newLabel)\n\n"
        var changed = 0
        var count = 0
        for p in diff.policies {
            if p.isUnchanged {
                out += "\(header(p)): no semantic change\n"
                continue
            }
            changed += 1
            count += p.changes.count
            let status = p.old == nil ? "  (added)" : (p.new == nil ? "  (removed)" : "")
            out += "\(header(p))\(status)   \(digests(p))\n"
            for c in p.changes {
                let kind = c.kind.rawValue.padded(to: 8)
                out += "  \(kind) \(describe(c))"
                if !c.clause.isEmpty { out += "   (clause \(c.clause.joined(separator: ", ")))" }
                out += "\n"
                var at: [String] = []
                if let o = c.oldAt { at.append("old \(o.file):\(o.line):\(o.column)") }
                if let n = c.newAt { at.append("new \(n.file):\(n.line):\(n.column)") }
                if !at.isEmpty { out += "           " + at.joined(separator: "   ") + "\n" }
                out += "           " + reach(c) + "\n"
            }
        }
        out += "\n"
        let total = diff.policies.count
        out += changed == 0
            ? "no semantic change in \(total) polic\(total == 1 ? "y" : "ies")\n"
            : "\(changed) of \(total) polic\(total == 1 ? "y" : "ies") changed: \(count) change\(count == 1 ? "" : "s")\n"
        if let replay { out += "\n" + replayText(replay) }
        for w in witnesses { out += "\n" + w.text() }
        return out
    }

    func replayText(_ r: ReplayReport) -> String {
        var out = "replay of \(r.tickets) ticket\(r.tickets == 1 ? "" : "s")\(ticketsLabel.map { " (\($0))" } ?? ""):\n"
        out += "  \(r.changedTickets) answered differently"
        out += "; \(r.rerouted.values.reduce(0, +)) answered by another policy or version"
        out += "; \(r.newErrors) new error line\(r.newErrors == 1 ? "" : "s"), \(r.fixedErrors) fixed\n"
        if !r.inputOK { out += "  (reading the tickets failed part way: the figures cover what was read)\n" }
        for (k, v) in r.rerouted.sorted(by: { $0.key < $1.key }) { out += "  rerouted: \(k): \(v)\n" }
        let changes = numbered
        for name in r.decisionOrder {
            guard let s = r.decisions[name] else { continue }
            out += "  \(name): \(s.changed) changed\n"
            let pairs = s.pairs.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) })
            for (pair, n) in pairs.prefix(Self.pairsShown) { out += "      \(pair)   \(n)\n" }
            let others = s.otherPairs + pairs.dropFirst(Self.pairsShown).reduce(0) { $0 + $1.value }
            if others > 0 { out += "      other value pairs   \(others)\n" }
            out += "      e.g. \(s.examples.joined(separator: ", "))\n"
            for (index, n) in s.explainedBy.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) where index < changes.count {
                let c = changes[index].change
                out += "      explained by: \(c.subject)\(c.aspect.map { " " + $0 } ?? "") (\(n))\n"
            }
            if s.unexplained > 0 { out += "      explained by no single change: \(s.unexplained)\n" }
        }
        return out
    }

    // MARK: - Markdown

    func markdown() -> String {
        var out = "# Policy changes: `\(oldLabel)` → `\(newLabel)`\n\n"
        out += "| policy | old | new | changes |\n|---|---|---|---|\n"
        for p in diff.policies {
            let o = p.old.map { "\($0.identity.version ?? "—") `\(short($0.identity.digest))`" } ?? "—"
            let n = p.new.map { side in
                "\(side.identity.version ?? "—") `\(short(side.identity.digest))`"
                    + (side.snapshot.effectiveFrom.map { " from \($0)" } ?? "")
            } ?? "—"
            let status = p.isUnchanged ? "no semantic change" : "\(p.changes.count)"
            out += "| \(p.name) | \(o) | \(n) | \(status) |\n"
        }
        for p in diff.policies where !p.isUnchanged {
            out += "\n## \(header(p))\n\n"
            out += "| | change | old | new | clause | effect | where |\n|---|---|---|---|---|---|---|\n"
            for c in p.changes {
                let what = c.subject + (c.aspect.map { " (\($0))" } ?? "")
                var at: [String] = []
                if let o = c.oldAt { at.append("old `\(o.file):\(o.line)`") }
                if let n = c.newAt { at.append("new `\(n.file):\(n.line)`") }
                out += "| \(c.kind.rawValue) | \(cell(what)) | \(cell(c.old ?? "")) | \(cell(c.new ?? "")) | "
                out += "\(c.clause.joined(separator: ", ")) | \(cell(reach(c))) | \(at.joined(separator: ", ")) |\n"
            }
        }
        if let r = replay {
            out += "\n## Effect on \(r.tickets) ticket\(r.tickets == 1 ? "" : "s")\(ticketsLabel.map { " (`\($0)`)" } ?? "")\n\n"
            out += "\(r.changedTickets) answered differently, \(r.rerouted.values.reduce(0, +)) by another policy or version, "
            out += "\(r.newErrors) new error lines, \(r.fixedErrors) fixed.\n\n"
            if !r.decisions.isEmpty {
                out += "| decision | changed | old → new | examples | explained by |\n|---|---|---|---|---|\n"
                let changes = numbered
                for name in r.decisionOrder {
                    guard let s = r.decisions[name] else { continue }
                    let sorted = s.pairs.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) })
                    let others = s.otherPairs + sorted.dropFirst(Self.pairsShown).reduce(0) { $0 + $1.value }
                    let pairs = sorted.prefix(Self.pairsShown).map { "\($0.key): \($0.value)" }
                        + (others > 0 ? ["others: \(others)"] : [])
                    let explained = s.explainedBy.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) })
                        .compactMap { (i, n) in i < changes.count ? "\(changes[i].change.subject) (\(n))" : nil }
                    out += "| \(name) | \(s.changed) | \(cell(pairs.joined(separator: "; "))) | "
                    out += "\(cell(s.examples.joined(separator: ", "))) | \(cell(explained.joined(separator: "; "))) |\n"
                }
            }
        }
        for w in witnesses { out += "\n" + w.markdown() }
        return out
    }

    func cell(_ s: String) -> String {
        s.replacing("|", with: "\\|").replacing("\n", with: " ")
    }

    // MARK: - JSON

    func json() -> String {
        var w = JSONWriter(capacity: 8192)
        w.raw("{\"old\":")
        w.string(oldLabel)
        w.raw(",\"new\":")
        w.string(newLabel)
        w.raw(",\"changed\":")
        w.bool(diff.hasSemanticChanges)
        w.raw(",\"policies\":[")
        for (i, p) in diff.policies.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":")
            w.string(p.name)
            w.raw(",\"old\":")
            identity(p.old, &w)
            w.raw(",\"new\":")
            identity(p.new, &w)
            w.raw(",\"changes\":[")
            for (j, c) in p.changes.enumerated() {
                if j > 0 { w.raw(",") }
                change(c, &w)
            }
            w.raw("]}")
        }
        w.raw("]")
        if let r = replay {
            w.raw(",\"replay\":")
            replayJSON(r, &w)
        }
        if !witnesses.isEmpty {
            w.raw(",\"witnesses\":[")
            for (i, s) in witnesses.enumerated() {
                if i > 0 { w.raw(",") }
                s.json(&w)
            }
            w.raw("]")
        }
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func identity(_ side: PolicySide?, _ w: inout JSONWriter) {
        guard let side else {
            w.null()
            return
        }
        w.raw("{\"name\":")
        w.string(side.identity.name)
        if let v = side.identity.version {
            w.raw(",\"version\":")
            w.string(v)
        }
        if let f = side.snapshot.effectiveFrom {
            w.raw(",\"effective_from\":")
            w.string(f.description)
        }
        w.raw(",\"digest\":")
        w.string(side.identity.digest)
        w.raw("}")
    }

    func change(_ c: Change, _ w: inout JSONWriter) {
        w.raw("{\"kind\":")
        w.string(c.kind.rawValue)
        w.raw(",\"subject\":")
        w.string(c.subject)
        if let a = c.aspect {
            w.raw(",\"aspect\":")
            w.string(a)
        }
        if let o = c.old {
            w.raw(",\"old\":")
            w.string(o)
        }
        if let n = c.new {
            w.raw(",\"new\":")
            w.string(n)
        }
        w.raw(",\"clause\":[")
        for (i, s) in c.clause.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(s)
        }
        w.raw("]")
        for (key, at) in [("old_at", c.oldAt), ("new_at", c.newAt)] {
            guard let at else { continue }
            w.raw(",")
            w.string(key)
            w.raw(":")
            w.string("\(at.file):\(at.line):\(at.column)")
        }
        w.raw(",\"affects\":[")
        for (i, s) in c.affects.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(s)
        }
        w.raw("],\"explanation_only\":")
        w.bool(c.explanationOnly)
        w.raw("}")
    }

    func replayJSON(_ r: ReplayReport, _ w: inout JSONWriter) {
        w.raw("{\"tickets\":")
        w.int(Int64(r.tickets))
        w.raw(",\"changed_tickets\":")
        w.int(Int64(r.changedTickets))
        w.raw(",\"new_errors\":")
        w.int(Int64(r.newErrors))
        w.raw(",\"fixed_errors\":")
        w.int(Int64(r.fixedErrors))
        w.raw(",\"rerouted\":{")
        for (i, (k, v)) in r.rerouted.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(k)
            w.raw(":")
            w.int(Int64(v))
        }
        w.raw("},\"decisions\":{")
        let changes = numbered
        for (i, name) in r.decisionOrder.enumerated() {
            guard let s = r.decisions[name] else { continue }
            if i > 0 { w.raw(",") }
            w.string(name)
            w.raw(":{\"changed\":")
            w.int(Int64(s.changed))
            w.raw(",\"pairs\":{")
            for (j, (k, v)) in s.pairs.sorted(by: { $0.key < $1.key }).enumerated() {
                if j > 0 { w.raw(",") }
                w.string(k)
                w.raw(":")
                w.int(Int64(v))
            }
            w.raw("},\"other_pairs\":")
            w.int(Int64(s.otherPairs))
            w.raw(",\"examples\":[")
            for (j, e) in s.examples.enumerated() {
                if j > 0 { w.raw(",") }
                w.string(e)
            }
            w.raw("],\"explained_by\":{")
            for (j, (index, n)) in s.explainedBy.sorted(by: { $0.key < $1.key }).enumerated() where index < changes.count {
                if j > 0 { w.raw(",") }
                let c = changes[index].change
                w.string("\(changes[index].policy.name): \(c.subject)\(c.aspect.map { " " + $0 } ?? "")")
                w.raw(":")
                w.int(Int64(n))
            }
            w.raw("},\"unexplained\":")
            w.int(Int64(s.unexplained))
            w.raw("}")
        }
        w.raw("}}")
    }
}

/// Witness tickets for one pair of policies, as the report shows them
/// (filled in by the witness search).
public struct WitnessSection: Sendable {
    public struct Decision: Sendable {
        public var name: String
        /// `equivalent on all N classes`, `differs`, or what could not be covered.
        public var verdict: String
        public var proven: Bool
        /// One JSON line per witness that is also a test case:
        /// `{"name": …, "ticket": …, "expect": {decision: new answer}}`.
        public var witnesses: [String]
        /// Each witness's answers on the old and the new side, as JSON
        /// (`{"undetermined": reason}` for no answer), in the same order.
        public var answers: [(old: String, new: String)]

        public init(name: String, verdict: String, proven: Bool, witnesses: [String], answers: [(old: String, new: String)]) {
            self.name = name
            self.verdict = verdict
            self.proven = proven
            self.witnesses = witnesses
            self.answers = answers
        }
    }

    public var title: String
    public var decisions: [Decision]

    public init(title: String, decisions: [Decision]) {
        self.title = title
        self.decisions = decisions
    }

    /// `4 of 16 decisions answer differently, 12 proven equivalent`, and how many are not proven.
    var summary: String {
        let differ = decisions.filter { !$0.witnesses.isEmpty }.count
        let unproven = decisions.filter { !$0.proven }.count
        let equivalent = decisions.count - differ - decisions.filter { !$0.proven && $0.witnesses.isEmpty }.count
        var s = "\(differ) of \(decisions.count) decision\(decisions.count == 1 ? "" : "s") answer\(differ == 1 ? "s" : "") differently"
        s += ", \(equivalent) proven equivalent"
        if unproven > 0 { s += ", \(unproven) not proven" }
        return s
    }

    func text() -> String {
        var out = "witnesses, \(title): \(summary)\n"
        for d in decisions {
            out += "  \(d.name): \(d.verdict)\n"
            for line in d.witnesses { out += "    \(line)\n" }
        }
        return out
    }

    func markdown() -> String {
        var out = "## Witnesses: \(title)\n\n\(summary.prefix(1).uppercased() + summary.dropFirst()). "
        out += "Each witness is a ticket on which the two answer differently, checked by evaluating both; "
        out += "each line is also a case for a test file (under `cases:`, after `- `).\n\n"
        for d in decisions {
            out += "- **\(d.name)**: \(d.verdict)\n"
            if !d.witnesses.isEmpty {
                out += "\n  ```json\n"
                for line in d.witnesses { out += "  \(line)\n" }
                out += "  ```\n\n"
            }
        }
        return out
    }

    func json(_ w: inout JSONWriter) {
        w.raw("{\"title\":")
        w.string(title)
        w.raw(",\"decisions\":[")
        for (i, d) in decisions.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":")
            w.string(d.name)
            w.raw(",\"verdict\":")
            w.string(d.verdict)
            w.raw(",\"proven\":")
            w.bool(d.proven)
            w.raw(",\"witnesses\":[")
            for (j, line) in d.witnesses.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw("{\"case\":")
                w.raw(text: line)
                if j < d.answers.count {
                    w.raw(",\"old\":")
                    w.raw(text: d.answers[j].old)
                    w.raw(",\"new\":")
                    w.raw(text: d.answers[j].new)
                }
                w.raw("}")
            }
            w.raw("]}")
        }
        w.raw("]}")
    }
}
