import CEL
import VerdictJSON

/// The per-ticket state of one policy: slot values, computed on demand, each
/// at most once, and the evaluation of rules (expressions, tables, item
/// lists). One instance is reused for every ticket of its policy, so the hot
/// path allocates no activation.
public final class TicketActivation: CELActivation {
    public let policy: CompiledPolicy
    // Read on every variable access: memory of its own, read and written
    // through plain pointers (no array's uniqueness or bounds checks, no
    // exclusivity checks), owned by this activation and freed with it.
    private let values: UnsafeMutableBufferPointer<CELValue>
    private let ready: UnsafeMutableBufferPointer<Bool>
    private let readyTemplate: UnsafeMutableBufferPointer<Bool>
    /// Per slot: the rule it holds (its index), or `Self.group` or `Self.given`
    /// (an input or a parameter): what a read does, without copying the slot's kind.
    private let kinds: UnsafeMutableBufferPointer<Int>
    private static let lineGone = CELError(.other, "an input was read after its ticket's line was released")
    private static let group = -1
    private static let given = -2
    /// Per rule: its program when it is one expression whose result needs no
    /// check, unretained (the policy holds it): the common rule runs without
    /// retaining the rule, its body or its program.
    private let plainPrograms: UnsafeMutableBufferPointer<Unmanaged<CELProgram>?>
    private var pendingGroups: [Int] = []
    /// The fast path's binding (`reset(scanner:line:plan:)`): its plan, per
    /// slot the plan's leaf a read converts (-1: none), the ready flags it
    /// starts a ticket with (its leaves not ready), and the line being read.
    private var fastPlan: Unmanaged<FastInputPlan>?
    private let leafOfSlot: UnsafeMutableBufferPointer<Int>
    private let fastReadyTemplate: UnsafeMutableBufferPointer<Bool>
    private var lazyCaptures: FieldScanner.Captures?
    private var lazyLine = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Nil unless someone listens: then one branch per event site.
    private let tracer: (any EvaluationTracer)?
    /// Set when the policy's plans are traced and the tracer wants their node events.
    private let expressionTracer: (any EvaluationTracer)?
    /// The steps this ticket's expressions may still take; reset per ticket.
    public let budget: CELBudget?

    public init(policy: CompiledPolicy, tracer: (any EvaluationTracer)? = nil) {
        self.policy = policy
        self.tracer = tracer
        self.expressionTracer = policy.tracesExpressions ? tracer : nil
        self.budget = CELBudget(limit: policy.costLimit)
        let count = policy.slotKinds.count
        self.values = .allocate(capacity: max(1, count))
        values.initialize(repeating: .null)
        for (slot, v) in policy.initialValues.enumerated() where slot < count { values[slot] = v }
        self.kinds = .allocate(capacity: max(1, count))
        self.ready = .allocate(capacity: max(1, count))
        self.readyTemplate = .allocate(capacity: max(1, count))
        self.fastReadyTemplate = .allocate(capacity: max(1, count))
        self.leafOfSlot = .allocate(capacity: max(1, count))
        leafOfSlot.initialize(repeating: -1)
        self.plainPrograms = .allocate(capacity: max(1, policy.rules.count))
        plainPrograms.initialize(repeating: nil)
        for (index, rule) in policy.rules.enumerated() {
            if case .expr(let program) = rule.body, !rule.needsRuntimeCheck {
                plainPrograms[index] = Unmanaged.passUnretained(program)
            }
        }
        for (slot, kind) in policy.slotKinds.enumerated() {
            switch kind {
            case .rule(let index): kinds[slot] = index
            case .group: kinds[slot] = Self.group
            case .input, .parameter: kinds[slot] = Self.given
            }
            readyTemplate[slot] = kinds[slot] == Self.given
            ready[slot] = readyTemplate[slot]
        }
    }

    deinit {
        values.deinitialize()
        values.deallocate()
        kinds.deallocate()
        plainPrograms.deallocate()
        ready.deallocate()
        readyTemplate.deallocate()
        fastReadyTemplate.deallocate()
        leafOfSlot.deallocate()
    }

