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
    /// One name to answer for a policy: its JSON key (`"fees":`, encoded once)
    /// and its rule, or, for a name the policy lacks, the reason it is undetermined.
    private struct Asked {
        var key: [UInt8]
        var rule: Int?
        var absentReason: String
    }

    /// For each policy, what to answer, in order.
    private let asked: [[Asked]]
    private let activations: [TicketActivation]
    /// For each policy, its `applies_to` as (index into the selector keys, accepted values, its default).
    private let selection: [[(key: Int, values: [String], defaultValue: String?)]]
    /// The ticket's value for each selector key; reused from ticket to ticket.
    private var keyValues: [String?]

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
            let names = unique.isEmpty ? p.decisionNames : unique
            return names.map { name in
                let rule = p.decisionByName[name]
                var key = JSONWriter(capacity: name.utf8.count + 4)
                key.string(name)
                key.raw(":")
                return Asked(
                    key: key.bytes, rule: rule,
                    absentReason: rule == nil ? "`\(name)` is not a decision of policy `\(p.name)`" : "")
            }
        }
        self.selection = policies.policies.map { p in
            p.selectors.compactMap { s in
                policies.selectorKeys.firstIndex { $0.name == s.key }.map { ($0, s.values, s.defaultValue) }
            }
        }
        self.keyValues = [String?](repeating: nil, count: policies.selectorKeys.count)
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
    /// A key the ticket leaves out takes each policy's own default for it.
    private func select(_ ticket: JSONObject, number: Int, id: JSONValue?, into out: inout JSONWriter) -> Int? {
        for (k, key) in policies.selectorKeys.enumerated() {
            switch Self.lookup(ticket, key.path) {
            case .string(let s)?:
                keyValues[k] = s
            case nil, .null?:
                keyValues[k] = nil
            case let other?:
                errorLine(
                    number: number, id: id,
                    message: "`\(key.name)` must be a string, not \(InputPlan.describe(other))", into: &out)
                return nil
            }
        }
        for (i, selectors) in selection.enumerated() {
            if selectors.allSatisfy({ s in (keyValues[s.key] ?? s.defaultValue).map(s.values.contains) ?? false }) {
                return i
            }
        }
        // Say why, naming a missing key when there is one no policy fills in.
        var described: [String] = []
        for (k, key) in policies.selectorKeys.enumerated() {
            let fallback = selection.lazy.flatMap { $0 }.first { $0.key == k && $0.defaultValue != nil }?.defaultValue
            guard let v = keyValues[k] ?? fallback else {
                errorLine(number: number, id: id, message: "`\(key.name)` is missing: no policy can be chosen", into: &out)
                return nil
            }
            described.append("\(key.name) \"\(InputPlan.clip(v))\"")
        }
        errorLine(
            number: number, id: id, message: "no policy applies to \(described.joined(separator: " and "))", into: &out)
        return nil
    }

    /// The value at a dotted path of the ticket, without boxing the ticket.
    private static func lookup(_ ticket: JSONObject, _ path: [String]) -> JSONValue? {
        var object = ticket
        for (i, part) in path.enumerated() {
            guard let v = object[part] else { return nil }
            if i == path.count - 1 { return v }
            guard case .object(let o) = v else { return nil }
            object = o
        }
        return nil
    }

    private func answer(_ a: TicketActivation, asked: [Asked], id: JSONValue?, into w: inout JSONWriter) {
        let policy = a.policy
        w.raw("{\"id\":")
        if let id { w.value(id) } else { w.null() }
        w.raw(",\"answers\":{")
        var undetermined: [(key: [UInt8], reason: String)] = []
        var first = true
        for item in asked {
            guard let rule = item.rule else {
                undetermined.append((item.key, item.absentReason))
                continue
            }
            let v = a.ruleValue(rule)
            if case .error(let e) = v {
                undetermined.append((item.key, e.message))
                continue
            }
            if !first { w.raw(",") }
            first = false
            w.raw(bytes: item.key)
            ValueJSON.write(v, into: &w)
        }
        w.raw("}")
        if !undetermined.isEmpty {
            w.raw(",\"undetermined\":{")
            for (i, u) in undetermined.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw(bytes: u.key)
                w.string(u.reason)
            }
            w.raw("}")
        }
        w.raw(bytes: policy.policyJSON)
        if explain {
            w.raw(",\"explanation\":")
            Explanation.write(a, into: &w)
        }
        w.raw("}\n")
    }

    private func errorLine(number: Int, id: JSONValue?, message: String, into w: inout JSONWriter) {
        Self.writeErrorLine(number: number, id: id, message: message, into: &w)
    }

    /// `{"line":N,"id":…,"error":"…"}`: a line that could not be evaluated at all.
    static func writeErrorLine(number: Int, id: JSONValue?, message: String, into w: inout JSONWriter) {
        w.raw("{\"line\":")
        w.int(Int64(number))
        w.raw(",\"id\":")
        if let id { w.value(id) } else { w.null() }
        w.raw(",\"error\":")
        w.string(message)
        w.raw("}\n")
    }
}
