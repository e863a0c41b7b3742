import CEL
import Foundation
import Testing
import VerdictAudit
import VerdictCompiler
import VerdictJSON
import VerdictRuntime

func search(_ old: PolicySet, _ oldName: String, _ new: PolicySet, _ newName: String,
            limits: WitnessSearch.Limits = .init()) throws -> WitnessSearch {
    let (o, os) = try old.unit(oldName)
    let (n, ns) = try new.unit(newName)
    return WitnessSearch(old: o, oldSnapshot: os, new: n, newSnapshot: ns, limits: limits)
}

func report(_ results: [DecisionComparison]) -> String {
    var out = ""
    for r in results {
        out += "\(r.name): \(r.verdict)\n"
        for w in r.witnesses {
            out += "    \(jsonText(.object(w.ticket)))  old=\(describe(w.old)) new=\(describe(w.new))\n"
        }
    }
    return out
}

/// What a test expects the search to say about a decision.
enum Expected: Sendable {
    case equivalent, different, unproven
}

/// A small policy for the brute-force pairs: one `market` selector, the given
/// inputs and parameters, and one decision per rule.
func smallPolicy(inputs: String, parameters: String = "", rules: [(name: String, type: String, body: String)]) -> String {
    var s = """
        verdict: 1
        policy: p
        applies_to: {market: a}
        inputs:
          market: {type: enum, values: [a, b]}

        """
    s += inputs.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
    if !parameters.isEmpty {
        s += "parameters:\n"
        s += parameters.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
    }
    s += "rules:\n"
    for r in rules {
        s += "  \(r.name):\n    type: \(r.type)\n    decision: true\n    clause: \"1\"\n    label: {zh: 规则, en: rule}\n"
        s += r.body.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
    }
    return s
}

/// `expr: "…"` for a rule body.
func expr(_ e: String) -> String { "expr: \"\(e)\"" }

/// Every combination of field values (nil: the field is left out).
func combinations(_ fields: [(String, [JSONValue?])]) -> [JSONObject] {
    var out: [[(key: String, value: JSONValue)]] = [[]]
    for (key, values) in fields {
        var next: [[(key: String, value: JSONValue)]] = []
        for prefix in out {
            for v in values {
                if let v { next.append(prefix + [(key: key, value: v)]) } else { next.append(prefix) }
            }
        }
        out = next
    }
    return out.map { JSONObject($0) }
}

/// Evaluates every decision of a policy on tickets, one activation reused.
final class Replayer {
    let policy: CompiledPolicy
    let activation: TicketActivation
    let selectorEntries: [(key: String, value: JSONValue)]

    init(_ policy: CompiledPolicy) {
        self.policy = policy
        activation = TicketActivation(policy: policy)
        selectorEntries = policy.selectors.compactMap { s in s.values.first.map { (key: s.key, value: .string($0)) } }
    }

    func outcomes(_ ticket: JSONObject, _ decisions: [String]) -> [DecisionOutcome] {
        let t = JSONObject(ticket.entries.filter { e in !selectorEntries.contains { $0.key == e.key } } + selectorEntries)
        activation.reset(ticket: t)
        return decisions.map { name in
            guard let rule = policy.decisionByName[name] else { return .undetermined("no such decision") }
            switch activation.ruleValue(rule) {
            case .error(let e): return .undetermined(e.message)
            case let v: return .value(v)
            }
        }
    }
}

/// Runs the search on two versions and checks it against brute force over
/// `tickets`: an equivalence claim must survive every ticket, a difference
/// brute force finds must never be called equivalent, every witness must
/// really differ, and each decision gets the expected verdict.
@discardableResult
func checkAgainstBruteForce(
    old: String, new: String, tickets: [JSONObject], expected: [String: Expected],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [DecisionComparison] {
    let o = try loadInline([old])
    let n = try loadInline([new])
    let s = try search(o, "p", n, "p")
    let results = s.run()
    let names = results.map(\.name)
    #expect(Set(names) == Set(expected.keys), "decisions compared", sourceLocation: sourceLocation)
    let ro = Replayer(s.old), rn = Replayer(s.new)
    var bruteDiffers = [String: JSONObject]()
    for t in tickets {
        let a = ro.outcomes(t, names), b = rn.outcomes(t, names)
        for (i, name) in names.enumerated() where bruteDiffers[name] == nil && differ(a[i], b[i]) {
            bruteDiffers[name] = t
        }
    }
    for r in results {
        let found = bruteDiffers[r.name]
        switch r.verdict {
        case .equivalent:
            #expect(found == nil, "\(r.name) is claimed equivalent, but differs on \(found.map { jsonText(.object($0)) } ?? "")",
                    sourceLocation: sourceLocation)
            #expect(r.witnesses.isEmpty, sourceLocation: sourceLocation)
        case .different(let differing, let classes):
            #expect(!r.witnesses.isEmpty, "\(r.name): different without witnesses", sourceLocation: sourceLocation)
            #expect(differing > 0 && differing <= classes, sourceLocation: sourceLocation)
        case .unproven(let reasons, _):
            #expect(!reasons.isEmpty, sourceLocation: sourceLocation)
        }
        if found != nil {
            if case .equivalent = r.verdict { Issue.record("\(r.name): brute force differs", sourceLocation: sourceLocation) }
        }
        for w in r.witnesses {
            let a = ro.outcomes(w.ticket, [r.name])[0], b = rn.outcomes(w.ticket, [r.name])[0]
            #expect(differ(a, b), "\(r.name): witness \(jsonText(.object(w.ticket))) does not differ", sourceLocation: sourceLocation)
            #expect(a == w.old && b == w.new, "\(r.name): witness outcomes as reported", sourceLocation: sourceLocation)
            #expect(w.ticket["market"] == nil, "witnesses leave selectors to the caller", sourceLocation: sourceLocation)
        }
        let kind: Expected
        switch r.verdict {
        case .equivalent: kind = .equivalent
        case .different: kind = .different
        case .unproven: kind = .unproven
        }
        #expect(kind == expected[r.name], "\(r.name): \(r.verdict)", sourceLocation: sourceLocation)
    }
    return results
}

extension Expected: Equatable {}