    /// Binds a ticket's inputs and forgets everything computed for the previous one.
    public func reset(ticket: JSONObject) {
        startTicket(readyTemplate)
        policy.inputs.bind(ticket, values: values, pendingGroups: &pendingGroups)
        // Object inputs the ticket omitted (or got wrong) already hold null or an error.
        for slot in policy.groupSlots where !pendingGroups.contains(slot) { ready[slot] = true }
    }

    /// Forgets the previous ticket: nothing computed, the whole budget of steps.
    @inline(__always)
    private func startTicket(_ template: UnsafeMutableBufferPointer<Bool>) {
        if let to = ready.baseAddress, let from = template.baseAddress { to.update(from: from, count: ready.count) }
        budget?.reset()
        pendingGroups.removeAll(keepingCapacity: true)
        lazyCaptures = nil
    }

    /// Binds a ticket read by the fast path (`FieldScanner`) through `plan`:
    /// the object inputs now, each other field when first read, from `line`,
    /// which must stay as it is until `finishLine()`.
    func reset(scanner: FieldScanner, line: UnsafeRawBufferPointer, plan: FastInputPlan) {
        if fastPlan?.toOpaque() != Unmanaged.passUnretained(plan).toOpaque() { adopt(plan) }
        startTicket(fastReadyTemplate)
        let captures = scanner.captures
        lazyCaptures = captures
        lazyLine = line
        plan.bind(captures, line, values: values, ready: ready, pendingGroups: &pendingGroups)
        for slot in policy.groupSlots where !pendingGroups.contains(slot) { ready[slot] = true }
    }

