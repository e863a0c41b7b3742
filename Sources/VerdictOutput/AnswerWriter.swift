import CEL
import VerdictCompiler
import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictRuntime

/// Renders evaluations as the ticket contract's JSON lines
/// (docs/cli.md). Everything that does not change from ticket to ticket
/// (decision keys, the policy object, the static parts of `--explain`) is
/// encoded once, here, not in the compiled policy.
public final class AnswerWriter: Sendable {
    /// What is encoded once per policy. A class: an answer reads it through
    /// one reference (a struct of arrays was copied, each array retained, per answer).
    final class PolicyFragments: Sendable {
        /// `,"policy":{"name":…,"version":…,"digest":…}` as it ends every answer line.
        let policyJSON: [UInt8]
        /// `"name":` for each asked decision, in `AskPlan` order.
        let decisionKeys: [[UInt8]]
        let explain: ExplainFragments?

        init(policyJSON: [UInt8], decisionKeys: [[UInt8]], explain: ExplainFragments?) {
            self.policyJSON = policyJSON
            self.decisionKeys = decisionKeys
            self.explain = explain
        }
    }

    /// The static parts of `--explain`, per rule of a policy.
    /// The parts of explanations that depend only on the policy, encoded
    /// once into one arena and named by spans: writing one copies bytes
    /// without retaining an array of its own. Filled once, before any answer
    /// reads it (hence unchecked), and read through one reference.
    final class ExplainFragments: @unchecked Sendable {
        struct Span: Sendable {
            var start: Int
            var count: Int
        }
        var arena: [UInt8] = []
        /// `"name":{"decision":…,"clause":[…],"label":{…}`.
        var heads: [Span] = []
        /// The same followed by `,"value":`, as most rules have one.
        var headValues: [Span] = []
        /// `,"expr":…`, `,"hit":…` or nothing (items).
        var bodies: [Span] = []
        /// Per row: `,"when":…,"then":…,"clause":[…]`, every table's rows one
        /// after another; a rule's first row at `firstRow[rule]`.
        var rows: [Span] = []
        var firstRow: [Int] = []
        var defaultRows: [Span?] = []
        /// Per item: `{"id":…,"when":…,"clause":[…]}`; a rule's first at `firstItem[rule]`.
        var items: [Span] = []
        var firstItem: [Int] = []
        /// Each slot's name as a JSON key (`"unit.installed_on":`); for a
        /// parameter, a constant, its value too (`"params.warranty_months":12`).
        var slotKeys: [Span] = []
        var slotIsConstant: [Bool] = []
        /// Each rule's slot (where its value is read from by other rules).
        var ruleSlots: [Int] = []
        var kinds: [BodyKind] = []

        func add(_ bytes: [UInt8]) -> Span {
            defer { arena += bytes }
            return Span(start: arena.count, count: bytes.count)
        }
    }

    enum BodyKind: Sendable {
        case expr
        case table(HitPolicy)
        case items
    }

    let fragments: [PolicyFragments]
    public let explains: Bool

    public init(policies: PolicySet, plan: AskPlan, explain: Bool = false) {
        self.explains = explain
        self.fragments = policies.policies.indices.map { i in
            let compiled = policies.policies[i]
            var p = JSONWriter(capacity: 128)
            p.raw(",\"policy\":{\"name\":")
            p.string(compiled.name)
            if let v = compiled.identity.version {
                p.raw(",\"version\":")
                p.string(v)
            }
            p.raw(",\"digest\":")
            p.string(compiled.digest)
            p.raw("}")
            return PolicyFragments(
                policyJSON: p.bytes, decisionKeys: plan.decisions[i].map { JSONWriter.key($0.name) },
                explain: explain ? Self.explainFragments(compiled, policies.snapshots[i]) : nil)
        }
    }

    /// Appends the line for one evaluated line of input; with `explanation`,
    /// its explanation, whose values are read from `values` (the activation
    /// that answered it).
    public func write(
        _ e: Evaluation, line: Int, explanation: ExplainRecorder? = nil, values: TicketActivation? = nil,
        into w: inout JSONWriter
    ) {
        guard e.status == .answered else {
            Self.writeErrorLine(number: line, evaluation: e, into: &w)
            return
        }
        let f = fragments[e.policy]
        w.raw("{\"id\":")
        Self.writeID(e, into: &w)
        w.raw(",\"answers\":{")
        var first = true
        var undetermined = 0
        for (i, outcome) in e.outcomes.enumerated() {
            guard case .value(let v) = outcome else {
                undetermined += 1
                continue
            }
            if !first { w.raw(",") }
            first = false
            w.raw(bytes: f.decisionKeys[i])
            ValueJSON.write(v, into: &w)
        }
        w.raw("}")
        if undetermined > 0 {
            w.raw(",\"undetermined\":{")
            var n = 0
            for (i, outcome) in e.outcomes.enumerated() {
                guard case .undetermined(let reason) = outcome else { continue }
                if n > 0 { w.raw(",") }
                n += 1
                w.raw(bytes: f.decisionKeys[i])
                w.string(reason)
            }
            w.raw("}")
        }
        w.raw(bytes: f.policyJSON)
        if let explanation, let values, let x = f.explain {
            w.raw(",\"explanation\":")
            Self.writeExplanation(explanation, values, x, into: &w)
        }
        w.raw("}\n")
    }

