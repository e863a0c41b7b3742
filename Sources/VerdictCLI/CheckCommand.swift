import ArgumentParser
import CEL
import VerdictCompiler
import VerdictModel
import VerdictOutput

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `verdict check`: load and check the policies; print every problem.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load and check the policies, printing every problem as file:line:column.",
        discussion: """
            Errors stop the policies from loading; warnings (codes W…) point at what
            probably is not meant: declarations nothing uses, selector values no policy
            answers, table rows that can never answer, tickets no row of a table answers.
            Notes list what is fine but worth knowing: gaps a table declares on purpose,
            tables the analysis could not cover.
            Exit status: 0 when there is no error (and, with --strict, no warning), 1 when there is.
            """
    )

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(
        name: .long,
        help: "The largest worst case per ticket a policy may have, in steps (default 1000000; docs/limits.md).")
    var costLimit: Int = CELCost.defaultLimit

    @Flag(name: .long, help: "List each rule's worst-case cost per ticket, with the list sizes that drive it.")
    var costs = false

    @Flag(name: .long, help: "Fail on warnings too.")
    var strict = false

    @Option(name: .long, help: "text, or json (one object per line, for editors and CI).")
    var format: String = "text"

    func run() throws {
        guard format == "text" || format == "json" else {
            Output.stderr("error: unknown format `\(format)`; formats: text, json\n")
            throw ExitStatus.usage.code
        }
        let colour = format == "text" && isatty(1) == 1 && getenv("NO_COLOR") == nil
        let set: PolicySet
        do {
            set = try PolicySet.load(directory: policies, costLimit: costLimit)
        } catch {
            try print(error.diagnostics, error.sources, colour: colour)
            // Everything is written: skip freeing what was read (a measurable
            // part of reporting on a large folder).
            Output.exitNow(ExitStatus.failure.rawValue)
        }
        try print(set.warnings, set.sources, colour: colour)
        if format == "text" {
            var text = ""
            for p in set.policies {
                let from = p.dating?.from.map { " (from \($0))" } ?? ""
                text += "\(p.identity.description)\(from): \(p.decisionNames.count) decisions, \(p.digest)\n"
            }
            if costs { text += costTable(set) }
            let n = set.policies.count
            let w = set.warnings.filter { $0.severity == .warning }.count
            let notes = set.warnings.count - w
            text += "ok: \(n) polic\(n == 1 ? "y" : "ies") checked"
            if w > 0 { text += ", \(w) warning\(w == 1 ? "" : "s")" }
            if notes > 0 { text += ", \(notes) note\(notes == 1 ? "" : "s")" }
            text += "\n"
            try Output.out(text)
        }
        // Everything is written: exit now rather than free a large policy set
        // piece by piece (a measurable part of checking a big one).
        Output.exitNow(strict && set.warnings.contains(where: { $0.severity == .warning }) ? 1 : 0)
    }

    /// `--costs`: every rule's worst case per ticket, costliest first, and each policy's total.
    func costTable(_ set: PolicySet) -> String {
        var text = ""
        for (i, p) in set.policies.enumerated() {
            let costs = set.costs[i]
            var total: UInt64 = 0
            for c in costs { total = CELCost.sum(total, c.steps) }
            text += "\(p.identity.description): at most \(CELBudget.format(total)) steps per ticket (budget \(CELBudget.format(costLimit)))\n"
            let width = costs.map { CELBudget.format($0.steps).count }.max() ?? 0
            for c in costs.sorted(by: { ($1.steps, $0.rule) < ($0.steps, $1.rule) }) {
                let n = CELBudget.format(c.steps)
                let pad = String(repeating: " ", count: width - n.count)
                let why = c.drivers.isEmpty ? "" : "  (" + c.drivers.map(\.reason).joined(separator: "; ") + ")"
                text += "  \(pad)\(n)  \(c.rule)\(why)\n"
            }
        }
        return text
    }

    /// The diagnostics, and (as text) a count.
    func print(_ diagnostics: [PolicyDiagnostic], _ sources: [String: [UInt8]], colour: Bool) throws(ExitCode) {
        if format == "json" {
            return try Output.out(diagnostics.map { DiagnosticRenderer.json($0) }.joined())
        }
        var text = ""
        text += DiagnosticRenderer.renderAll(diagnostics, sources: sources, colour: colour)
        let errors = diagnostics.filter { $0.severity == .error }.count
        if errors > 0 { text += "\(errors) problem\(errors == 1 ? "" : "s") in the policies\n" }
        try Output.out(text)
    }
}
