import ArgumentParser
import CVerdictSupport
import VerdictModel
import VerdictRuntime

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `verdict`: answers after-sales questions for tickets from policies written as YAML.
struct Verdict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "Answer questions about tickets from policies written as data.",
        discussion: """
            Policies are YAML files in a folder (default ./policies). `verdict eval` reads
            tickets as JSON Lines on standard input and writes one JSON line per ticket.
            """,
        version: "0.1.0",
        subcommands: [EvalCommand.self, CheckCommand.self, TestCommand.self, ExplainCommand.self, ShowCommand.self, GraphCommand.self, ExprCommand.self, DiffCommand.self, SchemaCommand.self, ServeCommand.self]
    )
}

/// Entry point: the contract's exit codes (usage errors are 2, not
/// ArgumentParser's 64).
@main
enum Main {
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        verdict_tune_malloc(1)
        // The command runs on a thread whose stack fits the deepest input
        // the limits allow, whatever `ulimit -s` gives the main thread.
        Threads.run { command() }
    }

    static func command() {
        do {
            if let options = EvalOptions.fast(Array(CommandLine.arguments.dropFirst())) {
                try options.run()
            } else {
                var command = try Verdict.parseAsRoot()
                try command.run()
            }
        } catch {
            let code = Verdict.exitCode(for: error)
            let message = Verdict.fullMessage(for: error)
            if code == .success {
                // --help and --version: their text is the output, so a failed write is an I/O failure.
                if !message.isEmpty, !Output.stdout(message + "\n") {
                    exit(Output.outputFailed().rawValue)
                }
                exit(ExitStatus.success.rawValue)
            }
            if !message.isEmpty { Output.stderr(message + "\n") }
            exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
