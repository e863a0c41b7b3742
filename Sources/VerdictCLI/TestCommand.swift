import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CEL
import VerdictCompiler
import VerdictModel
import VerdictOutput
import VerdictTestRunner

/// `verdict test`: the owners' test files, checked and run against the policies.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the policy owners' test cases (YAML files) against the policies.",
        discussion: """
            Test files (docs/testing.md) are found under DIR/tests/ and as DIR/*.test.yaml, or
            given as PATHs (files or folders). Each case is a ticket (a base ticket per file
            with the case's fields over it) and the answers it expects. A failure shows the
            case's file:line, expected against actual, and why the actual answer came out.
            Exit status: 0 when every case passes, 1 when one fails (or coverage is below
            --min-coverage), 2 when the policies or the test files do not load.
            """
    )

    @Argument(help: "Test files or folders (default: DIR/tests and DIR/*.test.yaml).")
    var paths: [String] = []

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(name: .customLong("run"), help: "Run only the cases whose name (or file) matches this regular expression (RE2).")
    var pattern: String?

    @Option(name: .long, help: "text, json or junit.")
    var format: String = "text"

    @Option(name: .long, help: "The language of the explanations of failures, en or zh.")
    var lang: String = "en"

    @Flag(name: .long, help: "Report which rules, rows, items and branches the cases exercise.")
    var coverage = false

    @Option(name: .long, help: "The coverage report's format: text, json or lcov.")
    var coverageFormat: String = "text"

    @Option(name: .long, help: "Write the coverage report to this file instead of after the results.")
    var coverageOutput: String?

    @Option(name: .long, help: "Fail when total coverage is below this percentage (implies --coverage).")
    var minCoverage: Double?

    func run() throws {
        guard let format = TestFormat(rawValue: format) else {
            Output.stderr("error: unknown format `\(self.format)`; formats: text, json, junit\n")
            throw ExitStatus.usage.code
        }
        guard let language = ExplainLanguage(rawValue: lang) else {
            Output.stderr("error: unknown language `\(lang)`; languages: en, zh\n")
            throw ExitStatus.usage.code
        }
        guard let coverageFormat = CoverageFormat(rawValue: coverageFormat) else {
            Output.stderr("error: unknown coverage format `\(self.coverageFormat)`; formats: text, json, lcov\n")
            throw ExitStatus.usage.code
        }
        var filter: CELRegex?
        if let pattern {
            switch CELRegex.compile(pattern) {
            case .success(let r): filter = r
            case .failure(let e):
                Output.stderr("error: --run: \(e.message)\n")
                throw ExitStatus.usage.code
            }
        }
        let set = try PolicyLoading.load(policies)
        let runner = TestRunner(policies: set)
        let files = TestRunner.discover(paths, policiesDirectory: policies)
        guard !files.isEmpty else {
            Output.stderr("error: no test files (under \(policies)/tests or \(policies)/*.test.yaml)\n")
            throw ExitStatus.usage.code
        }
        var inputs: [(path: String, bytes: [UInt8])] = []
        for path in files {
            switch Output.readAll(path: path) {
            case .success(let bytes): inputs.append((path, bytes))
            case .failure(let failure):
                Output.stderr("error: \(failure.message)\n")
                throw (failure.io ? ExitStatus.io : ExitStatus.usage).code
            }
        }
        var cases: [PreparedCase]
        do {
            cases = try runner.prepare(files: inputs)
        } catch {
            var text = ""
            text += DiagnosticRenderer.renderAll(error.diagnostics, sources: error.sources)
            text += "\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in the test files\n"
            Output.stderr(text)
            throw ExitStatus.usage.code
        }
        if let filter { cases = cases.filter { filter.matches($0.name) || filter.matches($0.file) } }
        let measuring = coverage || minCoverage != nil
        let tracer = measuring ? CoverageTracer(running: set.compiled.traced()) : nil
        let report = TestReport(results: runner.run(cases, coverage: tracer, language: language))
        var out = report.render(format)
        var belowMinimum = false
        if let tracer {
            let c = CoverageReport(tracer, set: set)
            let text = c.render(coverageFormat)
            if let path = coverageOutput {
                guard (try? text.write(toFile: path, atomically: true, encoding: .utf8)) != nil else {
                    Output.stderr("error: cannot write `\(path)`\n")
                    throw ExitStatus.io.code
                }
            } else if format == .text {
                out += "\n" + text
            }
            if let min = minCoverage, c.total.percent < min {
                belowMinimum = true
                Output.stderr("error: total coverage \(CoverageReport.percent(c.total.percent)) is below --min-coverage \(min) %\n")
            }
        }
        try Output.out(out)
        if report.failed > 0 || belowMinimum { throw ExitStatus.failure.code }
    }
}
