import CEL

/// Receives what happens while a ticket is evaluated: one stream of events
/// that `--explain` (`ExplainRecorder`), coverage and recording consumers read
/// each in their own way. Without a tracer evaluation pays one branch per
/// event site; expression-node events come only from traced plans
/// (`CompiledPolicy.traced()`), so they cost nothing unless asked for.
///
/// Ids: `rule` indexes `CompiledPolicy.rules`; `row` indexes the table's rows
/// (-1 is the `default` row); `item` indexes the rule's items; `slot` indexes
/// the policy's slots; CEL node ids index `CELProgram.nodes` of the
/// expression most recently started. All of them map back to the snapshot and
/// its source map (file:line:column) by the rule's name.
public protocol EvaluationTracer: CELTracer {
    /// Whether this tracer wants expression-node events (and so traced plans).
    /// Read once, when the evaluator is made.
    var tracesExpressions: Bool { get }
    /// A ticket goes to the policy at this index of the set.
    func ticketStarted(policy: Int)
    func ruleStarted(_ rule: Int)
    /// The rule's value: a value, or an error (undetermined).
    func ruleFinished(_ rule: Int, value: CELValue)
    /// A slot was read while a rule was being evaluated (its value once known).
    func slotRead(_ slot: Int, value: CELValue)
    /// A table row's condition gave a bool; the `default` row (-1) is "tried" when reached.
    func rowTried(rule: Int, row: Int, matched: Bool)
    /// The row that decides the table (for `first` and `unique`; every matching row for `collect`).
    func rowSelected(rule: Int, row: Int)
    func itemTried(rule: Int, item: Int, held: Bool)
    func expressionStarted(_ expression: ExpressionRef)
    func expressionFinished(_ expression: ExpressionRef, value: CELValue)
}

extension EvaluationTracer {
    public var tracesExpressions: Bool { false }
    public func ticketStarted(policy: Int) {}
    public func ruleStarted(_ rule: Int) {}
    public func ruleFinished(_ rule: Int, value: CELValue) {}
    public func slotRead(_ slot: Int, value: CELValue) {}
    public func rowTried(rule: Int, row: Int, matched: Bool) {}
    public func rowSelected(rule: Int, row: Int) {}
    public func itemTried(rule: Int, item: Int, held: Bool) {}
    public func expressionStarted(_ expression: ExpressionRef) {}
    public func expressionFinished(_ expression: ExpressionRef, value: CELValue) {}
    public func celNode(_ id: Int, value: CELValue) {}
}

/// Passes every event to several tracers (for example `--explain` and coverage at once).
public final class TracerFanout: EvaluationTracer {
    public let tracers: [any EvaluationTracer]
    public let tracesExpressions: Bool

    public init(_ tracers: [any EvaluationTracer]) {
        self.tracers = tracers
        self.tracesExpressions = tracers.contains { $0.tracesExpressions }
    }

    public func ticketStarted(policy: Int) { for t in tracers { t.ticketStarted(policy: policy) } }
    public func ruleStarted(_ rule: Int) { for t in tracers { t.ruleStarted(rule) } }
    public func ruleFinished(_ rule: Int, value: CELValue) { for t in tracers { t.ruleFinished(rule, value: value) } }
    public func slotRead(_ slot: Int, value: CELValue) { for t in tracers { t.slotRead(slot, value: value) } }
    public func rowTried(rule: Int, row: Int, matched: Bool) {
        for t in tracers { t.rowTried(rule: rule, row: row, matched: matched) }
    }
    public func rowSelected(rule: Int, row: Int) { for t in tracers { t.rowSelected(rule: rule, row: row) } }
    public func itemTried(rule: Int, item: Int, held: Bool) {
        for t in tracers { t.itemTried(rule: rule, item: item, held: held) }
    }
    public func expressionStarted(_ e: ExpressionRef) { for t in tracers { t.expressionStarted(e) } }
    public func expressionFinished(_ e: ExpressionRef, value: CELValue) {
        for t in tracers { t.expressionFinished(e, value: value) }
    }
    public func celNode(_ id: Int, value: CELValue) { for t in tracers { t.celNode(id, value: value) } }
}