    /// The ticket's id as it came: its JSON text when the scanner kept it, else its value, else null.
    static func writeID(_ e: Evaluation, into w: inout JSONWriter) {
        if !e.idJSON.isEmpty {
            w.raw(bytes: e.idJSON)
        } else if let id = e.id {
            w.value(id)
        } else {
            w.null()
        }
    }

    /// The error line of an evaluation that failed.
    public static func writeErrorLine(number: Int, evaluation e: Evaluation, into w: inout JSONWriter) {
        errorLine(number: number, message: e.failure, into: &w) { writeID(e, into: &$0) }
    }

    /// `{"line":N,"id":…,"error":"…"}`: a line that could not be evaluated at all.
    public static func writeErrorLine(number: Int, id: JSONValue?, message: String, into w: inout JSONWriter) {
        errorLine(number: number, message: message, into: &w) { w in
            if let id { w.value(id) } else { w.null() }
        }
    }

    private static func errorLine(
        number: Int, message: String, into w: inout JSONWriter, id writeID: (inout JSONWriter) -> Void
    ) {
        w.raw("{\"line\":")
        w.int(Int64(number))
        w.raw(",\"id\":")
        writeID(&w)
        w.raw(",\"error\":")
        w.string(message)
        w.raw("}\n")
    }

    // MARK: - --explain

