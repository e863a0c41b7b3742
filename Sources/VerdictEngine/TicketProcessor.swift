import CEL
import VerdictJSON

/// Asking for a decision no policy has is a usage error.
public struct UsageError: Error, Sendable {
    public var message: String
}

/// Answers ticket lines: one JSON line out for every ticket line in, per the
/// ticket contract. Holds one reusable activation per policy.
public final class TicketProcessor {
    public let policies: PolicySet
    public let explain: Bool
    /// For each policy, the rule indices to answer (nil entries: asked names the policy lacks).
    private let asked: [[(name: String, rule: Int?)]]
    private let activations: [TicketActivation]
    /// For each policy, its `applies_to` as (index into the selector keys, accepted values).
    private let selection: [[(key: Int, values: [String])]]

    public init(policies: PolicySet, ask: [String] = [], explain: Bool = false) throws(UsageError) {
        self.policies = policies
        self.explain = explain
        let known = Set(policies.decisionNames)
        var unique: [String] = []
        for name in ask where !unique.contains(name) {
            guard known.contains(name) else {
                let hint = Suggest.closest(to: name, in: known.sorted()).map { " (did you mean `\($0)`?)" } ?? ""
                throw UsageError(
                    message:
                        "unknown decision `\(name)`\(hint); decisions: \(policies.decisionNames.joined(separator: ", "))")
            }
            unique.append(name)
        }
        self.asked = policies.policies.map { p in
            unique.isEmpty
                ? p.decisions.map { (p.rules[$0].name, Optional($0)) }
                : unique.map { ($0, p.decisionByName[$0]) }
        }
        self.selection = policies.policies.map { p in
            p.selectors.map { s in
                (policies.selectorKeys.firstIndex { $0.name == s.key } ?? -1, s.values)
            }
        }
        self.activations = policies.policies.map { p in
            let a = TicketActivation(policy: p)
            a.tracing = explain
            return a
        }
    }

    /// Answers one line (without its line end) and appends one JSON line to `out`.
    /// Returns false when the line could not be evaluated at all (an error line).
    @discardableResult
    public func process(line: UnsafeRawBufferPointer, number: Int, into out: inout JSONWriter) -> Bool {
        let ticket: JSONObject
        switch JSONReader.parse(line) {
        case .failure(let e):
            errorLine(number: number, id: nil, message: "invalid JSON at byte \(e.offset + 1): \(e.message)", into: &out)
            return false
        case .success(.object(let o)):
            ticket = o
        case .success(let other):
            errorLine(
                number: number, id: nil, message: "a ticket must be a JSON object, not \(InputPlan.describe(other))",
                into: &out)
            return false
        }
        let id = ticket["id"]
        guard let index = select(ticket, number: number, id: id, into: &out) else { return false }
        let activation = activations[index]
        activation.reset(ticket: ticket)
        answer(activation, asked: asked[index], id: id, into: &out)
        return true
    }

    /// The name of the policy that would answer this ticket (a JSON object), or nil.
    public func policyName(forTicket bytes: [UInt8]) -> String? {
        guard case .success(.object(let ticket)) = JSONReader.parse(bytes) else { return nil }
        var discard = JSONWriter(capacity: 0)
        return select(ticket, number: 0, id: nil, into: &discard).map { policies.policies[$0].name }
    }

    /// Picks the one policy whose `applies_to` matches; writes an error line when none does.
    private func select(_ ticket: JSONObject, number: Int, id: JSONValue?, into out: inout JSONWriter) -> Int? {
        var values: [String] = []
        values.reserveCapacity(policies.selectorKeys.count)
        for key in policies.selectorKeys {
            var node: JSONValue? = .object(ticket)
            for part in key.path {
                if case .object(let o)? = node { node = o[part] } else { node = nil }
            }
            switch node {
            case .string(let s)?:
                values.append(s)
            case nil, .null?:
                guard let d = key.defaultValue else {
                    errorLine(number: number, id: id, message: "`\(key.name)` is missing: no policy can be chosen", into: &out)
                    return nil
                }
                values.append(d)
            case let other?:
                errorLine(
                    number: number, id: id,
                    message: "`\(key.name)` must be a string, not \(InputPlan.describe(other))", into: &out)
                return nil
            }
        }
        for (i, selectors) in selection.enumerated() {
            if selectors.allSatisfy({ $0.key >= 0 && $0.values.contains(values[$0.key]) }) { return i }
        }
        let described = zip(policies.selectorKeys, values).map { "\($0.name) \"\(InputPlan.clip($1))\"" }
        errorLine(
            number: number, id: id, message: "no policy applies to \(described.joined(separator: " and "))", into: &out)
        return nil
    }

    private func answer(
        _ a: TicketActivation, asked: [(name: String, rule: Int?)], id: JSONValue?, into w: inout JSONWriter
    ) {
        let policy = a.policy
        w.raw("{\"id\":")
        if let id { w.value(id) } else { w.null() }
        w.raw(",\"answers\":{")
        var undetermined: [(String, String)] = []
        var first = true
        for (name, rule) in asked {
            guard let rule else {
                undetermined.append((name, "`\(name)` is not a decision of policy `\(policy.name)`"))
                continue
            }
            let v = a.ruleValue(rule)
            if case .error(let e) = v {
                undetermined.append((name, e.message))
                continue
            }
            if !first { w.raw(",") }
            first = false
            w.raw(bytes: policy.rules[rule].jsonKey)
            ValueJSON.write(v, into: &w)
        }
        w.raw("}")
        if !undetermined.isEmpty {
            w.raw(",\"undetermined\":{")
            for (i, (name, reason)) in undetermined.enumerated() {
                if i > 0 { w.raw(",") }
                w.string(name)
                w.raw(":")
                w.string(reason)
            }
            w.raw("}")
        }
        w.raw(",\"policy\":{\"name\":")
        w.string(policy.name)
        w.raw(",\"digest\":")
        w.string(policy.digest)
        w.raw("}")
        if explain {
            w.raw(",\"explanation\":")
            Explanation.write(a, into: &w)
        }
        w.raw("}\n")
    }

    private func errorLine(number: Int, id: JSONValue?, message: String, into w: inout JSONWriter) {
        w.raw("{\"line\":")
        w.int(Int64(number))
        w.raw(",\"id\":")
        if let id { w.value(id) } else { w.null() }
        w.raw(",\"error\":")
        w.string(message)
        w.raw("}\n")
    }
}
