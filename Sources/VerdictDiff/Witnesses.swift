import CEL
import VerdictAudit
import VerdictJSON
import VerdictJSONWriter
import VerdictOutput
import VerdictRuntime

extension WitnessSection {
    /// The witness search run on every policy a diff changed (both sides
    /// present), decision by decision: a proof of equivalence, or verified
    /// tickets on which the two answer differently, or what could not be
    /// covered. Unchanged policies are equivalent by their digests and are
    /// not searched.
    public static func search(_ diff: SetDiff, limits: WitnessSearch.Limits) -> [WitnessSection] {
        diff.policies.compactMap { p in
            guard !p.isUnchanged, let o = p.old, let n = p.new else { return nil }
            let search = WitnessSearch(
                old: o.compiled, oldSnapshot: o.snapshot, new: n.compiled, newSnapshot: n.snapshot, limits: limits)
            let across = o.identity.name != n.identity.name
            let oldName = across ? o.identity.name : "old"
            let newName = across ? n.identity.name : "new"
            let title = o.identity.description == n.identity.description
                ? n.identity.description : "\(o.identity.description) → \(n.identity.description)"
            let decisions = search.run().map { c in
                Decision(
                    name: c.name, verdict: c.verdict.summary, proven: c.verdict.isProven,
                    witnesses: c.witnesses.map { w in
                        testCase(
                            decision: c.name, ticket: search.ticket(w, newSide: true), old: w.old, new: w.new,
                            oldName: oldName, newName: newName)
                    },
                    answers: c.witnesses.map { (json($0.old), json($0.new)) })
            }
            return WitnessSection(title: title, decisions: decisions)
        }
    }

    /// A witness as one JSON line that is also a case of a test file (a
    /// YAML flow mapping): the ticket as the new side reads it, and the new
    /// answer as its expectation; the name says what the old side answered.
    /// `{"name":"fees: old [], new [onsite] (witness-fees-1)","ticket":{…},"expect":{"fees":["onsite"]}}`
    static func testCase(
        decision: String, ticket: JSONObject, old: DecisionOutcome, new: DecisionOutcome, oldName: String,
        newName: String
    ) -> String {
        let id: String
        if case .string(let s)? = ticket["id"] { id = " (\(s))" } else { id = "" }
        var w = JSONWriter(capacity: 512)
        w.raw("{\"name\":")
        w.string("\(decision): \(oldName) \(display(old)), \(newName) \(display(new))\(id)")
        w.raw(",\"ticket\":")
        w.value(.object(ticket))
        w.raw(",\"expect\":{")
        w.string(decision)
        w.raw(":")
        write(new, &w)
        w.raw("}}")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// An answer as JSON: its value, or `{"undetermined": reason}` (as a test file expects it).
    static func write(_ o: DecisionOutcome, _ w: inout JSONWriter) {
        switch o {
        case .value(let v): ValueJSON.write(v, into: &w)
        case .undetermined(let reason):
            w.raw("{\"undetermined\":")
            w.string(reason)
            w.raw("}")
        }
    }

    static func json(_ o: DecisionOutcome) -> String {
        var w = JSONWriter(capacity: 64)
        write(o, &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// An answer in a line of text, as a test file writes it: `true`, `[parts, onsite]`, or `undetermined`.
    static func display(_ o: DecisionOutcome) -> String {
        guard case .value(let v) = o else { return "undetermined" }
        return display(v)
    }

    static func display(_ v: CELValue) -> String {
        switch v {
        case .string(let s): return s
        case .date, .timestamp:
            var w = JSONWriter(capacity: 40)
            ValueJSON.write(v, into: &w)
            return String(decoding: w.bytes.filter { $0 != UInt8(ascii: "\"") }, as: UTF8.self)
        case .list(let items): return "[" + items.map(display).joined(separator: ", ") + "]"
        default:
            var w = JSONWriter(capacity: 64)
            ValueJSON.write(v, into: &w)
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }
}
