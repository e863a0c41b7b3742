import ArgumentParser
import CEL
import CVerdictSupport
import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictCompiler
import VerdictTestRunner
import VerdictOutput
import VerdictRuntime
import VerdictThreads

/// `verdict eval`: JSON Lines tickets on stdin, one JSON answer line each on stdout.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Answer every ticket read from standard input (JSON Lines).",
        discussion: """
            Exit status: 0 when every line was evaluated (undetermined decisions included),
            1 when some line was an error (every line is still answered) or the reader
            closed standard output, 2 when the policies do not load or the usage is wrong
            (nothing is read), 3 when reading standard input or writing standard output
            failed (the reason is on stderr).
            """
    )

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(name: .long, help: "Answer only this decision (repeatable).")
    var ask: [String] = []

    @Flag(name: .long, help: "Add, for each answer, the rule, its clause and the values it used.")
    var explain = false

    @Option(name: .long, help: "With --explain: json (in each answer line, the default) or text (a readable tree per ticket instead of the lines).")
    var format: String = "json"

    @Option(name: .long, help: "With --format text: the language of the explanation, en or zh.")
    var lang: String = "en"

    @Option(name: .long, help: "Write a coverage report of the tickets to this file (answers still go to stdout).")
    var coverage: String?

    @Option(name: .long, help: "The coverage report's format: text, json or lcov (default: by the file's extension).")
    var coverageFormat: String?

    @Option(name: .long, help: "Worker threads (default: one per core; 1 answers on the main thread alone). Answers stay in input order.")
    var jobs: Int?

    @Option(
        name: .long,
        help: "The steps one ticket may take, and the largest worst case a policy may have (default 1000000; docs/limits.md).")
    var costLimit: Int = CELCost.defaultLimit

    func run() throws {
        try EvalOptions(
            policies: policies, ask: ask, explain: explain, format: format, lang: lang, coverage: coverage,
            coverageFormat: coverageFormat, jobs: jobs, costLimit: costLimit
        ).run()
    }
}

/// What `eval` was asked to do, apart from how the arguments were read.
struct EvalOptions {
    var policies = "./policies"
    var ask: [String] = []
    var explain = false
    var format = "json"
    var lang = "en"
    var coverage: String?
    var coverageFormat: String?
    var jobs: Int?
    var costLimit = CELCost.defaultLimit

    /// The common command lines, read without swift-argument-parser (whose
    /// reflection costs about 3 ms of a cold start): `eval` with long options,
    /// each value after a space or `=`. Anything else (help, a mistake, a
    /// short or unknown option) returns nil, and the full parser reads it and
    /// words its messages.
    static func fast(_ arguments: [String]) -> EvalOptions? {
        guard arguments.first == "eval" else { return nil }
        var o = EvalOptions()
        var i = 1
        while i < arguments.count {
            var name = arguments[i]
            var value: String?
            if let eq = name.firstIndex(of: "="), name.hasPrefix("--") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if name == "--explain" {
                guard value == nil else { return nil }
                o.explain = true
                i += 1
                continue
            }
            if value == nil {
                guard i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") else { return nil }
                value = arguments[i + 1]
                i += 1
            }
            guard let v = value, !v.isEmpty else { return nil }
            switch name {
            case "--policies": o.policies = v
            case "--ask": o.ask.append(v)
            case "--format": o.format = v
            case "--lang": o.lang = v
            case "--coverage": o.coverage = v
            case "--coverage-format": o.coverageFormat = v
            case "--jobs":
                guard let n = Int(v) else { return nil }
                o.jobs = n
            case "--cost-limit":
                guard let n = Int(v) else { return nil }
                o.costLimit = n
            default: return nil
            }
            i += 1
        }
        return o
    }

    /// The YAML bytes the workers' own copies of the policies may add up to.
    static let copyBudget = 1 << 20

