import CEL
import VerdictCompiler
import VerdictDecode
import VerdictDiff
import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictOutput
import VerdictRuntime
import VerdictYAML

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the fuzzers exercise, one function per target: each takes any bytes
/// and must return without crashing, hanging or breaking an invariant (it
/// returns a description of a broken invariant, nil when all hold). The
/// libFuzzer driver (`verdict-fuzz`) aborts on a description; the test
/// suite replays the seed corpora and every past finding
/// (Fuzz/regressions) through the same functions.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A ticket line through the strict JSON reader.
    case ticket
    /// A policy file through YAML, the decoder, the compiler, the checks and the diagnostic renderer.
    case policy
    /// An expression through the CEL parser, checker, cost estimate and evaluator.
    case cel
    /// JSON Lines through the whole eval path (framing, routing, binding, rules, answers, explanations).
    case eval

    public func run(_ data: UnsafeRawBufferPointer) -> String? {
        switch self {
        case .ticket: return Self.ticket(data)
        case .policy: return Self.policy(Array(data))
        case .cel: return Self.cel(String(decoding: data, as: UTF8.self))
        case .eval: return Self.eval(Array(data))
        }
    }

    public func run(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBytes { run($0) } }

    static func ticket(_ data: UnsafeRawBufferPointer) -> String? {
        switch JSONReader.parse(data) {
        case .success(let v):
            // What parses as a ticket describes itself without trapping.
            _ = InputPlan.describe(v)
        case .failure(let e):
            if e.offset < 0 || e.offset > data.count { return "error offset \(e.offset) outside \(data.count) bytes" }
        }
        return nil
    }

    static func policy(_ bytes: [UInt8]) -> String? {
        let files = [(path: "fuzz.yaml", bytes: bytes)]
        do {
            let set = try PolicySet.load(files: files)
            _ = DiagnosticRenderer.renderAll(set.warnings, sources: set.sources)
            for p in set.policies { _ = p.digest }
        } catch {
            if error.diagnostics.isEmpty { return "a policy that does not load, without a diagnostic" }
            let text = DiagnosticRenderer.renderAll(error.diagnostics, sources: error.sources)
            if text.utf8.contains(0) { return "a NUL in rendered diagnostics" }
        }
        return nil
    }

    /// The variables an expression may use: one of each kind.
    static let environment: (CELEnvironment, [CELValue]) = {
        var env = CELEnvironment()
        var values: [CELValue] = []
        func add(_ name: String, _ type: CELType, _ value: CELValue) {
            env.declare(variable: name, type: type)
            values.append(value)
        }
        add("x", .int, .int(7))
        add("y", .double, .double(2.5))
        add("s", .string, .string("repair"))
        add("b", .bool, .bool(true))
        add("tags", .list(.string), .list([.string("a"), .string("b"), .string("c")]))
        add("m", .map(.string, .int), .map((try? CELMap(entries: [(.string("k"), .int(1))])) ?? CELMap()))
        add("d", .date, CELDate.parse("2026-03-14").map(CELValue.date) ?? .null)
        add("t", .timestamp, CELTimestamp.parse("2026-03-14T09:30:00+08:00").map(CELValue.timestamp) ?? .null)
        add("n", .dyn, .null)
        return (env, values)
    }()

    static func cel(_ text: String) -> String? {
        let (env, values) = environment
        let activation = CELArrayActivation(values: values)
        for checked in [true, false] {
            let compiled = checked ? env.compile(text) : env.compileUnchecked(text)
            guard case .success(let program) = compiled else { continue }
            _ = program.estimateCost { _ in nil }
            _ = program.evaluate(activation)
            _ = program.traced().evaluate(activation)
            // The canonical text is an expression that means the same.
            let again = checked ? env.compile(program.canonicalText) : env.compileUnchecked(program.canonicalText)
            guard case .success(let reparsed) = again else {
                return "canonical text `\(program.canonicalText)` of `\(text)` does not compile"
            }
            if reparsed.canonicalText != program.canonicalText {
                return "canonical text is not stable: `\(program.canonicalText)` → `\(reparsed.canonicalText)`"
            }
        }
        return nil
    }

    /// The shipped policies, loaded once (`VERDICT_FUZZ_POLICIES`, else ./policies).
    nonisolated(unsafe) static var sinks: [TicketSink]? = nil

    public static func policiesFolder() -> String {
        guard let p = getenv("VERDICT_FUZZ_POLICIES") else { return "policies" }
        return String(cString: p)
    }

    static func loadSinks() -> [TicketSink] {
        if let sinks { return sinks }
        guard let set = try? PolicySet.load(directory: policiesFolder(), warnings: false) else {
            sinks = []
            return []
        }
        let plan = AskPlan(allOf: set.compiled)
        let made = [TicketSink(policies: set, plan: plan), TicketSink(policies: set, plan: plan, explain: true)]
        sinks = made
        return made
    }

    static func eval(_ bytes: [UInt8]) -> String? {
        for sink in loadSinks() {
            var written = 0
            var invalid: String?
            var pending: [UInt8] = []
            let summary = TicketStream(chunkBytes: 4096).run(
                sink,
                read: MemoryInput(bytes).read,
                write: { out in
                    pending += out
                    let lines = pending.split(separator: 10, omittingEmptySubsequences: false)
                    for line in lines.dropLast() {
                        written += 1
                        // Every line is one JSON value (explanations copy
                        // repeated values from earlier in the line): the
                        // first lines of each input, so that parsing does
                        // not take most of the target's time.
                        if invalid == nil, written <= 4, case .failure(let e) = JSONReader.parse(Array(line), maxDepth: 1024) {
                            invalid = "answer line \(written) is not JSON (\(e.message)): \(String(decoding: line.prefix(300), as: UTF8.self))"
                        }
                    }
                    pending = Array(lines.last ?? [])
                    return true
                })
            if let invalid { return invalid }
            // One output line per line framed, whatever it holds.
            if written != summary.lines { return "\(summary.lines) ticket lines gave \(written) answer lines" }
        }
        return nil
    }
}

