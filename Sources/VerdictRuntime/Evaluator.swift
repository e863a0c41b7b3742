import CEL
import VerdictJSON

/// Every concrete policy of a folder, compiled, and the router that picks one per ticket.
public final class CompiledPolicySet: Sendable {
    /// Sorted by name, and the versions of one name by the day they take effect.
    public let policies: [CompiledPolicy]
    public let router: Router

    /// `policies` in any order: they are sorted here.
    public init(policies: [CompiledPolicy]) {
        let sorted = policies.sorted {
            ($0.name, $0.dating?.from?.daysSinceEpoch ?? Int64.min) < ($1.name, $1.dating?.from?.daysSinceEpoch ?? Int64.min)
        }
        self.policies = sorted
        self.router = Router(routes: Self.routes(sorted))
    }

    /// Each policy's route: its selectors, and for a dated version the days it
    /// is in force, up to the day the next version of the same name takes
    /// effect. When some version of a name is dated, all its versions are
    /// (an undated one from the beginning of time), by the same date input.
    static func routes(_ policies: [CompiledPolicy]) -> [Router.Route] {
        // The versions of each name, in order (linear: 10,000 policies load in one pass).
        var versionsOf: [String: [Int]] = [:]
        for (i, p) in policies.enumerated() { versionsOf[p.name, default: []].append(i) }
        return policies.indices.map { i in
            let p = policies[i]
            let versions = versionsOf[p.name] ?? [i]
            var window: Router.Window?
            if let d = p.dating ?? versions.lazy.compactMap({ policies[$0].dating }).first {
                let next = versions.first { $0 > i }.map { policies[$0] }
                window = Router.Window(
                    input: d.input, inputIsTimestamp: d.inputIsTimestamp, from: p.dating?.from,
                    until: next?.dating?.from)
            }
            return Router.Route(name: p.name, version: p.identity.version, selectors: p.selectors, window: window)
        }
    }

    /// The policy with this name that answers tickets: of several versions, the latest.
    public func policy(named name: String) -> CompiledPolicy? {
        policies.last { $0.name == name }
    }

    public func index(named name: String) -> Int? {
        policies.lastIndex { $0.name == name }
    }

    /// All decision names across policies, sorted.
    public var decisionNames: [String] {
        Array(Set(policies.flatMap(\.decisionNames))).sorted()
    }

    /// The same set with traced expression plans (see `CompiledPolicy.traced()`).
    public func traced() -> CompiledPolicySet {
        CompiledPolicySet(policies: policies.map { $0.traced() })
    }
}

/// Asking for a decision no policy has is a usage error.
public struct UsageError: Error, Sendable {
    public var message: String

    public init(message: String) { self.message = message }
}

/// Which decisions to answer, per policy: all of a policy's decisions in
/// declaration order, or the names asked for (`--ask`), in the order asked.
public struct AskPlan: Sendable {
    public struct Decision: Sendable, Hashable {
        public var name: String
        /// The rule answering it; nil when the policy lacks the decision.
        public var rule: Int?
        /// Why it is undetermined when the policy lacks it.
        public var absentReason: String
    }

    /// Indexed like the set's policies.
    public let decisions: [[Decision]]
    /// The names asked for, without repeats; empty for "every decision".
    public let asked: [String]

    /// Every decision of every policy.
    public init(allOf policies: CompiledPolicySet) {
        self.asked = []
        self.decisions = Self.decisions(policies, names: [])
    }

    public init(policies: CompiledPolicySet, ask: [String] = []) throws(UsageError) {
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
        self.asked = unique
        self.decisions = Self.decisions(policies, names: unique)
    }

    static func decisions(_ policies: CompiledPolicySet, names: [String]) -> [[Decision]] {
        policies.policies.map { p in
            (names.isEmpty ? p.decisionNames : names).map { name in
                let rule = p.decisionByName[name]
                return Decision(
                    name: name, rule: rule,
                    absentReason: rule == nil ? "`\(name)` is not a decision of policy `\(p.name)`" : "")
            }
        }
    }
}

/// A decision's answer for one ticket.
public enum DecisionOutcome: Sendable, Equatable {
    case value(CELValue)
    /// Its inputs are missing or invalid, or the policy lacks it: the reason.
    case undetermined(String)
}

/// The answer to one ticket, as a value: what a writer renders, a test
/// compares and a diff replays. Reused from ticket to ticket (its arrays keep
/// their capacity), so evaluating allocates nothing for it.
public struct Evaluation: Sendable {
    public enum Status: Sendable, Equatable {
        /// Every asked decision has an outcome.
        case answered
        /// The line could not be evaluated at all (not JSON, not an object, no policy): `failure` says why.
        case failed
    }