    /// For every rule evaluated for the ticket (the decisions asked and the
    /// internal rules they needed): the rule, the clause it cites, its value,
    /// the values it read, and the table row or list items that decided.
    static func writeExplanation(
        _ r: ExplainRecorder, _ values: TicketActivation, _ x: ExplainFragments, into w: inout JSONWriter
    ) {
        w.raw("{")
        // A slot's value is the same wherever the ticket's explanation shows
        // it (a rule's value, then each read of it by other rules): it is
        // encoded once, and copied from the line after that. Per slot: where
        // its text starts in the output (-1 before it is written) and its length.
        x.arena.withUnsafeBytes { arena in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, 2 * x.slotKeys.count)) { memo in
                memo.initialize(repeating: -1)
                func put(_ span: ExplainFragments.Span) {
                    w.raw(UnsafeRawBufferPointer(rebasing: arena[span.start..<(span.start + span.count)]))
                }
                /// The slot's value: copied when it was written before, else
                /// encoded (and remembered), `v` read only then.
                func value(slot: Int, _ v: @autoclosure () -> CELValue) {
                    let start = memo[2 * slot]
                    if start >= 0, w.rewrite(from: start, count: memo[2 * slot + 1]) { return }
                    let v = v()
                    switch v {
                    // Shorter to write than to look up and copy.
                    case .bool(let b): w.bool(b)
                    case .null: w.null()
                    default:
                        let at = w.count
                        ValueJSON.write(v, into: &w)
                        memo[2 * slot] = at
                        memo[2 * slot + 1] = w.count - at
                    }
                }
                // The records are read in place (a copy of each retained and
                // released all its arrays), in rule order.
                r.records.withUnsafeBufferPointer { records in
                    var first = true
                    for index in 0..<r.ruleCount where r.wasEvaluated(index) {
                        if !first { w.raw(",") }
                        first = false
                        if case .error(let e) = records[index].value {
                            put(x.heads[index])
                            w.raw(",\"undetermined\":")
                            w.string(e.message)
                        } else {
                            put(x.headValues[index])
                            value(slot: x.ruleSlots[index], records[index].value)
                        }
                        put(x.bodies[index])
                        switch x.kinds[index] {
                        case .expr:
                            break
                        case .table(let hit):
                            if hit == .collect {
                                // Every row that held, in order: each cites its own clause.
                                w.raw(",\"rows\":[")
                                for (j, row) in records[index].rows.enumerated() {
                                    if j > 0 { w.raw(",") }
                                    w.raw("{\"number\":")
                                    w.int(Int64(row + 1))
                                    put(x.rows[x.firstRow[index] + row])
                                    w.raw("}")
                                }
                                w.raw("]")
                            } else if let row = records[index].row,
                                let fragment = row >= 0 ? x.rows[x.firstRow[index] + row] : x.defaultRows[index]
                            {
                                w.raw(",\"row\":{\"number\":")
                                if row >= 0 { w.int(Int64(row + 1)) } else { w.string("default") }
                                put(fragment)
                                w.raw("}")
                            }
                        case .items:
                            w.raw(",\"items\":[")
                            for (j, item) in records[index].items.enumerated() {
                                if j > 0 { w.raw(",") }
                                put(x.items[x.firstItem[index] + item])
                            }
                            w.raw("]")
                        }
                        w.raw(",\"used\":{")
                        var entry = r.firstRead(of: index)
                        while entry >= 0 {
                            let (slot, next) = r.read(entry)
                            put(x.slotKeys[slot])
                            if !x.slotIsConstant[slot] { value(slot: slot, values.currentValue(slot: slot)) }
                            if next >= 0 { w.raw(",") }
                            entry = next
                        }
                        w.raw("}}")
                    }
                }
            }
        }
        w.raw("}")
    }

    static func explainFragments(_ p: CompiledPolicy, _ s: PolicySnapshot) -> ExplainFragments {
        let x = ExplainFragments()
        for (slot, name) in p.slotNames.enumerated() {
            var key = JSONWriter.key(name)
            let constant = if case .parameter = p.slotKinds[slot], slot < p.initialValues.count { true } else { false }
            if constant {
                var w = JSONWriter(capacity: 64)
                ValueJSON.write(p.initialValues[slot], into: &w)
                key += w.bytes
            }
            x.slotKeys.append(x.add(key))
            x.slotIsConstant.append(constant)
        }
        x.ruleSlots = p.rules.map(\.slot)
        for (rule, snap) in zip(p.rules, s.rules) {
            var w = JSONWriter.init(capacity: 256)
            w.raw(bytes: JSONWriter.key(rule.name))
            w.raw("{\"decision\":")
            w.bool(rule.isDecision)
            w.raw(",\"clause\":")
            w.strings(s.cited(snap.clause))
            w.raw(",\"label\":{\"zh\":")
            w.string(snap.label.zh)
            w.raw(",\"en\":")
            w.string(snap.label.en)
            w.raw("}")
            x.heads.append(x.add(w.bytes))
            w.raw(",\"value\":")
            x.headValues.append(x.add(w.bytes))
            w.bytes.removeAll(keepingCapacity: true)
            var rows: [[UInt8]] = []
            var defaultRow: [UInt8]?
            var items: [[UInt8]] = []
            var kind = BodyKind.expr
            switch (rule.body, snap.body) {
            case (.expr(let program), _):
                w.raw(",\"expr\":")
                w.string(program.source)
            case (.table(let t), .table(let ts)):
                kind = .table(t.hit)
                w.raw(",\"hit\":")
                w.string(t.hit.rawValue)
                rows = zip(t.rows, ts.rows).map { rowFragment($0.0, clause: s.cited($0.1.clause)) }
                if let d = t.defaultRow, let ds = ts.defaultRow { defaultRow = rowFragment(d, clause: s.cited(ds.clause)) }
            case (.items(let list), .items(let ls)):
                kind = .items
                items = zip(list, ls).map { item, snap in
                    var iw = JSONWriter(capacity: 128)
                    iw.raw("{\"id\":")
                    iw.string(item.id)
                    iw.raw(",\"when\":")
                    iw.string(item.when.source)
                    iw.raw(",\"clause\":")
                    iw.strings(s.cited(snap.clause))
                    iw.raw("}")
                    return iw.bytes
                }
            default:
                break
            }
            x.bodies.append(x.add(w.bytes))
            x.firstRow.append(x.rows.count)
            for row in rows { x.rows.append(x.add(row)) }
            x.defaultRows.append(defaultRow.map { x.add($0) })
            x.firstItem.append(x.items.count)
            for item in items { x.items.append(x.add(item)) }
            x.kinds.append(kind)
        }
        return x
    }

    static func rowFragment(_ row: CompiledRow, clause: Clause) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        if let when = row.when {
            w.raw(",\"when\":")
            w.string(when.source)
        }
        w.raw(",\"then\":")
        w.string(row.then.source)
        w.raw(",\"clause\":")
        w.strings(clause)
        return w.bytes
    }
}
