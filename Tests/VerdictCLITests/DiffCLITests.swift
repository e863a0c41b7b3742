import Foundation
import Testing

/// A git repository with the shipped policies committed, for `verdict diff` on revisions.
final class PolicyRepo {
    let dir: TempDir
    var path: String { dir.path }

    init() throws {
        dir = try TempDir()
        try FileManager.default.createDirectory(atPath: path + "/policies", withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Repo.policies) where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(atPath: Repo.policies + "/" + name, toPath: path + "/policies/" + name)
        }
        try git(["init", "-q"])
        try commit("policies 2026.1")
    }

    func git(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-c", "user.name=Auditor", "-c", "user.email=auditor@example.com", "-c", "commit.gpgsign=false"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: path)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw Failure("git \(args.joined(separator: " ")) failed") }
    }

    func commit(_ message: String) throws {
        try git(["add", "-A"])
        try git(["commit", "-q", "--allow-empty", "-m", message])
    }

    func edit(_ file: String, _ old: String, _ new: String) throws {
        let p = path + "/policies/" + file
        let text = try String(contentsOfFile: p, encoding: .utf8)
        guard text.contains(old) else { throw Failure("`\(old)` not in \(file)") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: p, atomically: true, encoding: .utf8)
    }
}

@Suite struct DiffCLITests {
    @Test func revisionsAreReadWithGit() throws {
        let repo = try PolicyRepo()
        try repo.edit("export.yaml", "value: 3", "value: 6")
        try repo.commit("export window 6 months")
        let run = try verdict(["diff", "HEAD~1", "HEAD"], cwd: repo.path)
        #expect(run.status == 1, "\(run)")
        #expect(run.out.contains("parameter `onsite_window_months` value: 3 → 6"), "\(run.out)")
        #expect(run.out.contains("old HEAD~1:policies/export.yaml:"), "\(run.out)")
        #expect(run.out.contains("domestic 2026.1: no semantic change"), "\(run.out)")
        // A revision against the working copy, with REV:PATH.
        let again = try verdict(["diff", "HEAD~1:policies", "policies"], cwd: repo.path)
        #expect(again.status == 1 && again.out.contains("value: 3 → 6"), "\(again)")
    }

    @Test func layoutOnlyIsNoSemanticChange() throws {
        let repo = try PolicyRepo()
        try repo.edit("export.yaml", "    value: 3\n    clause: \"7.2.2\"", "    clause: '7.2.2'   # moved\n    value: 3")
        try repo.commit("reformat")
        let run = try verdict(["diff", "HEAD~1", "HEAD"], cwd: repo.path)
        #expect(run.status == 0, "\(run)")
        #expect(run.out.hasSuffix("no semantic change in 3 policies\n"), "\(run.out)")
    }

    @Test func ticketsAreReplayedAndEachChangedTicketCanBeALine() throws {
        let repo = try PolicyRepo()
        try repo.edit("export.yaml", "value: 3", "value: 6")
        try repo.commit("export window 6 months")
        let tickets = try Repo.read("examples/tickets.jsonl")
        let run = try verdict(["diff", "HEAD~1", "HEAD", "--tickets", "-"], stdin: tickets, cwd: repo.path)
        #expect(run.status == 1, "\(run)")
        #expect(run.out.contains("replay of 32 tickets (-):"), "\(run.out)")
        let lines = try verdict(["diff", "HEAD~1", "HEAD", "--tickets", "-", "--per-ticket"], stdin: tickets, cwd: repo.path)
        for line in lines.lines {
            let o = try jsonObject(line)
            #expect(o["line"] != nil && o["changed"] != nil && o["old"] != nil && o["new"] != nil, "\(line)")
        }
        let json = try verdict(["diff", "HEAD~1", "HEAD", "--tickets", "-", "--format", "json"], stdin: tickets, cwd: repo.path)
        let report = try jsonObject(json.out)
        let replay = try #require(report["replay"] as? [String: Any])
        #expect(replay["tickets"] as? Int == 32)
        #expect((replay["changed_tickets"] as? Int ?? -1) == lines.lines.count)
        // Every ticket a line, for tools that add up the report themselves.
        let all = try verdict(
            ["diff", "HEAD~1", "HEAD", "--tickets", "-", "--per-ticket", "--all-tickets"], stdin: tickets, cwd: repo.path)
        #expect(all.status == 1 && all.lines.count == 32, "\(all)")
        #expect(all.lines.filter { !$0.hasSuffix(",\"changed\":{}}") } == lines.lines)
        let alone = try verdict(["diff", "HEAD~1", "HEAD", "--tickets", "-", "--all-tickets"], stdin: tickets, cwd: repo.path)
        #expect(alone.status == 2 && alone.err.contains("--all-tickets goes with --per-ticket"), "\(alone)")
    }

    @Test func errorsExitTwo() throws {
        let repo = try PolicyRepo()
        let run = try verdict(["diff", "no-such-rev", "HEAD"], cwd: repo.path)
        #expect(run.status == 2 && run.err.contains("neither a policy folder nor a git revision"), "\(run)")
        try repo.edit("export.yaml", "value: 3", "value: x")
        try repo.commit("broken")
        let broken = try verdict(["diff", "HEAD~1", "HEAD"], cwd: repo.path)
        #expect(broken.status == 2 && broken.err.contains("HEAD:policies/export.yaml:"), "\(broken)")
    }

    @Test func twoPoliciesOfOneFolder() throws {
        let run = try verdict(["diff", "--policies", "policies", "domestic", "export"])
        #expect(run.status == 1, "\(run)")
        #expect(run.out.contains("parameter `onsite_window_months` value: 12 → 3"), "\(run.out)")
    }
}
