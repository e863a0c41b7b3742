import CEL
import Dispatch
import VerdictCompiler
import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictOutput
import VerdictRuntime

/// What replaying tickets through two policy sets found: per decision, how
/// many answers changed, old → new value counts, example tickets, and which
/// semantic changes were evaluated on the tickets that changed.
public struct ReplayReport: Sendable {
    public struct DecisionStats: Sendable {
        public var changed = 0
        /// `old → new` (answers rendered as JSON; `undetermined`, `absent`) with counts:
        /// the first `maxPairs` distinct pairs in input order.
        public var pairs: [String: Int] = [:]
        /// Tickets whose pair did not fit in the kept pairs.
        public var otherPairs = 0
        /// The keys of `pairs` in the order they first occurred. A batch
        /// keeps all of its pairs (its lines bound them); merging keeps the
        /// first `maxPairs`, so which pairs are kept does not depend on where
        /// reads happened to split the input.
        var pairOrder: [String] = []
        /// Ids (or `line N`) of the first changed tickets, in input order.
        public var examples: [String] = []
        /// Index into the diff's changes → tickets on which it was evaluated.
        public var explainedBy: [Int: Int] = [:]
        /// Changed tickets on which no semantic change was evaluated (e.g. a new default).
        public var unexplained = 0
    }

    public var tickets = 0
    /// Tickets with at least one decision answered differently.
    public var changedTickets = 0
    /// Tickets answered by a different policy or version.
    public var rerouted: [String: Int] = [:]
    /// Lines that are errors on one side only.
    public var newErrors = 0
    public var fixedErrors = 0
    /// Lines that are errors on both sides.
    public var errors = 0
    public var decisions: [String: DecisionStats] = [:]
    /// Decisions in the order reports list them (the new policies' order).
    public var decisionOrder: [String] = []
    /// False when reading the tickets failed part way.
    public var inputOK = true

    static let maxPairs = 200
    static let maxExamples = 3

    /// Adds a later batch's figures (batches are merged in input order).
    mutating func merge(_ b: ReplayReport) {
        tickets += b.tickets
        changedTickets += b.changedTickets
        newErrors += b.newErrors
        fixedErrors += b.fixedErrors
        errors += b.errors
        for (k, v) in b.rerouted { rerouted[k, default: 0] += v }
        for name in b.decisionOrder where decisions[name] == nil { decisionOrder.append(name) }
        for (name, s) in b.decisions {
            var mine = decisions[name] ?? DecisionStats()
            mine.changed += s.changed
            mine.otherPairs += s.otherPairs
            mine.unexplained += s.unexplained
            for pair in s.pairOrder {
                let n = s.pairs[pair] ?? 0
                if mine.pairs[pair] != nil {
                    mine.pairs[pair, default: 0] += n
                } else if mine.pairs.count < Self.maxPairs {
                    mine.pairs[pair] = n
                    mine.pairOrder.append(pair)
                } else {
                    mine.otherPairs += n
                }
            }
            for e in s.examples where mine.examples.count < Self.maxExamples { mine.examples.append(e) }
            for (c, n) in s.explainedBy { mine.explainedBy[c, default: 0] += n }
            decisions[name] = mine
        }
    }
}

/// Replays a stream of tickets through two policy sets on every core, in
/// bounded memory: lines are read in batches, each worker evaluates whole
/// batches with its own evaluators, and the figures (and, with
/// `perTicket`, one JSON line per changed ticket) are joined in input order.
public final class Replay {
    public let old: PolicySet
    public let new: PolicySet
    public let diff: SetDiff
    public let workers: Int
    /// Write one JSON line per changed ticket (for pipes and Spark).
    public let perTicket: Bool
    /// With `perTicket`: a line for every ticket, changed or not, so that a
    /// tool can add up the whole report from the lines.
    public let allTickets: Bool
    /// Lines longer than this are error lines on both sides, as in `eval`.
    public let maxLineBytes: Int
    /// How much is read at once: a batch is the lines one read completes.
    public let chunkBytes: Int