/// What explanations show for one rule evaluated for a ticket.
public struct RuleRecord: Sendable {
    public var value: CELValue = .null
    /// The table row that decided (-1 for the default), for `first` and `unique`.
    public var row: Int?
    /// For a `collect` table, every row that held, in order.
    public var rows: [Int] = []
    /// The list items that held, in order.
    public var items: [Int] = []
    /// Every list item tried, with whether it held (in order).
    public var itemsTried: [(item: Int, held: Bool)] = []
    /// With expression events: each expression's node values (by node id) for this ticket.
    public var nodes: [ExpressionRef.Part: [Int: CELValue]] = [:]
}

/// Records, per ticket, every rule evaluated with what it read and what
/// decided it: the consumer of the trace stream that explanations (the JSON
/// of `--explain` and the text of `verdict explain`) are rendered from. Its
/// buffers are reused from ticket to ticket. With `expressions`, it also
/// keeps every expression node's value (from traced plans), which readable
/// explanations need to show the deciding operands.
public final class ExplainRecorder: EvaluationTracer {
    /// Indexed by rule of the current ticket's policy; meaningful for `evaluated` rules only.
    public private(set) var records: [RuleRecord] = []
    /// Rules in the order their evaluation finished (dependencies first).
    public private(set) var evaluated: [Int] = []
    /// The policy of the current ticket (index in the set).
    public private(set) var policy = -1
    public let tracesExpressions: Bool
    private var expressionStack: [ExpressionRef] = []
    private let ruleCounts: [Int]
    // Memory of the recorder's own, read and written through plain pointers
    // on every event (no array's uniqueness or bounds checks).
    /// Per rule: the number of the last ticket that evaluated it (so that
    /// "was it evaluated" needs neither a search nor a clearing per ticket).
    private let finishedIn: UnsafeMutableBufferPointer<UInt32>
    private var ticket: UInt32 = 0
    /// The rules being evaluated, innermost last (at most every rule: a rule
    /// graph has no cycle).
    private let stack: UnsafeMutableBufferPointer<Int>
    private var depth = 0
    /// The slots read for the current ticket, every rule's in one log: an
    /// entry holds a slot and the next entry of the same rule (-1 after its
    /// last); per rule, its first and last entry (-1: none). A read appends
    /// an entry: no array per rule to clear for each ticket.
    private var readLog: UnsafeMutableBufferPointer<(slot: Int32, next: Int32)>
    private var readCount = 0
    private let readEnds: UnsafeMutableBufferPointer<(first: Int32, last: Int32)>

    /// `ruleCounts[p]` is the number of rules of policy `p` of the set.
    public init(ruleCounts: [Int], expressions: Bool = false) {
        self.ruleCounts = ruleCounts
        self.tracesExpressions = expressions
        let rules = max(1, ruleCounts.max() ?? 1)
        self.finishedIn = .allocate(capacity: rules)
        finishedIn.initialize(repeating: 0)
        self.stack = .allocate(capacity: rules + 1)
        stack.initialize(repeating: 0)
        self.readEnds = .allocate(capacity: rules)
        readEnds.initialize(repeating: (-1, -1))
        self.readLog = .allocate(capacity: 64)
        readLog.initialize(repeating: (-1, -1))
    }

    deinit {
        finishedIn.deallocate()
        stack.deallocate()
        readEnds.deallocate()
        readLog.deallocate()
    }

    /// The number of rules of the current ticket's policy.
    public var ruleCount: Int { policy >= 0 ? ruleCounts[policy] : 0 }

    /// Whether the rule was evaluated for the current ticket.
    @inline(__always)
    public func wasEvaluated(_ rule: Int) -> Bool { finishedIn[rule] == ticket }

