import ArgumentParser
import VerdictOutput
import VerdictRuntime

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `verdict explain`: why each decision came out as it did, in the policies' own words.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the answers to tickets as short trees, in English or Chinese.",
        discussion: """
            Reads one ticket or a stream of them (JSON Lines) from FILE or standard input and
            prints, per decision, the answer and the path that decided it: the labels and
            clauses of the rules, the table row that matched, why each list item is in or
            out, and each parameter's value with the file that sets it. The same as
            `verdict eval --explain --format text`.
            Exit status as for eval: 0, 1 when some line was an error, 2 on usage errors.
            """
    )

    @Argument(help: "A file of tickets (JSON Lines); standard input when absent or -.")
    var file: String?

    @Option(name: .long, help: "The policy folder.")
    var policies: String = "./policies"

    @Option(name: .long, help: "Explain only this decision (repeatable).")
    var ask: [String] = []

    @Option(name: .long, help: "en or zh.")
    var lang: String = "en"

    func run() throws {
        guard let language = ExplainLanguage(rawValue: lang) else {
            Output.stderr("error: unknown language `\(lang)`; languages: en, zh\n")
            throw ExitStatus.usage.code
        }
        let set = try PolicyLoading.load(policies)
        let plan: AskPlan
        do {
            plan = try AskPlan(policies: set.compiled, ask: ask)
        } catch {
            Output.stderr("error: \(error.message)\n")
            throw ExitStatus.usage.code
        }
        let fd: Int32 = (file == nil || file == "-") ? 0 : open(file ?? "", O_RDONLY)
        guard fd >= 0 else {
            Output.stderr("error: cannot read `\(file ?? "")`: \(Output.describe(errno: errno))\n")
            throw ExitStatus.usage.code
        }
        defer { if fd != 0 { close(fd) } }
        let sink = TicketSink(policies: set, plan: plan, textExplanations: language)
        let summary = TicketStream().run(sink, read: { Output.read(fd: fd, $0) }, write: { Output.write(fd: 1, $0) })
        if !summary.outputOK { throw Output.outputFailed() }
        if !summary.inputOK {
            Output.stderr("error: cannot read the tickets: \(Output.describe(errno: Output.readError))\n")
            throw ExitStatus.io.code
        }
        if summary.errors > 0 { throw ExitStatus.failure.code }
    }
}
