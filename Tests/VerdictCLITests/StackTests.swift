import Foundation
import Testing

/// No input within the limits crashes on a small stack: `verdict` runs its
/// work on a thread whose stack fits the deepest recursion the limits allow
/// (docs/limits.md), whatever `ulimit -s` says. Each case runs at
/// `ulimit -s 256` (KiB) and must end by exit, not by a signal.
@Suite struct StackTests {
    /// Runs `verdict ARGS` under bash with a 256 KiB stack limit.
    func smallStack(_ args: [String], stdin: String = "", cwd: String = Repo.root) throws -> Run {
        let dir = try TempDir()
        try dir.write("stdin", stdin)
        let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "ulimit -s 256 && exec \"$V\" \(quoted) < '\(dir.path)/stdin'"]
        p.environment = ProcessInfo.processInfo.environment.merging(["V": try Binary.require()]) { $1 }
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(
            status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal, stdout: [UInt8](o),
            stderr: [UInt8](e), stdinConsumed: 0)
    }

    /// A policy of `rules` boolean rules: `rule(i)` says whether rule `ri` is
    /// a decision, and its expression.
    static func policy(rules: Int, _ rule: (Int) -> (decision: Bool, expr: String)) -> String {
        var yaml = """
            verdict: 1
            policy: t
            applies_to: {market: a}
            inputs:
              market: {type: enum, values: [a], label: {zh: 市, en: Market}}
            rules:

            """
        for i in 0..<rules {
            let (decision, expr) = rule(i)
            yaml += """
                  r\(i):
                    type: bool
                    decision: \(decision)
                    clause: "1"
                    label: {zh: 甲, en: R}
                    expr: "\(expr)"

                """
        }
        return yaml
    }

    @Test func deepExpressionsAtTheLimits() throws {
        // 249 `!`: a tree 250 high, the height limit.
        let nots = try smallStack(["expr", String(repeating: "!", count: 249) + "true"])
        #expect(!nots.signaled && nots.status == 0 && nots.out == "false\n", "\(nots)")
        // 99 parentheses: nesting just under its limit of 100.
        let parens = try smallStack(["expr", String(repeating: "(", count: 99) + "1" + String(repeating: ")", count: 99)])
        #expect(!parens.signaled && parens.status == 0, "\(parens)")
        // Past the limits: a diagnostic, not a crash.
        let over = try smallStack(["expr", String(repeating: "!", count: 5000) + "true"])
        #expect(!over.signaled && over.status == 1 && over.err.contains("[E0502]"), "\(over)")
        let deep = try smallStack(["expr", String(repeating: "[", count: 5000)])
        #expect(!deep.signaled && deep.status == 1, "\(deep)")
    }

    /// A chain of 200 rules (the limit), each a tree of 248 `!` over the next:
    /// evaluation recurses through every rule and every node.
    @Test func theLongestRuleChainOfTheDeepestExpressions() throws {
        let dir = try TempDir()
        let n = 200
        try dir.write(
            "p.yaml",
            Self.policy(rules: n) { i in
                (i == 0, String(repeating: "!", count: 248) + (i == n - 1 ? "true" : "r\(i + 1)"))
            })
        for args in [["check"], ["eval"], ["eval", "--explain"], ["explain"], ["graph"], ["show", "t"]] {
            let run = try smallStack(args + ["--policies", dir.path], stdin: "{\"market\":\"a\"}\n")
            #expect(!run.signaled && run.status == 0, "\(args): \(run)")
        }
    }

    /// 600 rules: enough for the rules to be decoded on every core, each
    /// worker on a thread of its own; a small `ulimit -s` must not reach them.
    @Test func manyRulesDecodedInParallel() throws {
        let dir = try TempDir()
        try dir.write("p.yaml", Self.policy(rules: 600) { _ in (true, String(repeating: "!", count: 248) + "true") })
        let run = try smallStack(["check", "--policies", dir.path])
        #expect(!run.signaled && run.status == 0, "\(run)")
    }

    @Test func deepTicketsAndPolicies() throws {
        // JSON nested 64 deep (the limit), and far deeper.
        for depth in [63, 10_000] {
            let line = String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
            let run = try smallStack(["eval"], stdin: line)
            #expect(!run.signaled && run.status == 1, "\(depth): \(run)")
        }
        // YAML nested far past its limit of 64.
        let dir = try TempDir()
        try dir.write("p.yaml", "verdict: 1\npolicy: t\nx: " + String(repeating: "[", count: 10_000) + "\n")
        let run = try smallStack(["check", "--policies", dir.path])
        #expect(!run.signaled && run.status == 1, "\(run)")
    }
}
