import CEL
import VerdictJSON

/// `--explain`: for every rule evaluated for a ticket (the decisions asked
/// and the internal rules they needed), the rule, the clause it cites, its
/// value, the values it read, and the table row or list items that decided.
/// The static parts of each entry are encoded once, when the policy compiles.
enum Explanation {
    static func write(_ a: TicketActivation, into w: inout JSONWriter) {
        let policy = a.policy
        let order = a.evaluated.sorted()
        w.raw("{")
        for (n, index) in order.enumerated() {
            let rule = policy.rules[index]
            let trace = a.traces[index]
            if n > 0 { w.raw(",") }
            w.raw(bytes: rule.explainHead)
            let value = a.values[rule.slot]
            if case .error(let e) = value {
                w.raw(",\"undetermined\":")
                w.string(e.message)
            } else {
                w.raw(",\"value\":")
                ValueJSON.write(value, into: &w)
            }
            w.raw(bytes: rule.explainBody)
            switch rule.body {
            case .expr:
                break
            case .table(let t) where t.hit == .collect:
                // Every row that held, in order: each cites its own clause.
                w.raw(",\"rows\":[")
                for (j, r) in trace.rows.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.raw("{\"number\":")
                    w.int(Int64(r + 1))
                    w.raw(bytes: t.rows[r].explainJSON)
                    w.raw("}")
                }
                w.raw("]")
            case .table(let t):
                if let r = trace.row, let row = r >= 0 ? t.rows[r] : t.defaultRow {
                    w.raw(",\"row\":{\"number\":")
                    if r >= 0 { w.int(Int64(r + 1)) } else { w.string("default") }
                    w.raw(bytes: row.explainJSON)
                    w.raw("}")
                }
            case .items(let items):
                w.raw(",\"items\":[")
                for (j, i) in trace.items.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.raw(bytes: items[i].explainJSON)
                }
                w.raw("]")
            }
            w.raw(",\"used\":{")
            for (j, slot) in trace.reads.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw(bytes: policy.slotKeys[slot])
                ValueJSON.write(a.values[slot], into: &w)
            }
            w.raw("}}")
        }
        w.raw("}")
    }
}
