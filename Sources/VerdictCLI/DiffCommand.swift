import ArgumentParser
import FoundationEssentials
import VerdictAudit
import VerdictCompiler
import VerdictDiff
import VerdictModel
import VerdictOutput
import VerdictRuntime

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `verdict diff OLD NEW`: what a new version of the policies changes, on which tickets.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two versions of the policies, and on which tickets.",
        discussion: """
            OLD and NEW are policy folders or git revisions, read with git without a checkout:
              verdict diff HEAD~1 HEAD                   (the --policies folder in each revision)
              verdict diff v1.2:policies policies        (a tag's folder against the working copy)
            Each change is listed per policy after inheritance, with file:line on both sides,
            its clause, and the decisions it can change. Layout, comments, key order and
            which file holds a value are no semantic change.
            For every changed policy, each decision is compared class by class: the report
            proves it answers every ticket alike ("equivalent on all N classes"), or lists
            witness tickets on which the two sides answer differently (each a JSON line that is
            also a case for a test file), or says what it could not cover and why.
            With --tickets, every ticket is answered by both versions and the changed answers
            are counted per decision. With --policies DIR and two policy names, two policies
            of one folder are compared (verdict diff --policies policies domestic export).
            Exit status: 0 when nothing changes, 1 when something does, 2 on error.
            """
    )

    @Argument(help: "The old side: a policy folder, a git revision, or REV:PATH (a policy name with --policies).")
    var old: String

    @Argument(help: "The new side, as OLD.")
    var new: String

    @Option(name: .long, help: "The policy folder inside a revision (default ./policies); with two policy names, the folder that holds both.")
    var policies: String?

    @Option(name: .long, help: "Replay these tickets (JSON Lines; - for standard input) through both sides.")
    var tickets: String?

    @Option(name: .long, help: "text, json or markdown.")
    var format: String = "text"

    @Option(name: .long, help: "Worker threads for the replay (default: every core).")
    var jobs: Int?

    @Flag(name: .long, help: "With --tickets: print one JSON line per ticket answered differently, instead of the report.")
    var perTicket = false

    @Flag(
        name: .long,
        help: "With --per-ticket: a line for every ticket (blank lines excepted), answered differently or not, so that a tool can add up the report from the lines."
    )
    var allTickets = false

    @Option(name: .long, help: "Witness tickets per differing decision (default 3); 0 skips the witness search and its proofs.")
    var witnesses: Int = 3

    func run() throws {
        guard let format = DiffFormat(rawValue: format) else {
            Output.stderr("error: unknown format `\(self.format)`; formats: text, json, markdown\n")
            throw ExitStatus.usage.code
        }
        guard witnesses >= 0 else {
            Output.stderr("error: --witnesses must be 0 or more\n")
            throw ExitStatus.usage.code
        }
        if perTicket, tickets == nil {
            Output.stderr("error: --per-ticket needs --tickets\n")
            throw ExitStatus.usage.code
        }
        if allTickets, !perTicket {
            Output.stderr("error: --all-tickets goes with --per-ticket\n")
            throw ExitStatus.usage.code
        }
        let (oldSet, newSet, diff, oldLabel, newLabel) = try sides()
        var replay: ReplayReport?
        if let tickets {
            replay = try replayTickets(tickets, oldSet, newSet, diff)
        }
        if perTicket {
            throw (replay?.changedTickets ?? 0 > 0 || diff.hasSemanticChanges ? ExitStatus.failure : .success).code
        }
        let sections =
            witnesses == 0 ? [] : WitnessSection.search(diff, limits: WitnessSearch.Limits(maxWitnesses: witnesses))
        let report = DiffReport(
            diff: diff, oldLabel: oldLabel, newLabel: newLabel, replay: replay, ticketsLabel: tickets,
            witnesses: sections)
        try Output.out(report.render(format))
        let changed = diff.hasSemanticChanges || (replay.map { $0.changedTickets > 0 } ?? false)
        if changed { throw ExitStatus.failure.code }
    }

    /// Two policy sets and their comparison, from two sources or two policies of one folder.
    func sides() throws -> (PolicySet, PolicySet, SetDiff, String, String) {
        if let folder = policies, let set = try? PolicySet.load(directory: folder, warnings: false),
            let a = policy(old, in: set), let b = policy(new, in: set)
        {
            let diff = SetDiff(comparing: PolicySide(set, a), with: PolicySide(set, b))
            return (set, set, diff, set.policies[a].identity.description, set.policies[b].identity.description)
        }
        let defaultPath = policies ?? "policies"
        let oldSource: PolicySource
        let newSource: PolicySource
        do {
            oldSource = try PolicySource.parse(old, defaultPath: defaultPath)
            newSource = try PolicySource.parse(new, defaultPath: defaultPath)
        } catch {
            Output.stderr("error: \(error.message)\n")
            throw ExitStatus.usage.code
        }
        let oldSet = try load(oldSource)
        let newSet = try load(newSource)
        return (
            oldSet, newSet, SetDiff(old: oldSet, new: newSet, oldSource: oldSource, newSource: newSource),
            oldSource.description, newSource.description
        )
    }

    /// `name` or `name@version` in a set.
    func policy(_ spec: String, in set: PolicySet) -> Int? {
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        guard let name = parts.first else { return nil }
        if parts.count == 2 {
            return set.policies.firstIndex { $0.name == name && $0.identity.version == parts[1] }
        }
        return set.index(named: name)
    }

    func load(_ source: PolicySource) throws -> PolicySet {
        do {
            return try source.load()
        } catch let error as PolicyLoadError {
            var text = "the policies of `\(source)` do not load:\n"
            text += DiagnosticRenderer.renderAll(error.diagnostics, sources: error.sources)
            Output.stderr(text)
            throw ExitStatus.usage.code
        } catch let error as SourceError {
            Output.stderr("error: \(error.message)\n")
            throw ExitStatus.usage.code
        }
    }

    func replayTickets(_ path: String, _ oldSet: PolicySet, _ newSet: PolicySet, _ diff: SetDiff) throws -> ReplayReport {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else {
            Output.stderr("error: cannot read `\(path)`: \(Output.describe(errno: errno))\n")
            throw ExitStatus.usage.code
        }
        defer { if fd != 0 { close(fd) } }
        let workers = max(1, jobs ?? Threads.cores)
        let replay = Replay(
            old: oldSet, new: newSet, diff: diff, workers: workers, perTicket: perTicket, allTickets: allTickets)
        let terminal = isatty(2) == 1
        let start = Date()
        var last = start
        let report = replay.run(
            read: { Output.read(fd: fd, $0) },
            write: { Output.write(fd: 1, $0) },
            progress: { r in
                guard terminal else { return }
                let now = Date()
                guard now.timeIntervalSince(last) > 0.25 else { return }
                last = now
                let rate = Double(r.tickets) / max(now.timeIntervalSince(start), 0.001)
                Output.stderr("\r\(r.tickets) tickets, \(Int(rate)) a second, \(r.changedTickets) changed   ")
            })
        if terminal { Output.stderr("\r\u{1B}[K") }
        if !report.inputOK {
            Output.stderr("error: cannot read `\(path)`: \(Output.describe(errno: Output.readError))\n")
            throw ExitStatus.io.code
        }
        return report
    }
}
