import CEL
import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictCompiler
import VerdictDecode
import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictOutput
import VerdictRuntime

/// A test case ready to run: its ticket as one JSON line, its expectations typed.
public struct PreparedCase: Sendable {
    public var file: String
    public var name: String
    public var at: SourceRef
    public var line: [UInt8]
    public var expectations: [(decision: String, expected: TypedExpectation)]
    public var expectError: String?
    public var policy: (name: String, version: String?)?
}

public enum TypedExpectation: Sendable {
    case value(CELValue)
    case undetermined(reason: String?)
}

/// One case's outcome.
public struct CaseResult: Sendable {
    public struct Failure: Sendable {
        public var decision: String
        public var expected: String
        public var actual: String
    }

    public var file: String
    public var name: String
    public var at: SourceRef
    public var failures: [Failure]
    /// The explanation of the actual answers that failed.
    public var explanation: String?
    public var passed: Bool { failures.isEmpty }
}

/// `verdict test`: test files found, checked against the policies as policies
/// are checked (every problem with file:line:column), then run.
public struct TestRunner {
    public let policies: PolicySet

    public init(policies: PolicySet) { self.policies = policies }

    /// The test files under the given paths (files, or folders searched for
    /// `*.yaml`); with no paths, `DIR/tests/**` and `DIR/*.test.yaml`.
    public static func discover(_ paths: [String], policiesDirectory: String) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        func walk(_ dir: String) {
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else { return }
            for name in names.sorted() {
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                guard fm.fileExists(atPath: path) else { continue }
                if FileSystem.isDirectory(path) {
                    walk(path)
                } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                    out.append(path)
                }
            }
        }
        if paths.isEmpty {
            let base = policiesDirectory.hasSuffix("/") ? String(policiesDirectory.dropLast()) : policiesDirectory
            walk(base + "/tests")
            let beside = ((try? fm.contentsOfDirectory(atPath: base)) ?? []).filter(PolicySet.isTestFile).sorted()
            out += beside.map { base + "/" + $0 }
            return out
        }
        for p in paths {
            if FileSystem.isDirectory(p) { walk(p) } else { out.append(p) }
        }
        return out
    }

    /// Reads and checks every file; all or nothing, like policies.
    public func prepare(files: [(path: String, bytes: [UInt8])]) throws(PolicyLoadError) -> [PreparedCase] {
        var log = DiagnosticLog()
        var sources: [String: [UInt8]] = [:]
        var out: [PreparedCase] = []
        for (path, bytes) in files {
            sources[path] = bytes
            let (suite, diagnostics) = TestFileReader.read(path: path, bytes: bytes)
            log.append(contentsOf: diagnostics)
            guard let suite else { continue }
            var checker = CaseChecker(set: policies, suite: suite)
            for c in suite.cases {
                if let prepared = checker.prepare(c) { out.append(prepared) }
            }
            log.append(contentsOf: checker.log.diagnostics)
        }
        let unique = Array(Set(log.diagnostics)).sorted()
        guard unique.isEmpty else { throw PolicyLoadError(diagnostics: unique, sources: sources) }
        return out
    }

    /// Runs the cases; `coverage` (if any) counts what they exercise.
    public func run(
        _ cases: [PreparedCase], coverage: CoverageTracer? = nil, language: ExplainLanguage = .en
    ) -> [CaseResult] {
        run(cases, on: policies.compiled, coverage: coverage, language: language)
    }

    /// Runs the cases on other compiled policies of the same shape (a mutant, in the mutation test).
    public func run(
        _ cases: [PreparedCase], on compiled: CompiledPolicySet, coverage: CoverageTracer? = nil,
        language: ExplainLanguage = .en
    ) -> [CaseResult] {
        let plan = AskPlan(allOf: compiled)
        let evaluator = Evaluator(policies: compiled, plan: plan, tracer: coverage)
        var e = Evaluation()
        var results: [CaseResult] = []
        for c in cases {
            c.line.withUnsafeBytes { evaluator.evaluate(line: $0, into: &e) }
            var failures: [CaseResult.Failure] = []
            if let wanted = c.expectError {
                if e.status != .failed {
                    failures.append(.init(decision: "error line", expected: "an error containing \"\(wanted)\"", actual: "answered"))
                } else if !e.failure.contains(wanted) {
                    failures.append(.init(decision: "error line", expected: "an error containing \"\(wanted)\"", actual: e.failure))
                }
            }
            if e.status == .answered {
                let decisions = plan.decisions[e.policy]
                for (name, expected) in c.expectations {
                    guard let i = decisions.firstIndex(where: { $0.name == name }) else { continue }
                    if let f = compare(name, expected, e.outcomes[i]) { failures.append(f) }
                }
            } else if c.expectError == nil {
                failures.append(.init(decision: "ticket", expected: "an answer", actual: "error: \(e.failure)"))
            }
            var explanation: String?
            if !failures.isEmpty, e.status == .answered, compiled === policies.compiled {
                explanation = explain(c, failures.map(\.decision), language)
            }
            results.append(CaseResult(file: c.file, name: c.name, at: c.at, failures: failures, explanation: explanation))
        }
        return results
    }

    func compare(_ name: String, _ expected: TypedExpectation, _ actual: DecisionOutcome) -> CaseResult.Failure? {
        switch (expected, actual) {
        case (.value(let want), .value(let got)):
            return want == got ? nil : .init(decision: name, expected: Self.show(want), actual: Self.show(got))
        case (.undetermined(let reason), .undetermined(let got)):
            guard let reason, !got.contains(reason) else { return nil }
            return .init(decision: name, expected: "undetermined (\(reason))", actual: "undetermined (\(got))")
        case (.value(let want), .undetermined(let got)):
            return .init(decision: name, expected: Self.show(want), actual: "undetermined (\(got))")
        case (.undetermined(let reason), .value(let got)):
            return .init(decision: name, expected: "undetermined" + (reason.map { " (\($0))" } ?? ""), actual: Self.show(got))
        }
    }

    /// An answer as a test file would write it: `true`, `12`, `2026-05-31`, `[parts, onsite]`.
    static func show(_ v: CELValue) -> String {
        switch v {
        case .string(let s): return s
        case .date(let d): return d.description
        case .timestamp(let t): return t.description
        case .list(let items): return "[" + items.map(show).joined(separator: ", ") + "]"
        default: return v.celLiteral
        }
    }

    /// The readable explanation of the failing decisions.
    func explain(_ c: PreparedCase, _ decisions: [String], _ language: ExplainLanguage) -> String? {
        let asked = decisions.filter { policies.decisionNames.contains($0) }
        guard !asked.isEmpty, let plan = try? AskPlan(policies: policies.compiled, ask: asked) else { return nil }
        let recorder = ExplainRecorder(ruleCounts: policies.policies.map(\.rules.count), expressions: true)
        let evaluator = Evaluator(policies: policies.compiled, plan: plan, tracer: recorder)
        var e = Evaluation()
        c.line.withUnsafeBytes { evaluator.evaluate(line: $0, into: &e) }
        let text = TextExplainer(policies: policies, running: evaluator.running, language: language)
        return text.render(e, plan: plan, line: c.at.line, recorder: recorder)
    }
}