    public internal(set) var status: Status = .failed
    /// The ticket's `id` as given (any JSON value), nil when it has none or the line is not an object.
    public var id: JSONValue? {
        if idJSON.isEmpty { return idValue }
        return .string(String(decoding: idJSON.dropFirst().dropLast(), as: UTF8.self))
    }
    /// The id's JSON text, quotes included, when it is a string without
    /// escapes (the scanner's common case: written back as it came, no
    /// string made); empty otherwise (then `id` is the value as read).
    public internal(set) var idJSON: [UInt8] = []
    var idValue: JSONValue?
    /// Index of the answering policy in the set; meaningful when answered.
    public internal(set) var policy: Int = -1
    /// One per decision of `AskPlan.decisions[policy]`, in that order.
    public internal(set) var outcomes: [DecisionOutcome] = []
    public internal(set) var failure: String = ""

    public init() {}
}

/// Evaluates tickets: parse, route, bind, answer the asked decisions. Holds
/// one reusable activation per policy; one evaluator per thread.
public final class Evaluator {
    public let policies: CompiledPolicySet
    public let plan: AskPlan
    public let tracer: (any EvaluationTracer)?
    /// The policies evaluation runs on: `policies`, or their traced twins when
    /// the tracer wants expression events (whose node ids refer to these).
    public let running: CompiledPolicySet
    private let activations: [TicketActivation]
    private var routeScratch: Router.Scratch
    /// The fast path: a scanner for every field some policy reads, and each
    /// policy's binding from it (nil: that policy reads slowly).
    @exclusivity(unchecked) private var scanner: FieldScanner
    private let fastPlans: [FastInputPlan?]
    /// The members of a ticket the slow path builds (the rest is validated, not kept).
    private let keep: JSONKeep
    private let idCapture: Int
    private let routeCaptures: [Int]
    private let dateCaptures: [Int]
    /// Per routing key, the code of the ticket's value (`Router.CodedRoutes`).
    private let routeCodes: UnsafeMutableBufferPointer<Int>
    /// False to read every line with `JSONReader` (the slow path); the tests
    /// compare both paths line by line.
    public var usesFastPath = true

    /// With a tracer that wants expression events, evaluation runs on traced
    /// plans of the same policies (`CompiledPolicySet.traced()`).
    public init(policies: CompiledPolicySet, plan: AskPlan, tracer: (any EvaluationTracer)? = nil) {
        self.policies = policies
        self.plan = plan
        self.tracer = tracer
        let running = tracer?.tracesExpressions == true ? policies.traced() : policies
        self.running = running
        self.activations = running.policies.map { TicketActivation(policy: $0, tracer: tracer) }
        self.routeScratch = policies.router.makeScratch()
        var paths: [[String]] = [["id"]]
        // What the slow path builds: the values read whole (an object input
        // is read through its declared fields only, as the scanner binds it).
        var kept: [[String]] = [["id"]]
        func add(_ nodes: [InputPlan.Node]) {
            for n in nodes {
                let path = n.path.split(separator: ".").map(String.init)
                paths.append(path)
                if case .object(let children) = n.kind { add(children) } else { kept.append(path) }
            }
        }
        for p in running.policies { add(p.inputs.roots) }
        let routing = policies.router.keys.map(\.path) + policies.router.dateKeys.map(\.path)
        paths += routing
        self.keep = JSONKeep(paths: kept + routing)
        let schema = FieldScanner.Schema(paths: paths)
        self.scanner = FieldScanner(schema: schema)
        self.fastPlans = running.policies.map { FastInputPlan(inputs: $0.inputs, schema: schema) }
        self.idCapture = schema.ids["id"] ?? 0
        self.routeCaptures = policies.router.keys.map { schema.ids[$0.name] ?? 0 }
        self.dateCaptures = policies.router.dateKeys.map { schema.ids[$0.name] ?? 0 }
        self.routeCodes = .allocate(capacity: max(1, policies.router.keys.count))
        routeCodes.initialize(repeating: Router.CodedRoutes.missing)
    }

    deinit { routeCodes.deallocate() }

    /// Evaluates one line of JSON (without its line end).
    public func evaluate(line: UnsafeRawBufferPointer, into e: inout Evaluation) {
        if usesFastPath, scanner.scan(line) {
            evaluateScanned(line, into: &e)
            return
        }
        e.idJSON.removeAll(keepingCapacity: true)
        switch JSONReader.parse(line, keep: keep) {
        case .failure(let error):
            fail(&e, id: nil, "invalid JSON at byte \(error.offset + 1): \(error.message)")
        case .success(.object(let ticket)):
            evaluate(ticket: ticket, into: &e)
        case .success(let other):
            fail(&e, id: nil, "a ticket must be a JSON object, not \(InputPlan.describe(other))")
        }
    }

    /// Evaluates one ticket, a JSON object.
    public func evaluate(ticket: JSONObject, into e: inout Evaluation) {
        e.idJSON.removeAll(keepingCapacity: true)
        let id = ticket["id"]
        switch policies.router.route(ticket, scratch: &routeScratch) {
        case .failure(let f):
            fail(&e, id: id, f.message)
        case .success(let index):
            start(&e, id: id, policy: index)
            let activation = activations[index]
            activation.reset(ticket: ticket)
            answer(&e, activation, policy: index)
        }
    }

