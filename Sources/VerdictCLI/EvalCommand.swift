import ArgumentParser
import VerdictEngine

/// `verdict eval`: JSON Lines tickets on stdin, one JSON answer line each on stdout.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Answer every ticket read from standard input (JSON Lines).",
        discussion: """
            Exit status: 0 when every line was evaluated (undetermined decisions included),
            1 when some line was an error (every line is still answered), 2 when the
            policies do not load or the usage is wrong (nothing is read).
            """
    )

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(name: .long, help: "Answer only this decision (repeatable).")
    var ask: [String] = []

    @Flag(name: .long, help: "Add, for each answer, the rule, its clause and the values it used.")
    var explain = false

    func run() throws {
        let set = try PolicyLoading.load(policies, stream: 2)
        let processor: TicketProcessor
        do {
            processor = try TicketProcessor(policies: set, ask: ask, explain: explain)
        } catch {
            Output.stderr("error: \(error.message)\n")
            throw ExitCode(2)
        }
        let summary = LineStream().run(
            processor,
            read: { Output.readStdin($0) },
            write: { Output.write(fd: 1, $0) })
        if !summary.inputOK {
            Output.stderr("error: cannot read standard input: \(Output.describe(errno: Output.readError))\n")
            // Nothing read at all is a usage problem (stdin is a folder, say).
            throw ExitCode(summary.lines == 0 ? 2 : 1)
        }
        if !summary.outputOK || summary.errors > 0 { throw ExitCode(1) }
    }
}

enum PolicyLoading {
    /// Loads the policies or prints every problem and exits (2 for eval, 1 for check).
    static func load(_ directory: String, stream: Int32, failure: Int32 = 2) throws -> PolicySet {
        do {
            return try PolicySet.load(directory: directory)
        } catch {
            var text = ""
            for d in error.diagnostics {
                text += DiagnosticRenderer.render(d, source: error.sources[d.file])
            }
            let count = error.diagnostics.count
            text += "\(count) problem\(count == 1 ? "" : "s") in the policies\n"
            if stream == 1 { Output.stdout(text) } else { Output.stderr(text) }
            throw ExitCode(failure)
        }
    }
}