    public init(
        old: PolicySet, new: PolicySet, diff: SetDiff, workers: Int, perTicket: Bool = false,
        allTickets: Bool = false, chunkBytes: Int = 256 << 10, maxLineBytes: Int = 64 << 20
    ) {
        self.old = old
        self.new = new
        self.diff = diff
        self.workers = max(1, workers)
        self.perTicket = perTicket
        self.allTickets = perTicket && allTickets
        self.chunkBytes = chunkBytes
        self.maxLineBytes = maxLineBytes
    }

    /// `read` fills a buffer (0 at the end, < 0 on error); `write` gets the
    /// per-ticket lines; `progress` is called after each round of batches.
    public func run(
        read: (UnsafeMutableRawBufferPointer) -> Int,
        write: ([UInt8]) -> Bool,
        progress: (ReplayReport) -> Void = { _ in }
    ) -> ReplayReport {
        let pool = (0..<workers).map { _ in ReplayWorker(self) }
        var framer = LineFramer(maxLineBytes: maxLineBytes, chunkBytes: chunkBytes)
        var report = ReplayReport()
        var more = true
        while more {
            // Take up to one batch per worker, copying each batch's bytes out of the framer.
            var batches: [Batch] = []
            while batches.count < workers, more {
                more = framer.next(read: read)
                if !framer.batch.isEmpty { batches.append(Batch(framer)) }
            }
            guard !batches.isEmpty else { continue }
            let results = UnsafeMutableBufferPointer<BatchResult>.allocate(capacity: batches.count)
            results.initialize(repeating: BatchResult())
            let shared = Shared(pool: pool, batches: batches, results: results)
            Threads.concurrentPerform(iterations: batches.count) { k in
                shared.results[k] = shared.pool[k].process(shared.batches[k])
            }
            for k in 0..<batches.count {
                report.merge(results[k].report)
                if perTicket, !results[k].lines.isEmpty, !write(results[k].lines) { more = false }
            }
            results.deinitialize()
            results.deallocate()
            progress(report)
        }
        report.inputOK = framer.inputOK
        return report
    }
}

/// The lines of one batch, copied out of the framer.
struct Batch: Sendable {
    var bytes: [UInt8]
    var lines: [FramedLine]

    init(_ framer: LineFramer) {
        var bytes: [UInt8] = []
        var lines: [FramedLine] = []
        for line in framer.batch {
            guard !line.tooLong else {
                lines.append(line)
                continue
            }
            let start = bytes.count
            framer.withBytes(of: line) { bytes.append(raw: $0) }
            lines.append(FramedLine(number: line.number, start: start, end: bytes.count, tooLong: false))
        }
        self.bytes = bytes
        self.lines = lines
    }
}

struct BatchResult {
    var report = ReplayReport()
    var lines: [UInt8] = []
}

/// What the concurrent loop shares; each iteration touches its own index only.
final class Shared: @unchecked Sendable {
    let pool: [ReplayWorker]
    let batches: [Batch]
    let results: UnsafeMutableBufferPointer<BatchResult>

    init(pool: [ReplayWorker], batches: [Batch], results: UnsafeMutableBufferPointer<BatchResult>) {
        self.pool = pool
        self.batches = batches
        self.results = results
    }
}

/// Records what a ticket's evaluation showed: the rules computed, the slots
/// read, the rows that decided and the items that held.
final class ImpactTracer: EvaluationTracer {
    var evaluated: [Int] = []
    var reads: Set<Int> = []
    var rows: [(rule: Int, row: Int)] = []
    var items: [(rule: Int, item: Int)] = []