    /// The line of `reset(scanner:line:plan:)` is going away: fields not read
    /// by then are not read for this ticket (values already read stay, for
    /// `currentValue(slot:)`).
    func finishLine() {
        lazyCaptures = nil
        lazyLine = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Takes `plan` as the fast path's binding (once per plan: the evaluator
    /// keeps one plan per policy).
    private func adopt(_ plan: FastInputPlan) {
        fastPlan = Unmanaged.passUnretained(plan)
        leafOfSlot.update(repeating: -1)
        if let to = fastReadyTemplate.baseAddress, let from = readyTemplate.baseAddress {
            to.update(from: from, count: fastReadyTemplate.count)
        }
        for leaf in plan.leaves where leaf.slot < leafOfSlot.count {
            leafOfSlot[leaf.slot] = leaf.index
            fastReadyTemplate[leaf.slot] = false
        }
    }

    public func value(slot: Int) -> CELValue {
        let v = read(slot)
        if let tracer { tracer.slotRead(slot, value: v) }
        return v
    }

    /// The value a slot holds for the current ticket, as it is: for a slot
    /// read while the ticket was evaluated (an input, a parameter, a rule or
    /// an object input computed then), the value that read gave; reads and
    /// computes nothing.
    public func currentValue(slot: Int) -> CELValue { values[slot] }

    /// `slot == null` without building an object input that is there: its
    /// map would be no null, whatever its fields. With a tracer listening,
    /// the value is read as usual (explanations show it).
    public func isNull(slot: Int) -> CELValue {
        if tracer == nil, !ready[slot], kinds[slot] == Self.group { return .bool(false) }
        return CELValue.comparedToNull(value(slot: slot))
    }

    /// The value of a rule, computing it (and what it needs) if not done yet.
    public func ruleValue(_ index: Int) -> CELValue {
        read(policy.rules[index].slot)
    }

    /// A slot's value, computing a rule or building an object input on first
    /// read; reports no read (building an object input reads its fields this way).
    private func read(_ slot: Int) -> CELValue {
        if ready[slot] { return values[slot] }
        let kind = kinds[slot]
        let v: CELValue
        if kind >= 0 {
            v = evaluate(rule: kind)
        } else if case .group(let group) = policy.slotKinds[slot] {
            var entries: [(CELValue, CELValue)] = []
            for (key, fieldSlot) in zip(group.keys, group.slots) {
                // Fields without a value (missing, invalid or null) are absent from the map.
                let field = read(fieldSlot)
                switch field {
                case .error, .null: continue
                default: entries.append((.string(key), field))
                }
            }
            v = .map((try? CELMap(entries: entries)) ?? CELMap())
        } else if leafOfSlot[slot] >= 0, let plan = fastPlan {
            // A field of the line being read, converted on its first read.
            // (Never read after `finishLine()` today; were it, it says so.)
            guard let captures = lazyCaptures else { return .error(Self.lineGone) }
            v = plan._withUnsafeGuaranteedRef { $0.value(leaf: leafOfSlot[slot], captures, lazyLine) }
        } else {
            return values[slot]
        }
        values[slot] = v
        ready[slot] = true
        return v
    }

    private func evaluate(rule index: Int) -> CELValue {
        if let program = plainPrograms[index] {
            tracer?.ruleStarted(index)
            let result = program._withUnsafeGuaranteedRef { run($0, ExpressionRef(rule: index, part: .expr)) }
            tracer?.ruleFinished(index, value: result)
            return result
        }
        let rule = policy.rules[index]
        tracer?.ruleStarted(index)
        var result: CELValue
        switch rule.body {
        case .expr(let program):
            result = run(program, ExpressionRef(rule: index, part: .expr))
        case .table(let table):
            result = evaluate(table, rule: index)
        case .items(let items):
            result = evaluate(items, rule: index)
        }
        if rule.needsRuntimeCheck, !result.isError, !result.conforms(to: rule.celType) {
            result = .error(
                CELError(.typeMismatch, "rule `\(rule.name)` gave \(result.celLiteral), not a value of type \(rule.type)"))
        }
        tracer?.ruleFinished(index, value: result)
        return result
    }

    /// Evaluates one expression; with a tracer that wants them, its node events too.
    @inline(__always)
    private func run(_ program: CELProgram, _ ref: @autoclosure () -> ExpressionRef) -> CELValue {
        guard let t = expressionTracer else { return program.evaluate(self) }
        let r = ref()
        t.expressionStarted(r)
        let v = program.evaluate(self, tracer: t)
        t.expressionFinished(r, value: v)
        return v
    }

    /// One pass over the rows in order; the hit policy decides what a holding row does.
    /// A row whose condition is undetermined makes the table undetermined.
    private func evaluate(_ table: CompiledTable, rule index: Int) -> CELValue {
        let rule = policy.rules[index]
        var matched: Int?
        var collected: [CELValue] = []
        rows: for (i, row) in table.rows.enumerated() {
            var holds = true
            if let when = row.when {
                switch condition(run(when, ExpressionRef(rule: index, part: .when(i))), what: "row \(i + 1) of `\(rule.name)`") {
                case .failure(let e): return .error(e)
                case .success(let b): holds = b
                }
            }
            tracer?.rowTried(rule: index, row: i, matched: holds)
            guard holds else { continue }
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
                tracer?.rowSelected(rule: index, row: i)
                let v = run(row.then, ExpressionRef(rule: index, part: .then(i)))
                if case .error = v { return v }
                collected.append(v)
            }
        }
        if table.hit == .collect { return .list(collected) }
        if let m = matched {
            tracer?.rowSelected(rule: index, row: m)
            return run(table.rows[m].then, ExpressionRef(rule: index, part: .then(m)))
        }
        if let d = table.defaultRow {
            tracer?.rowTried(rule: index, row: -1, matched: true)
            tracer?.rowSelected(rule: index, row: -1)
            return run(d.then, ExpressionRef(rule: index, part: .then(-1)))
        }
        return .error(CELError(.other, "no row of `\(rule.name)` applies to this ticket"))
    }

    private func evaluate(_ items: [CompiledItem], rule index: Int) -> CELValue {
        var out: [CELValue] = []
        for (i, item) in items.enumerated() {
            switch condition(run(item.when, ExpressionRef(rule: index, part: .item(i))), what: "item `\(item.id)`") {
            case .failure(let e): return .error(e)
            case .success(let held):
                tracer?.itemTried(rule: index, item: i, held: held)
                if held { out.append(item.value) }
            }
        }
        return .list(out)
    }

    private func condition(_ value: CELValue, what: @autoclosure () -> String) -> Result<Bool, CELError> {
        switch value {
        case .bool(let b): return .success(b)
        case .error(let e): return .failure(e)
        case let other:
            return .failure(CELError(.typeMismatch, "the condition of \(what()) gave \(other.celLiteral), not a bool"))
        }
    }
}