    func run() throws {
        let cache = PolicyCache.standard()
        let set = try PolicyLoading.load(policies, costLimit: costLimit, cache: cache)
        let plan: AskPlan
        do {
            plan = try AskPlan(policies: set.compiled, ask: ask)
        } catch {
            Output.stderr("error: \(error.message)\n")
            throw ExitStatus.usage.code
        }
        guard format == "json" || format == "text" else {
            Output.stderr("error: unknown format `\(format)`; formats: json, text\n")
            throw ExitStatus.usage.code
        }
        guard let language = ExplainLanguage(rawValue: lang) else {
            Output.stderr("error: unknown language `\(lang)`; languages: en, zh\n")
            throw ExitStatus.usage.code
        }
        var coverageFormat = CoverageFormat.text
        if let path = coverage {
            let guess: CoverageFormat = path.hasSuffix(".json") ? .json : (path.hasSuffix(".info") || path.hasSuffix(".lcov") ? .lcov : .text)
            guard let chosen = self.coverageFormat.map(CoverageFormat.init(rawValue:)) ?? guess else {
                Output.stderr("error: unknown coverage format `\(self.coverageFormat ?? "")`; formats: text, json, lcov\n")
                throw ExitStatus.usage.code
            }
            coverageFormat = chosen
        }
        if let jobs, jobs < 1 {
            Output.stderr("error: --jobs must be 1 or more\n")
            throw ExitStatus.usage.code
        }
        let tracer = coverage == nil ? nil : CoverageTracer(running: set.compiled.traced())
        // Coverage counts in one tracer: it runs on one worker.
        let workers = tracer != nil ? 1 : (jobs ?? Threads.cores)
        let sourceBytes = set.sourceBytes
        // Piped tickets and answers (the contract's use) move in larger
        // steps: a 64 KiB pipe made an explained run (1.4 GB out for 200,000
        // tickets) spend more time switching to its reader than answering.
        _ = verdict_grow_pipe(0, Output.pipeBytes)
        _ = verdict_grow_pipe(1, Output.pipeBytes)
        let summary = TicketStream().run(
            workers: workers,
            makeSink: { w in
                // Further workers get their own compiled copy of a small policy
                // set (the same bytes, compiled again: the same answers):
                // sharing one copy made both cores count references on the same
                // objects, about a tenth of the CPU time and, on some runs, half
                // of it. The copies together stand for at most `copyBudget`
                // bytes of YAML (memory stays bounded on a machine of many
                // cores); workers beyond it, and large sets, share.
                var mine = (set, plan)
                if w > 0, sourceBytes * w <= Self.copyBudget,
                    let copy = try? PolicySet.load(
                        files: set.sources.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, warnings: false,
                        costLimit: costLimit, cache: cache),
                    let copyPlan = try? AskPlan(policies: copy.compiled, ask: ask)
                {
                    mine = (copy, copyPlan)
                }
                return TicketSink(
                    policies: mine.0, plan: mine.1, explain: explain,
                    textExplanations: explain && format == "text" ? language : nil, tracers: tracer.map { [$0] } ?? [])
            },
            read: { Output.readStdin($0) },
            write: { Output.write(fd: 1, $0) })
        if let tracer, let path = coverage {
            let text = CoverageReport(tracer, set: set).render(coverageFormat)
            guard (try? text.write(toFile: path, atomically: true, encoding: .utf8)) != nil else {
                Output.stderr("error: cannot write the coverage report to `\(path)`\n")
                throw ExitStatus.io.code
            }
        }
        // The contract's order: an output that failed, then an input that
        // failed (every answer written before either stands), then error lines.
        // Every answer is written: end now rather than free a large policy set.
        if !summary.outputOK { Output.exitNow(Output.outputFailed().rawValue) }
        if !summary.inputOK { Output.exitNow(Output.inputFailed().rawValue) }
        Output.exitNow(summary.errors > 0 ? ExitStatus.failure.rawValue : ExitStatus.success.rawValue)
    }
}
