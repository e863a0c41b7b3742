import ArgumentParser
import VerdictJSON
import VerdictOutput
import VerdictRuntime

/// `verdict expr`: evaluate one CEL expression, with a JSON object's top-level
/// fields as variables; how a policy owner tries a condition before writing it.
struct ExprCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expr",
        abstract: "Evaluate one CEL expression and print the value as a CEL literal.",
        discussion: """
            With --input, the top-level fields of a JSON object (a ticket) are variables:
              verdict expr 'date(unit.installed_on).addMonths(12)' --input ticket.json
            With --policy, the expression is checked and evaluated as inside that policy:
            the input is a ticket typed as the policy declares it, and parameters
            (params.NAME) and rules (in_warranty, …) can be used:
              verdict expr 'unit.installed_on.addMonths(params.warranty_months)' \\
                --policy domestic --input ticket.json
            Exit status: 0 with the value on stdout; 1 with the expression's error on
            stderr; 2 when the --input file cannot be opened, is larger than a ticket line
            (64 MiB) or is not a JSON object; 3 when reading it or writing the value failed.
            """
    )

    /// The expression may start with `-` (`verdict expr '-1 + 2'`): anything
    /// that is not one of the options below is taken as (part of) it.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The expression.", valueName: "expression"))
    var words: [String] = []

    var expression: String { words.joined(separator: " ") }

    func validate() throws {
        guard !words.isEmpty else { throw ValidationError("Missing expected argument '<expression>'") }
    }

    @Option(name: .long, help: "A JSON object whose top-level fields are variables (a file, or - for stdin).")
    var input: String?

    @Option(name: .long, help: "Evaluate in the context of this policy (its inputs, parameters and rules).")
    var policy: String?

    @Option(name: .long, help: "The policy folder (with --policy).")
    var policies: String = "./policies"

    func run() throws {
        var inputJSON: [UInt8]?
        if let input {
            switch Output.readAll(path: input) {
            case .success(let bytes): inputJSON = bytes
            case .failure(let failure):
                Output.stderr("error: \(failure.message)\n")
                throw (failure.io ? ExitStatus.io : ExitStatus.usage).code
            }
        }
        let result: Result<String, ExpressionRunner.Failure>
        if let policy {
            let set = try PolicyLoading.load(policies)
            guard let index = set.index(named: policy) else {
                let names = set.policies.map(\.name).joined(separator: ", ")
                Output.stderr("error: no policy named `\(policy)` answers tickets; policies: \(names)\n")
                throw ExitStatus.usage.code
            }
            // Say so when the ticket would be answered by another policy: the
            // value shown is then not what `eval` would use.
            if let inputJSON, case .success(.object(let ticket)) = JSONReader.parse(inputJSON) {
                var scratch = set.compiled.router.makeScratch()
                if case .success(let selected) = set.compiled.router.route(ticket, scratch: &scratch),
                    selected != index
                {
                    Output.stderr(
                        "note: `verdict eval` would answer this ticket with policy `\(set.policies[selected].name)`, not `\(policy)`\n"
                    )
                }
            }
            result = ExpressionRunner.run(expression, policies: set.compiled, policy: index, inputJSON: inputJSON)
        } else {
            result = ExpressionRunner.run(expression, inputJSON: inputJSON)
        }
        switch result {
        case .success(let literal):
            try Output.out(literal + "\n")
        case .failure(let failure):
            Output.stderr(failure.rendered)
            throw (failure.usage ? ExitStatus.usage : ExitStatus.failure).code
        }
    }
}
