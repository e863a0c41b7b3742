import ArgumentParser
import VerdictDecode
import VerdictOutput

/// `verdict schema`: the JSON Schema of the policy format (or of test files),
/// for editors and CI validators.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of policy files (or of test files), for editors and validators.",
        discussion: """
            The schemas are built from the keys verdict reads, and docs/schema/ holds a copy.
            Editors that use yaml-language-server read a first line such as
              # yaml-language-server: $schema=../docs/schema/policy.schema.json
            to complete keys and flag mistakes while typing. A file the schema accepts can
            still fail `verdict check` (types, names, expressions), which says more.
            """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case policy, test
    }

    @Argument(help: "policy (the default) or test.")
    var kind: Kind = .policy

    func run() throws {
        let text = kind == .policy ? PolicySchema.policy() : PolicySchema.testFile()
        try Output.out(text)
    }
}