/// Checks a suite's cases against the policies: ticket fields and types,
/// which policy answers, expected decisions and the types of their values.
struct CaseChecker {
    let set: PolicySet
    let suite: TestSuiteDocument
    var log = DiagnosticLog()
    private var scratch: Router.Scratch

    init(set: PolicySet, suite: TestSuiteDocument) {
        self.set = set
        self.suite = suite
        self.scratch = set.compiled.router.makeScratch()
    }

    mutating func prepare(_ c: TestCaseDecl) -> PreparedCase? {
        let before = log.count
        let merged = Self.merge(suite.base, c.ticket)
        let line: [UInt8]
        var ticket = JSONObject()
        if let raw = c.rawTicket {
            line = Array(raw.utf8)
            if case .success(.object(let o)) = JSONReader.parse(line) { ticket = o }
        } else {
            let json = merged.map(Self.json) ?? .object(JSONObject())
            if case .object(let o) = json { ticket = o }
            var w = JSONWriter(capacity: 512)
            w.value(json)
            line = w.bytes
        }
        let routed = set.compiled.router.route(ticket, scratch: &scratch)
        let wantedPolicy = c.policy ?? suite.policy
        let wantedAt = c.policyAt ?? suite.policyAt ?? c.at
        var index: Int?
        switch routed {
        case .failure(let f):
            if c.expectError == nil {
                log.error(.casePolicy, c.at, "case `\(c.name)`: no policy answers its ticket: \(f.message)")
            }
        case .success(let i):
            index = i
            if c.expectError != nil {
                log.error(
                    .casePolicy, c.at,
                    "case `\(c.name)` expects an error line, but policy `\(set.policies[i].identity.description)` answers its ticket")
            }
            if let wanted = wantedPolicy {
                let parts = wanted.split(separator: "@", maxSplits: 1).map(String.init)
                let p = set.policies[i].identity
                if p.name != parts[0] || (parts.count == 2 && p.version != parts[1]) {
                    log.error(
                        .casePolicy, wantedAt,
                        "case `\(c.name)` is answered by policy `\(p.description)`, not `\(wanted)`",
                        help: "check the ticket's selector fields (\(set.compiled.router.keys.map(\.name).joined(separator: ", ")))")
                }
            }
        }
        var expectations: [(String, TypedExpectation)] = []
        if let i = index {
            if c.rawTicket == nil, let merged { checkFields(merged, set.snapshots[i].inputs, path: "") }
            for (name, at, expected) in c.expectations {
                guard let r = set.policies[i].decisionByName[name] else {
                    log.error(
                        .unknownDecision, at, "`\(name)` is not a decision of policy `\(set.policies[i].name)`",
                        help: Suggest.help(for: name, in: set.policies[i].decisionNames))
                    continue
                }
                if let typed = type(expected, set.snapshots[i].rules[r], i, at) { expectations.append((name, typed)) }
            }
        }
        guard log.count == before else { return nil }
        let parts = wantedPolicy?.split(separator: "@", maxSplits: 1).map(String.init)
        return PreparedCase(
            file: suite.path, name: c.name, at: c.at, line: line, expectations: expectations, expectError: c.expectError,
            policy: parts.map { ($0[0], $0.count == 2 ? $0[1] : nil) })
    }

