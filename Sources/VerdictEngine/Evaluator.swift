import CEL
import VerdictJSON

/// What `--explain` records about one rule evaluated for a ticket.
struct RuleTrace: Sendable {
    /// Slots the rule read, in first-read order.
    var reads: [Int] = []
    /// The table row that decided (index into rows; -1 for the default).
    var row: Int?
    /// For a `collect` table, every row whose condition held.
    var rows: [Int] = []
    /// Ids of the list items whose condition held.
    var items: [Int] = []
}

/// The per-ticket state of one policy: slot values, computed on demand, each
/// at most once. One instance is reused for every ticket of its policy, so
/// the hot path allocates no activation.
final class TicketActivation: CELActivation {
    let policy: CompiledPolicy
    // Read on every variable access; no evaluation mutates them re-entrantly
    // through another access, so skip the runtime exclusivity checks.
    @exclusivity(unchecked) private(set) var values: [CELValue]
    @exclusivity(unchecked) private var ready: [Bool]
    private let readyTemplate: [Bool]
    private var pendingGroups: [Int] = []

    /// Tracing is off unless asked for; when off it costs one branch per read.
    var tracing = false
    /// Indexed by rule; only the entries of `evaluated` rules are meaningful.
    private(set) var traces: [RuleTrace]
    /// Rules in the order their evaluation finished (dependencies first).
    private(set) var evaluated: [Int] = []
    private var frames: [Int] = []

    init(policy: CompiledPolicy) {
        self.policy = policy
        self.values = policy.initialValues
        var template = [Bool](repeating: true, count: policy.slotKinds.count)
        for (slot, kind) in policy.slotKinds.enumerated() {
            switch kind {
            case .rule, .group: template[slot] = false
            case .input, .parameter: break
            }
        }
        self.readyTemplate = template
        self.ready = template
        self.traces = [RuleTrace](repeating: RuleTrace(), count: policy.rules.count)
    }

    /// Binds a ticket's inputs and forgets everything computed for the previous one.
    func reset(ticket: JSONObject) {
        // Copy element by element: assigning the template would share its
        // storage and make the first write below copy the whole array.
        for i in ready.indices { ready[i] = readyTemplate[i] }
        pendingGroups.removeAll(keepingCapacity: true)
        policy.inputs.bind(ticket, values: &values, pendingGroups: &pendingGroups)
        // Object inputs the ticket omitted (or got wrong) already hold null or an error.
        for slot in policy.groupSlots where !pendingGroups.contains(slot) { ready[slot] = true }
        if tracing {
            evaluated.removeAll(keepingCapacity: true)
            frames.removeAll(keepingCapacity: true)
        }
    }

    func value(slot: Int) -> CELValue {
        if tracing, let frame = frames.last, !traces[frame].reads.contains(slot) {
            traces[frame].reads.append(slot)
        }
        if ready[slot] { return values[slot] }
        switch policy.slotKinds[slot] {
        case .rule(let index):
            let v = evaluate(rule: index)
            values[slot] = v
            ready[slot] = true
            return v
        case .group(let group):
            var entries: [(CELValue, CELValue)] = []
            for (key, fieldSlot) in zip(group.keys, group.slots) {
                // Fields without a value (missing, invalid or null) are absent from the map.
                let v = valueSilently(fieldSlot)
                switch v {
                case .error, .null: continue
                default: entries.append((.string(key), v))
                }
            }
            let v: CELValue = .map((try? CELMap(entries: entries)) ?? CELMap())
            values[slot] = v
            ready[slot] = true
            return v
        case .input, .parameter:
            return values[slot]
        }
    }

    /// Reads a slot without recording the read (used to build an object input's map).
    private func valueSilently(_ slot: Int) -> CELValue {
        let was = tracing
        tracing = false
        defer { tracing = was }
        return value(slot: slot)
    }

    /// The value of a rule, computing it (and what it needs) if not done yet.
    func ruleValue(_ index: Int) -> CELValue {
        value(slot: policy.rules[index].slot)
    }

    private func evaluate(rule index: Int) -> CELValue {
        let rule = policy.rules[index]
        if tracing {
            traces[index].reads.removeAll(keepingCapacity: true)
            traces[index].items.removeAll(keepingCapacity: true)
            traces[index].rows.removeAll(keepingCapacity: true)
            traces[index].row = nil
            frames.append(index)
        }
        defer {
            if tracing {
                frames.removeLast()
                evaluated.append(index)
            }
        }
        let raw: CELValue
        switch rule.body {
        case .expr(let program):
            raw = program.evaluate(self)
        case .table(let table):
            raw = evaluate(table, rule: index)
        case .items(let items):
            raw = evaluate(items, rule: index)
        }
        if case .error = raw { return raw }
        guard !rule.needsRuntimeCheck || Self.conforms(raw, to: rule.celType) else {
            return .error(
                CELError(.typeMismatch, "rule `\(rule.name)` gave \(raw.celLiteral), not a value of type \(rule.type)"))
        }
        return raw
    }

    /// One pass over the rows in order; the hit policy decides what a holding row does.
    /// A row whose condition is undetermined makes the table undetermined.
    private func evaluate(_ table: CompiledTable, rule index: Int) -> CELValue {
        let rule = policy.rules[index]
        var matched: Int?
        var collected: [CELValue] = []
        rows: for (i, row) in table.rows.enumerated() {
            switch condition(row.when, what: "row \(i + 1) of `\(rule.name)`") {
            case .failure(let e): return .error(e)
            case .success(false): continue
            case .success(true): break
            }
            switch table.hit {
            case .first:
                matched = i
                break rows
            case .unique:
                if let first = matched {
                    return .error(
                        CELError(
                            .other,
                            "rows \(first + 1) and \(i + 1) of `\(rule.name)` both match, but its hit policy is `unique`"))
                }
                matched = i
            case .collect:
                if tracing { traces[index].rows.append(i) }
                let v = row.then.evaluate(self)
                if case .error = v { return v }
                collected.append(v)
            }
        }
        if table.hit == .collect { return .list(collected) }
        if let m = matched {
            if tracing { traces[index].row = m }
            return table.rows[m].then.evaluate(self)
        }
        if let d = table.defaultRow {
            if tracing { traces[index].row = -1 }
            return d.then.evaluate(self)
        }
        return .error(CELError(.other, "no row of `\(rule.name)` applies to this ticket"))
    }

    private func evaluate(_ items: [CompiledItem], rule index: Int) -> CELValue {
        var out: [CELValue] = []
        for (i, item) in items.enumerated() {
            switch condition(item.when, what: "item `\(item.id)`") {
            case .failure(let e): return .error(e)
            case .success(false): continue
            case .success(true):
                if tracing { traces[index].items.append(i) }
                out.append(item.value)
            }
        }
        return .list(out)
    }

    private func condition(_ program: CELProgram?, what: @autoclosure () -> String) -> Result<Bool, CELError> {
        guard let program else { return .success(true) }
        switch program.evaluate(self) {
        case .bool(let b): return .success(b)
        case .error(let e): return .failure(e)
        case let other:
            return .failure(CELError(.typeMismatch, "the condition of \(what()) gave \(other.celLiteral), not a bool"))
        }
    }

    static func conforms(_ v: CELValue, to t: CELType) -> Bool {
        switch (v, t) {
        case (_, .dyn): return true
        case (.bool, .bool), (.int, .int), (.double, .double), (.string, .string), (.date, .date),
            (.timestamp, .timestamp), (.null, .null):
            return true
        case (.list(let items), .list(let e)): return items.allSatisfy { conforms($0, to: e) }
        case (.map, .map): return true
        default: return false
        }
    }
}
