import ArgumentParser
import VerdictEngine

/// `verdict expr`: evaluate one CEL expression, with a JSON object's top-level
/// fields as variables; how a policy owner tries a condition before writing it.
struct ExprCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expr",
        abstract: "Evaluate one CEL expression and print the value as a CEL literal.",
        discussion: """
            With --input, the top-level fields of a JSON object (a ticket) are variables:
              verdict expr 'date(unit.installed_on).addMonths(12)' --input ticket.json
            Exit status: 0 with the value on stdout; 1 with the expression's error on
            stderr; 2 when the --input file cannot be read or is not a JSON object.
            """
    )

    @Argument(help: "The expression.")
    var expression: String

    @Option(name: .long, help: "A JSON object whose top-level fields are variables (a file, or - for stdin).")
    var input: String?

    func run() throws {
        var variables: [(String, [UInt8])] = []
        if let input {
            guard let bytes = Output.readAll(path: input) else {
                Output.stderr("error: cannot read `\(input)`\n")
                throw ExitCode(2)
            }
            variables = [("input", bytes)]
        }
        switch ExpressionRunner.run(expression, inputJSON: variables.first?.1) {
        case .success(let literal):
            Output.stdout(literal + "\n")
        case .failure(let failure):
            Output.stderr(failure.rendered)
            throw ExitCode(failure.usage ? 2 : 1)
        }
    }
}