    /// The base ticket with the case's fields over it: objects merged field by field.
    static func merge(_ base: Literal?, _ over: Literal?) -> Literal? {
        guard let base else { return over }
        guard let over else { return base }
        guard case .mapping(var fields) = base.kind, case .mapping(let changes) = over.kind else { return over }
        for change in changes {
            if let i = fields.firstIndex(where: { $0.key == change.key }) {
                fields[i] = (change.key, change.keyAt, merge(fields[i].value, change.value) ?? change.value)
            } else {
                fields.append(change)
            }
        }
        return Literal(kind: .mapping(fields), at: over.at)
    }

    /// A literal as JSON the way YAML reads it: plain `12`, `true`, `null` typed, the rest text.
    static func json(_ l: Literal) -> JSONValue {
        switch l.kind {
        case .scalar(let s):
            if s.isNull { return .null }
            if let b = s.bool { return .bool(b) }
            if let i = s.int { return .number(JSONNumber(int: i)) }
            if !s.isQuoted, let d = s.double, d.isFinite, let n = JSONNumber(literal: s.text) { return .number(n) }
            return .string(s.text)
        case .list(let items): return .array(items.map(json))
        case .mapping(let fields): return .object(JSONObject(fields.map { ($0.key, json($0.value)) }))
        }
    }

    /// Ticket fields must be declared inputs, with values of their types.
    mutating func checkFields(_ l: Literal, _ inputs: [InputSnapshot], path: String) {
        guard case .mapping(let fields) = l.kind else { return }
        for (key, keyAt, value) in fields {
            let full = path.isEmpty ? key : path + "." + key
            guard let input = inputs.first(where: { $0.name == key }) else {
                log.error(
                    .unknownTicketField, keyAt, "the ticket field `\(full)` is not an input of the policy",
                    help: Suggest.help(for: key, in: inputs.map(\.name)))
                continue
            }
            if case .scalar(let s) = value.kind, s.isNull { continue }
            if case .object(let children) = input.type {
                guard case .mapping = value.kind else {
                    log.error(.ticketType, value.at, "the ticket field `\(full)` must be an object of its fields")
                    continue
                }
                checkFields(value, children, path: full)
                continue
            }
            if let problem = Self.mismatch(value, input.type) {
                log.error(
                    .ticketType, value.at, "the ticket field `\(full)` must be \(problem)",
                    help: "to test a ticket with a wrong value, give the whole line as `raw_ticket`")
            }
        }
    }