    func ticketStarted(policy: Int) {
        evaluated.removeAll(keepingCapacity: true)
        reads.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
    }
    func ruleFinished(_ rule: Int, value: CELValue) { evaluated.append(rule) }
    func slotRead(_ slot: Int, value: CELValue) { reads.insert(slot) }
    func rowSelected(rule: Int, row: Int) { rows.append((rule, row)) }
    func itemTried(rule: Int, item: Int, held: Bool) { if held { items.append((rule, item)) } }

    /// Whether the evaluation shows one piece of evidence, on this side.
    func shows(_ e: Evidence, _ p: CompiledPolicy, old: Bool) -> Bool {
        switch e {
        case .ruleEvaluated(let name):
            return evaluated.contains { p.rules[$0].name == name }
        case .parameterRead(let name):
            return reads.contains { p.slotNames[$0] == "params." + name }
        case .inputRead(let path):
            return reads.contains { slot in
                let s = p.slotNames[slot]
                return s == path || s.hasPrefix(path + ".") || path.hasPrefix(s + ".")
            }
        case .itemHeld(let rule, let id):
            return items.contains { r, i in
                guard p.rules[r].name == rule, case .items(let list) = p.rules[r].body else { return false }
                return list[i].id == id
            }
        case .rowSelected(let rule, let oldRow, let newRow):
            guard let row = old ? oldRow : newRow else { return false }
            return rows.contains { p.rules[$0.rule].name == rule && $0.row == row }
        }
    }
}

/// A decision answered differently on one ticket, and the changes (indices
/// into the diff's changes, counted across its policies) that explain it.
struct Changed {
    var name: String
    var old: DecisionOutcome?
    var new: DecisionOutcome?
    var explainedBy: [Int] = []
}

/// One thread's evaluators and buffers.
final class ReplayWorker {
    let replay: Replay
    let oldEvaluator: Evaluator
    let newEvaluator: Evaluator
    let oldTracer = ImpactTracer()
    let newTracer = ImpactTracer()
    let oldTraced: Evaluator
    let newTraced: Evaluator
    var a = Evaluation()
    var b = Evaluation()
    /// Per (old policy, new policy): the decisions to compare, with their places in each evaluation.
    var pairings: [Int: [(name: String, old: Int?, new: Int?)]] = [:]
    /// Per new policy name: (index into all changes, its evidence, decisions it affects).
    let changes: [String: [(index: Int, evidence: [Evidence], affects: Set<String>)]]

    init(_ replay: Replay) {
        self.replay = replay
        let oldPlan = AskPlan(allOf: replay.old.compiled)
        let newPlan = AskPlan(allOf: replay.new.compiled)
        oldEvaluator = Evaluator(policies: replay.old.compiled, plan: oldPlan)
        newEvaluator = Evaluator(policies: replay.new.compiled, plan: newPlan)
        oldTraced = Evaluator(policies: replay.old.compiled, plan: oldPlan, tracer: oldTracer)
        newTraced = Evaluator(policies: replay.new.compiled, plan: newPlan, tracer: newTracer)
        var changes: [String: [(Int, [Evidence], Set<String>)]] = [:]
        var index = 0
        for p in replay.diff.policies {
            for c in p.changes {
                changes[p.name, default: []].append((index, c.evidence, Set(c.affects)))
                index += 1
            }
        }
        self.changes = changes
    }

    func pairing(_ i: Int, _ j: Int) -> [(name: String, old: Int?, new: Int?)] {
        let key = i &* 1_000_003 &+ j
        if let known = pairings[key] { return known }
        let oldNames = oldEvaluator.plan.decisions[i].map(\.name)
        let newNames = newEvaluator.plan.decisions[j].map(\.name)
        var out: [(String, Int?, Int?)] = []
        for (k, name) in newNames.enumerated() { out.append((name, oldNames.firstIndex(of: name), k)) }
        for (k, name) in oldNames.enumerated() where !newNames.contains(name) { out.append((name, k, nil)) }
        pairings[key] = out
        return out
    }