/// The differential test's side of verdict (Tests/Differential/cel_diff.py):
/// each expression evaluated in `FuzzTarget.environment`, its value as one
/// line of JSON in a form both implementations can be compared in:
/// `{"int":8}`, `{"double":2.5}`, `{"string":"a"}`, `{"bool":true}`,
/// `{"null":null}`, `{"list":[…]}`, `{"map":[[k,v],…]}`, `{"error":"…"}`
/// (an evaluation error) or `{"invalid":"…"}` (the expression does not compile).
public enum DifferentialValues {
    public static func line(_ expression: String) -> String {
        let (env, values) = FuzzTarget.environment
        switch env.compile(expression) {
        case .failure(let d):
            return object("invalid", string(d.diagnostics.first?.message ?? ""))
        case .success(let program):
            return json(program.evaluate(CELArrayActivation(values: values)))
        }
    }

    static func object(_ key: String, _ value: String) -> String { "{\"\(key)\":\(value)}" }

    static func string(_ s: String) -> String {
        var w = JSONWriter(capacity: s.utf8.count + 2)
        w.string(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func json(_ v: CELValue) -> String {
        switch v {
        case .null: return object("null", "null")
        case .bool(let b): return object("bool", b ? "true" : "false")
        case .int(let i): return object("int", String(i))
        case .double(let d):
            if d.isNaN { return object("double", "\"NaN\"") }
            if d.isInfinite { return object("double", d > 0 ? "\"Infinity\"" : "\"-Infinity\"") }
            return object("double", "\(d)")
        case .string(let s): return object("string", string(s))
        case .list(let items): return object("list", "[" + items.map(json).joined(separator: ",") + "]")
        case .map(let m):
            return object("map", "[" + m.entries.map { "[\(json($0.key)),\(json($0.value))]" }.joined(separator: ",") + "]")
        case .error(let e): return object("error", string(e.message))
        case .date, .timestamp: return object("other", string(v.celLiteral))
        }
    }
}

/// Everything that runs on several threads, in one small program that CI
/// builds with ThreadSanitizer (`verdict-fuzz threads`; the full test suite
/// would also build the HTTP server's dependencies with it): the parallel
/// decoding of rules, compile of expressions and table analysis of a large
/// policy, `eval`'s
/// workers over batches of tickets, the replay of `diff --tickets`.
public enum ThreadedWork {
    /// A policy of `tables` tables of two rows each: enough rules,
    /// expressions and tables for the decoder, the compiler and the analysis
    /// to use every core.
    public static func bigPolicy(tables: Int = 600) -> String {
        var text = """
            verdict: 1
            policy: big
            applies_to: {market: a}
            inputs:
              market: {type: string, label: {zh: 市, en: Market}}
              n: {type: int, label: {zh: 数, en: N}}
            rules:

            """
        for i in 0..<tables {
            text += """
                  t\(i):
                    type: int
                    decision: true
                    clause: "1"
                    label: {zh: 表, en: T}
                    table:
                      hit: first
                      rows:
                        - {when: "n > \(i)", then: "\(i)", clause: "1"}
                        - {when: "n < \(-i)", then: "\(-i)", clause: "1"}

                """
        }
        return text
    }

    /// Runs each piece of work `rounds` times; a description of what went wrong, or nil.
    public static func run(policies folder: String, tickets: [UInt8], rounds: Int = 3) -> String? {
        for _ in 0..<rounds {
            guard let big = try? PolicySet.load(files: [(path: "big.yaml", bytes: Array(bigPolicy().utf8))]),
                big.warnings.count == 600
            else { return "the large policy did not load with its 600 gap warnings" }
            guard let set = try? PolicySet.load(directory: folder, warnings: false) else {
                return "the policies in `\(folder)` do not load"
            }
            let plan = AskPlan(allOf: set.compiled)
            // Enough lines per batch for the workers to split it.
            let lines = max(1, tickets.filter { $0 == 10 }.count)
            let input = Array([[UInt8]](repeating: tickets, count: (2000 + lines - 1) / lines).joined())
            var outputs: [[UInt8]] = []
            for jobs in [1, 2] {
                let sinks = (0..<jobs).map { _ in TicketSink(policies: set, plan: plan) }
                var out: [UInt8] = []
                _ = TicketStream().run(
                    sinks,
                    read: MemoryInput(input).read,
                    write: { bytes in
                        out += bytes
                        return true
                    })
                outputs.append(out)
            }
            if outputs[0] != outputs[1] { return "eval with 2 workers answered differently from 1" }
            // diff --tickets: the same set on both sides, replayed on 2 workers: no change.
            let report = Replay(old: set, new: set, diff: SetDiff(old: set, new: set), workers: 2, chunkBytes: 8192).run(
                read: MemoryInput(input).read, write: { _ in true })
            if report.changedTickets != 0 { return "a replay of a set against itself found changes" }
        }
        return nil
    }
}

/// Bytes in memory read as a stream would be, a buffer at a time (the
/// `read` of `TicketStream.run` and `Replay.run`).
final class MemoryInput {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0, let base = buffer.baseAddress else { return 0 }
        bytes.withUnsafeBytes { if let s = $0.baseAddress { base.copyMemory(from: s + offset, byteCount: n) } }
        offset += n
        return n
    }
}