    /// What is wrong with a value for a type, in words, or nil.
    static func mismatch(_ l: Literal, _ t: InputType) -> String? {
        switch (t, l.kind) {
        case (.list(let inner), .list(let items)):
            return items.lazy.compactMap { mismatch($0, inner) }.first
        case (.list, _): return "a list"
        case (_, .scalar(let s)):
            switch t {
            case .bool: return s.bool != nil && !s.isQuoted ? nil : "true or false, not `\(s.text)`"
            case .int: return s.int != nil && !s.isQuoted ? nil : "a whole number, not `\(s.text)`"
            case .double: return s.double != nil && !s.isQuoted ? nil : "a number, not `\(s.text)`"
            case .string: return nil
            case .date: return CELDate.parse(s.text) != nil ? nil : "a date (YYYY-MM-DD), not `\(s.text)`"
            case .timestamp:
                return CELTimestamp.parse(s.text) != nil ? nil : "an RFC 3339 timestamp with an offset, not `\(s.text)`"
            case .enumeration(let values):
                guard !values.contains(s.text) else { return nil }
                return "one of \(values.joined(separator: ", ")), not `\(s.text)`"
                    + (Suggest.closest(to: s.text, in: values).map { " (did you mean `\($0)`?)" } ?? "")
            default: return nil
            }
        default: return "a single value"
        }
    }

    /// An expectation typed by the decision's type.
    mutating func type(_ e: Expectation, _ rule: RuleSnapshot, _ policy: Int, _ at: SourceRef) -> TypedExpectation? {
        guard case .value(let literal) = e else {
            if case .undetermined(let reason) = e { return .undetermined(reason: reason) }
            return nil
        }
        guard let v = value(literal, rule.type, policy) else {
            log.error(
                .expectationType, literal.at,
                "the expected answer of `\(rule.name)` must be \(Self.describe(rule.type)), or `undetermined`")
            return nil
        }
        return .value(v)
    }

    mutating func value(_ l: Literal, _ t: ValueType, _ policy: Int) -> CELValue? {
        switch (t, l.kind) {
        case (.list(let inner), .list(let items)):
            var out: [CELValue] = []
            for item in items {
                guard let v = value(item, inner, policy) else { return nil }
                out.append(v)
            }
            return .list(out)
        case (.catalogList(let catalog), .list(let items)):
            let entries = set.snapshots[policy].catalog(named: catalog)?.entries.map(\.id) ?? []
            var out: [CELValue] = []
            for item in items {
                guard case .scalar(let s) = item.kind else { return nil }
                if !entries.contains(s.text) {
                    log.error(
                        .expectationType, item.at, "`\(s.text)` is not an entry of catalogue `\(catalog)`",
                        help: Suggest.help(for: s.text, in: entries))
                }
                out.append(.string(s.text))
            }
            return .list(out)
        case (.enumeration(let values, _), .scalar(let s)):
            return values.contains(s.text) ? .string(s.text) : nil
        case (_, .scalar(let s)):
            switch t {
            case .bool: return !s.isQuoted ? s.bool.map(CELValue.bool) : nil
            case .int: return !s.isQuoted ? s.int.map(CELValue.int) : nil
            case .double: return !s.isQuoted ? s.double.map(CELValue.double) : nil
            case .string: return .string(s.text)
            case .date: return CELDate.parse(s.text).map(CELValue.date)
            case .timestamp: return CELTimestamp.parse(s.text).map(CELValue.timestamp)
            default: return nil
            }
        default: return nil
        }
    }

    static func describe(_ t: ValueType) -> String {
        switch t {
        case .bool: "true or false"
        case .int: "a whole number"
        case .double: "a number"
        case .string: "a text"
        case .date: "a date (YYYY-MM-DD)"
        case .timestamp: "an RFC 3339 timestamp"
        case .catalogList(let c): "a list of `\(c)` ids, e.g. [a, b]"
        case .list(let e): "a list of \(describe(e))"
        case .enumeration(let values, _): "one of " + values.joined(separator: ", ")
        case .named(let n): "a value of `\(n)`"
        }
    }
}