    /// The value of a captured field as JSON (small: a selector, a date, the id).
    private func json(_ capture: Int, _ line: UnsafeRawBufferPointer) -> JSONValue? {
        guard let c = scanner.capture(capture) else { return nil }
        if c.kind == .string, !c.escaped {
            return .string(String(decoding: UnsafeRawBufferPointer(rebasing: line[(c.start + 1)..<(c.end - 1)]), as: UTF8.self))
        }
        if case .success(let v) = JSONReader.parse(UnsafeRawBufferPointer(rebasing: line[c.start..<c.end])) { return v }
        return nil
    }

    /// The policy for a scanned line by the codes of its key values, without
    /// strings; nil when a value is not a plain string some policy names, or
    /// no policy takes the ticket (`route` then decides, and says why).
    @inline(__always)
    private func codedRoute(_ line: UnsafeRawBufferPointer) -> Int? {
        guard let coded = policies.router.coded, let base = line.baseAddress else { return nil }
        for k in routeCaptures.indices {
            guard let c = scanner.capture(routeCaptures[k]), c.kind != .null else {
                routeCodes[k] = Router.CodedRoutes.missing
                continue
            }
            guard c.kind == .string, !c.escaped else { return nil }
            let start = c.start + 1
            let length = c.end - 1 - start
            let values = coded.values[k]
            var code = -1
            for (i, v) in values.enumerated() where v.count == length {
                if v.withUnsafeBytes({ FieldScanner.same(base + start, $0.baseAddress ?? base, length) }) {
                    code = i
                    break
                }
            }
            guard code >= 0 else { return nil }
            routeCodes[k] = code
        }
        return coded.route(UnsafeBufferPointer(routeCodes))
    }

    /// A line the scanner read: route and bind from its captures, with no JSON tree.
    private func evaluateScanned(_ line: UnsafeRawBufferPointer, into e: inout Evaluation) {
        // A plain string id is kept as its JSON text; any other as a value.
        var id: JSONValue?
        e.idJSON.removeAll(keepingCapacity: true)
        if let c = scanner.capture(idCapture), c.kind == .string, !c.escaped {
            e.idJSON.append(contentsOf: line[c.start..<c.end])
        } else {
            id = json(idCapture, line)
        }
        let routed = codedRoute(line).map { Result<Int, RouteFailure>.success($0) }
            ?? policies.router.route(scratch: &routeScratch) { k, isDate in
                json(isDate ? dateCaptures[k] : routeCaptures[k], line)
            }
        switch routed {
        case .failure(let f):
            fail(&e, id: id, f.message)
        case .success(let index):
            let activation = activations[index]
            guard let plan = fastPlans[index] else {
                // This policy's inputs are not all in the schema: read the line slowly.
                if case .success(.object(let ticket)) = JSONReader.parse(line, keep: keep) { evaluate(ticket: ticket, into: &e) }
                return
            }
            start(&e, id: id, policy: index)
            activation.reset(scanner: scanner, line: line, plan: plan)
            answer(&e, activation, policy: index)
            activation.finishLine()
        }
    }

    /// `id` nil with `e.idJSON` set keeps the id the scanner read.
    private func start(_ e: inout Evaluation, id: JSONValue?, policy index: Int) {
        e.status = .answered
        e.idValue = id
        e.policy = index
        e.failure = ""
        e.outcomes.removeAll(keepingCapacity: true)
        tracer?.ticketStarted(policy: index)
    }

    private func answer(_ e: inout Evaluation, _ activation: TicketActivation, policy index: Int) {
        for d in plan.decisions[index] {
            guard let rule = d.rule else {
                e.outcomes.append(.undetermined(d.absentReason))
                continue
            }
            switch activation.ruleValue(rule) {
            case .error(let err): e.outcomes.append(.undetermined(err.message))
            case let v: e.outcomes.append(.value(v))
            }
        }
    }

    /// The index of the policy that would answer this ticket, or why none would.
    public func route(ticket: JSONObject) -> Result<Int, RouteFailure> {
        policies.router.route(ticket, scratch: &routeScratch)
    }

    /// The activation of a policy, bound to a ticket: for evaluating an
    /// expression as inside the policy (`verdict expr --policy`).
    public func activation(policy index: Int, ticket: JSONObject) -> TicketActivation {
        let a = activations[index]
        a.reset(ticket: ticket)
        return a
    }

    /// The activation of a policy as the last ticket left it: where the
    /// values an explanation shows are read from.
    public func activation(policy index: Int) -> TicketActivation { activations[index] }

    private func fail(_ e: inout Evaluation, id: JSONValue?, _ message: String) {
        e.status = .failed
        e.idValue = id
        e.policy = -1
        e.outcomes.removeAll(keepingCapacity: true)
        e.failure = message
    }
}