    func process(_ batch: Batch) -> BatchResult {
        var result = BatchResult()
        var w = JSONWriter(capacity: replay.perTicket ? 4096 : 0)
        for line in batch.lines {
            result.report.tickets += 1
            guard !line.tooLong else {
                result.report.errors += 1
                if replay.allTickets {
                    writeLine(line, nil, nil, [], &w, tooLong: "line is longer than \(replay.maxLineBytes) bytes")
                }
                continue
            }
            batch.bytes.withUnsafeBytes { raw in
                let slice = UnsafeRawBufferPointer(rebasing: raw[line.start..<line.end])
                oldEvaluator.evaluate(line: slice, into: &a)
                newEvaluator.evaluate(line: slice, into: &b)
            }
            compare(line, batch, &result, &w)
        }
        result.lines = w.bytes
        return result
    }

    private func compare(_ line: FramedLine, _ batch: Batch, _ result: inout BatchResult, _ w: inout JSONWriter) {
        switch (a.status, b.status) {
        case (.failed, .failed):
            result.report.errors += 1
            if replay.allTickets { writeLine(line, nil, nil, [], &w) }
            return
        case (.failed, .answered):
            result.report.fixedErrors += 1
        case (.answered, .failed):
            result.report.newErrors += 1
        case (.answered, .answered):
            break
        }
        let oldPolicy = a.status == .answered ? replay.old.policies[a.policy] : nil
        let newPolicy = b.status == .answered ? replay.new.policies[b.policy] : nil
        if let o = oldPolicy, let n = newPolicy, o.identity.name != n.identity.name || o.identity.version != n.identity.version {
            result.report.rerouted["\(o.identity.description) → \(n.identity.description)", default: 0] += 1
        }
        var changed: [Changed] = []
        if a.status == .answered, b.status == .answered {
            for p in pairing(a.policy, b.policy) {
                let x = p.old.map { a.outcomes[$0] }
                let y = p.new.map { b.outcomes[$0] }
                if !same(x, y) { changed.append(Changed(name: p.name, old: x, new: y)) }
            }
        } else if b.status == .answered {
            for (k, d) in newEvaluator.plan.decisions[b.policy].enumerated() {
                changed.append(Changed(name: d.name, old: nil, new: b.outcomes[k]))
            }
        } else {
            for (k, d) in oldEvaluator.plan.decisions[a.policy].enumerated() {
                changed.append(Changed(name: d.name, old: a.outcomes[k], new: nil))
            }
        }
        guard !changed.isEmpty else {
            if replay.allTickets { writeLine(line, oldPolicy, newPolicy, [], &w) }
            return
        }
        result.report.changedTickets += 1
        let id = ticketLabel(line)
        let (oldSide, newSide) = traced(line, batch)
        let relevant = changes[newPolicy?.name ?? oldPolicy?.name ?? ""] ?? []
        for k in changed.indices {
            let c = changed[k]
            var s = result.report.decisions[c.name] ?? {
                result.report.decisionOrder.append(c.name)
                return ReplayReport.DecisionStats()
            }()
            s.changed += 1
            let pair = render(c.old) + " → " + render(c.new)
            if s.pairs[pair] == nil { s.pairOrder.append(pair) }
            s.pairs[pair, default: 0] += 1
            if s.examples.count < ReplayReport.maxExamples { s.examples.append(id) }
            var explained = false
            for change in relevant where change.affects.contains(c.name) && change.evidence.contains(where: { e in
                (oldSide.map { oldTracer.shows(e, $0, old: true) } ?? false)
                    || (newSide.map { newTracer.shows(e, $0, old: false) } ?? false)
            }) {
                s.explainedBy[change.index, default: 0] += 1
                changed[k].explainedBy.append(change.index)
                explained = true
            }
            if !explained { s.unexplained += 1 }
            result.report.decisions[c.name] = s
        }
        if replay.perTicket { writeLine(line, oldPolicy, newPolicy, changed, &w) }
    }