    /// The first entry of the rule's reads for the current ticket, -1 when
    /// it read nothing; `read(_:)` gives an entry's slot and the next entry.
    /// Slots come in first-read order, each once. Their values are the
    /// ticket's activation's (`TicketActivation.currentValue(slot:)`): a slot
    /// holds one value per ticket, so a copy of it per read would only repeat it.
    @inline(__always)
    public func firstRead(of rule: Int) -> Int { Int(readEnds[rule].first) }

    @inline(__always)
    public func read(_ entry: Int) -> (slot: Int, next: Int) {
        let e = readLog[entry]
        return (Int(e.slot), Int(e.next))
    }

    public func ticketStarted(policy: Int) {
        self.policy = policy
        if ticket == .max {
            // Once in four billion tickets: numbers start again.
            finishedIn.update(repeating: 0)
            ticket = 0
        }
        ticket += 1
        let n = ruleCounts[policy]
        if records.count < n { records += [RuleRecord](repeating: RuleRecord(), count: n - records.count) }
        evaluated.removeAll(keepingCapacity: true)
        depth = 0
        readCount = 0
        expressionStack.removeAll(keepingCapacity: true)
    }

    public func ruleStarted(_ rule: Int) {
        // In place, and only what the last ticket filled: most rules read a
        // few slots and have no rows or items (this ran for every rule of
        // every ticket and cost a tenth of an explained ticket).
        records.withUnsafeMutableBufferPointer { all in
            all[rule].rows.empty()
            all[rule].items.empty()
            all[rule].itemsTried.empty()
            if tracesExpressions, !all[rule].nodes.isEmpty { all[rule].nodes.removeAll(keepingCapacity: true) }
            all[rule].row = nil
        }
        readEnds[rule] = (-1, -1)
        if depth < stack.count {
            stack[depth] = rule
            depth += 1
        }
    }

    public func ruleFinished(_ rule: Int, value: CELValue) {
        records[rule].value = value
        if depth > 0 { depth -= 1 }
        evaluated.append(rule)
        finishedIn[rule] = ticket
    }

    public func slotRead(_ slot: Int, value: CELValue) {
        guard depth > 0 else { return }
        let frame = stack[depth - 1]
        let ends = readEnds[frame]
        let slot = Int32(truncatingIfNeeded: slot)
        var e = Int(ends.first)
        while e >= 0 {
            if readLog[e].slot == slot { return }
            e = Int(readLog[e].next)
        }
        if readCount == readLog.count { growReadLog() }
        let entry = Int32(truncatingIfNeeded: readCount)
        readLog[readCount] = (slot, -1)
        readCount += 1
        if ends.last >= 0 { readLog[Int(ends.last)].next = entry }
        readEnds[frame] = (ends.first >= 0 ? ends.first : entry, entry)
    }

    private func growReadLog() {
        let larger = UnsafeMutableBufferPointer<(slot: Int32, next: Int32)>.allocate(capacity: readLog.count * 2)
        _ = larger.initialize(fromContentsOf: readLog)
        larger[readLog.count...].initialize(repeating: (-1, -1))
        readLog.deallocate()
        readLog = larger
    }

    public func rowTried(rule: Int, row: Int, matched: Bool) {}

    public func rowSelected(rule: Int, row: Int) {
        records[rule].row = row
        records[rule].rows.append(row)
    }

    public func itemTried(rule: Int, item: Int, held: Bool) {
        if held { records[rule].items.append(item) }
        records[rule].itemsTried.append((item, held))
    }

    public func expressionStarted(_ expression: ExpressionRef) { expressionStack.append(expression) }

    public func expressionFinished(_ expression: ExpressionRef, value: CELValue) { expressionStack.removeLast() }

    public func celNode(_ id: Int, value: CELValue) {
        guard let e = expressionStack.last else { return }
        records[e.rule].nodes[e.part, default: [:]][id] = value
    }
}

extension Array {
    /// Removes every element, keeping the capacity: for the few elements a
    /// record holds, one `removeLast` each costs a fraction of
    /// `removeAll(keepingCapacity:)`, which goes through the general
    /// `replaceSubrange`.
    @inline(__always)
    fileprivate mutating func empty() {
        while !isEmpty { removeLast() }
    }
}
