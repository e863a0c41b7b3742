import ArgumentParser
import VerdictOutput

/// `verdict show [POLICY]`: the policies, or one policy as it is in force after inheritance.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List the policies, or print one as it is in force after `extends` is merged.",
        discussion: """
            Without POLICY: each policy with its version, the day it takes effect, what it
            applies to and its digest. With POLICY (a name, or name@version): its inputs,
            parameters with their values, rules, tables, items and catalogues, each marked
            with the file:line it comes from (and the base a parameter overrides).
            """
    )

    @Argument(help: "A policy name, or name@version.")
    var policy: String?

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(name: .long, help: "yaml or json.")
    var format: String = "yaml"

    func run() throws {
        guard format == "yaml" || format == "json" else {
            Output.stderr("error: unknown format `\(format)`; formats: yaml, json\n")
            throw ExitStatus.usage.code
        }
        let set = try PolicyLoading.load(policies)
        let printer = PolicyPrinter(set)
        guard let policy else {
            try Output.out(printer.list())
            return
        }
        guard let index = printer.index(of: policy) else {
            Output.stderr("error: \(printer.unknown(policy))\n")
            throw ExitStatus.usage.code
        }
        try Output.out(format == "json" ? printer.json(index) : printer.yaml(index))
    }
}
