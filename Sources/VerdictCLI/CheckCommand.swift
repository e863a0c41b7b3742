import ArgumentParser
import VerdictCompiler

/// `verdict check`: load and check the policies; print every problem.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load and check the policies, printing every problem as file:line:column.",
        discussion: "Exit status: 0 when the policies are clean, 1 when not."
    )

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    func run() throws {
        let set = try PolicyLoading.load(policies, toStdout: true, failure: .failure)
        var text = ""
        for p in set.policies {
            let from = p.dating?.from.map { " (from \($0))" } ?? ""
            text += "\(p.identity.description)\(from): \(p.decisionNames.count) decisions, \(p.digest)\n"
        }
        text += "ok: \(set.policies.count) polic\(set.policies.count == 1 ? "y" : "ies") checked\n"
        guard Output.stdout(text) else { throw ExitStatus.failure.code }
    }
}