    /// Evaluates the ticket again on both sides, traced (changed tickets only);
    /// the tracers then hold what each side showed, for the policy returned.
    private func traced(_ line: FramedLine, _ batch: Batch) -> (CompiledPolicy?, CompiledPolicy?) {
        var scratch = Evaluation()
        var sides: (CompiledPolicy?, CompiledPolicy?) = (nil, nil)
        batch.bytes.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(rebasing: raw[line.start..<line.end])
            oldTraced.evaluate(line: slice, into: &scratch)
            if scratch.status == .answered { sides.0 = replay.old.policies[scratch.policy] }
            newTraced.evaluate(line: slice, into: &scratch)
            if scratch.status == .answered { sides.1 = replay.new.policies[scratch.policy] }
        }
        return sides
    }

    private func same(_ x: DecisionOutcome?, _ y: DecisionOutcome?) -> Bool {
        switch (x, y) {
        case (nil, nil): return true
        case (.value(let p)?, .value(let q)?): return p == q
        case (.undetermined?, .undetermined?): return true
        default: return false
        }
    }

    private func render(_ o: DecisionOutcome?) -> String {
        switch o {
        case nil: return "absent"
        case .undetermined?: return "undetermined"
        case .value(let v)?:
            var w = JSONWriter(capacity: 32)
            ValueJSON.write(v, into: &w)
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }

    private func ticketLabel(_ line: FramedLine) -> String {
        switch b.id ?? a.id {
        case .string(let s)?: return s
        case let other?:
            var w = JSONWriter(capacity: 32)
            w.value(other)
            return String(decoding: w.bytes, as: UTF8.self)
        case nil: return "line \(line.number)"
        }
    }

    /// `{"line":N,"id":…,"old":{policy},"new":{policy},"changed":{"decision":{"old":…,"new":…,"explained_by":[…]}}}`.
    private func writeLine(
        _ line: FramedLine, _ oldPolicy: CompiledPolicy?, _ newPolicy: CompiledPolicy?,
        _ changed: [Changed], _ w: inout JSONWriter, tooLong: String? = nil
    ) {
        w.raw("{\"line\":")
        w.int(Int64(line.number))
        w.raw(",\"id\":")
        if tooLong == nil, let id = b.id ?? a.id { w.value(id) } else { w.null() }
        w.raw(",\"old\":")
        side(oldPolicy, tooLong ?? a.failure, &w)
        w.raw(",\"new\":")
        side(newPolicy, tooLong ?? b.failure, &w)
        w.raw(",\"changed\":{")
        for (k, c) in changed.enumerated() {
            if k > 0 { w.raw(",") }
            w.string(c.name)
            w.raw(":{\"old\":")
            outcome(c.old, &w)
            w.raw(",\"new\":")
            outcome(c.new, &w)
            w.raw(",\"explained_by\":[")
            for (j, index) in c.explainedBy.enumerated() {
                if j > 0 { w.raw(",") }
                w.int(Int64(index))
            }
            w.raw("]}")
        }
        w.raw("}}\n")
    }

    private func side(_ p: CompiledPolicy?, _ failure: String, _ w: inout JSONWriter) {
        guard let p else {
            w.raw("{\"error\":")
            w.string(failure)
            w.raw("}")
            return
        }
        w.raw("{\"name\":")
        w.string(p.name)
        if let v = p.identity.version {
            w.raw(",\"version\":")
            w.string(v)
        }
        w.raw(",\"digest\":")
        w.string(p.digest)
        w.raw("}")
    }

    private func outcome(_ o: DecisionOutcome?, _ w: inout JSONWriter) {
        switch o {
        case nil: w.null()
        case .value(let v)?: ValueJSON.write(v, into: &w)
        case .undetermined(let reason)?:
            w.raw("{\"undetermined\":")
            w.string(reason)
            w.raw("}")
        }
    }
}
