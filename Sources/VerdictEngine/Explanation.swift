import CEL
import VerdictJSON

/// `--explain`: for every rule evaluated for a ticket (the decisions asked
/// and the internal rules they needed), the rule, the clause it cites, its
/// value, the values it read, and the table row or list items that decided.
enum Explanation {
    static func write(_ a: TicketActivation, into w: inout JSONWriter) {
        let policy = a.policy
        let order = a.evaluated.sorted()
        w.raw("{")
        for (n, index) in order.enumerated() {
            let rule = policy.rules[index]
            let trace = a.traces[index] ?? RuleTrace()
            if n > 0 { w.raw(",") }
            w.string(rule.name)
            w.raw(":{\"decision\":")
            w.bool(rule.isDecision)
            w.raw(",\"clause\":")
            strings(rule.clause, &w)
            w.raw(",\"label\":{\"zh\":")
            w.string(rule.label.zh)
            w.raw(",\"en\":")
            w.string(rule.label.en)
            w.raw("}")
            let value = a.values[rule.slot]
            if case .error(let e) = value {
                w.raw(",\"undetermined\":")
                w.string(e.message)
            } else {
                w.raw(",\"value\":")
                ValueJSON.write(value, into: &w)
            }
            switch rule.body {
            case .expr(let p):
                w.raw(",\"expr\":")
                w.string(p.source)
            case .table(let t):
                w.raw(",\"hit\":")
                w.string(t.hit.rawValue)
                if let r = trace.row {
                    let row = r >= 0 ? t.rows[r] : t.defaultRow
                    if let row {
                        w.raw(",\"row\":{\"number\":")
                        if r >= 0 { w.int(Int64(r + 1)) } else { w.string("default") }
                        if let when = row.when {
                            w.raw(",\"when\":")
                            w.string(when.source)
                        }
                        w.raw(",\"then\":")
                        w.string(row.then.source)
                        w.raw(",\"clause\":")
                        strings(row.clause, &w)
                        w.raw("}")
                    }
                }
            case .items(let items):
                w.raw(",\"items\":[")
                for (j, i) in trace.items.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.raw("{\"id\":")
                    w.string(items[i].id)
                    w.raw(",\"when\":")
                    w.string(items[i].when.source)
                    w.raw(",\"clause\":")
                    strings(items[i].clause, &w)
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw(",\"used\":{")
            for (j, slot) in trace.reads.enumerated() {
                if j > 0 { w.raw(",") }
                w.string(policy.slotNames[slot])
                w.raw(":")
                ValueJSON.write(a.values[slot], into: &w)
            }
            w.raw("}}")
        }
        w.raw("}")
    }

    private static func strings(_ items: [String], _ w: inout JSONWriter) {
        w.raw("[")
        for (i, s) in items.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(s)
        }
        w.raw("]")
    }
}
