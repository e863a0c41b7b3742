import ArgumentParser
import VerdictOutput

/// `verdict graph [POLICY]`: what each decision depends on, as a picture.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a policy's inputs, parameters, rules and tables with their dependencies (DOT or Mermaid).",
        discussion: """
            Pipe DOT into Graphviz (verdict graph export | dot -Tsvg > export.svg), or paste
            Mermaid into Markdown. --ask keeps only the named decisions and what they need.
            POLICY defaults to the first policy.
            """
    )

    @Argument(help: "A policy name, or name@version.")
    var policy: String?

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(name: .long, help: "Draw only this decision and what it needs (repeatable).")
    var ask: [String] = []

    @Option(name: .long, help: "dot or mermaid.")
    var format: String = "dot"

    func run() throws {
        guard let format = GraphPrinter.Format(rawValue: format) else {
            Output.stderr("error: unknown format `\(self.format)`; formats: dot, mermaid\n")
            throw ExitStatus.usage.code
        }
        let set = try PolicyLoading.load(policies)
        var index = 0
        if let policy {
            let parts = policy.split(separator: "@", maxSplits: 1).map(String.init)
            guard
                let i = parts.count == 2
                    ? set.policies.firstIndex(where: { $0.name == parts[0] && $0.identity.version == parts[1] })
                    : set.index(named: policy)
            else {
                let names = set.policies.map(\.identity.description).joined(separator: ", ")
                Output.stderr("error: no policy `\(policy)` answers tickets; policies: \(names)\n")
                throw ExitStatus.usage.code
            }
            index = i
        }
        for name in ask where set.policies[index].decisionByName[name] == nil {
            Output.stderr("error: `\(name)` is not a decision of policy `\(set.policies[index].name)`\n")
            throw ExitStatus.usage.code
        }
        try Output.out(GraphPrinter(set, policy: index, ask: ask).render(format))
    }
}
