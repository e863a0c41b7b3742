import Foundation
import Testing

/// The docs' examples are run and compared: every ```console block of the
/// pages below is a transcript (`$ command` lines, then what it prints,
/// stdout and stderr together). The blocks of one page run in order in one
/// bash session, in a fresh folder holding a copy of `policies/` and
/// `examples/`, with the built `verdict` first on PATH; `cd` and files
/// carry over from block to block. Set DOCS_RECORD=1 to write what the
/// commands print back into the pages (after a deliberate change).
enum DocTranscripts {
    static let pages = ["docs/cli.md", "docs/owners-guide.md", "docs/auditing.md"]

    struct Command {
        var text: String
        var expected: [String]
        /// Index in the page's lines of the first expected line (to rewrite it).
        var outputStart: Int
        var outputEnd: Int
    }

    /// The commands of a page, in order.
    static func commands(_ lines: [String]) -> [Command] {
        var out: [Command] = []
        var inBlock = false
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.hasPrefix("```") {
                inBlock = !inBlock && line == "```console"
                i += 1
                continue
            }
            guard inBlock, line.hasPrefix("$ ") else {
                i += 1
                continue
            }
            var text = String(line.dropFirst(2))
            while text.hasSuffix("\\"), i + 1 < lines.count {
                i += 1
                text = String(text.dropLast()) + "\n" + lines[i]
            }
            // A here-document (`<<'EOF'`) runs to its terminator line: it is input, not output.
            if let range = text.range(of: #"<<-?'?([A-Z]+)'?"#, options: .regularExpression) {
                let terminator = String(text[range].filter { $0.isUppercase })
                while i + 1 < lines.count {
                    i += 1
                    text += "\n" + lines[i]
                    if lines[i] == terminator { break }
                }
            }
            i += 1
            let start = i
            while i < lines.count, !lines[i].hasPrefix("$ "), !lines[i].hasPrefix("```") { i += 1 }
            out.append(Command(text: text, expected: Array(lines[start..<i]), outputStart: start, outputEnd: i))
        }
        return out
    }

    /// Runs the commands in one bash session; returns each one's output lines.
    static func run(_ commands: [Command], in dir: String, binary: String) throws -> [[String]] {
        var script = """
            set +e
            export PATH="\(URL(fileURLWithPath: binary).deletingLastPathComponent().path):$PATH"
            export GIT_AUTHOR_NAME=Auditor GIT_AUTHOR_EMAIL=auditor@example.com
            export GIT_COMMITTER_NAME=Auditor GIT_COMMITTER_EMAIL=auditor@example.com
            export GIT_AUTHOR_DATE=2026-11-30T12:00:00Z GIT_COMMITTER_DATE=2026-11-30T12:00:00Z
            export LC_ALL=C.UTF-8 TZ=UTC COLUMNS=100
            git config --global init.defaultBranch main 2>/dev/null

            """
        for (k, c) in commands.enumerated() {
            script += "printf '\\n@@@ %d @@@\\n' \(k)\n{ \(c.text)\n} 2>&1\n"
        }
        script += "printf '\\n@@@ end @@@\\n'\n"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        var results = [[String]](repeating: [], count: commands.count)
        var current = -1
        var buffer: [String] = []
        func flush() {
            // The marker's own line starts with a newline: drop the empty line it leaves.
            if current >= 0, current < results.count {
                if buffer.last == "" { buffer.removeLast() }
                results[current] = buffer.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            }
            buffer = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("@@@ "), line.hasSuffix(" @@@") {
                flush()
                current = Int(line.dropFirst(4).dropLast(4)) ?? -1
                continue
            }
            buffer.append(line)
        }
        return results
    }
}

@Suite struct DocTests {
    @Test(arguments: DocTranscripts.pages)
    func transcriptsAreTrue(_ page: String) throws {
        guard FileManager.default.fileExists(atPath: Repo.path(page)) else {
            Issue.record("\(page) is missing")
            return
        }
        let binary = try Binary.require()
        var lines = String(decoding: try Repo.read(page), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let commands = DocTranscripts.commands(lines)
        #expect(!commands.isEmpty, "\(page) has no console transcript")
        let dir = try TempDir()
        for folder in ["policies", "examples"] {
            try FileManager.default.copyItem(atPath: Repo.path(folder), toPath: dir.path + "/" + folder)
        }
        let actual = try DocTranscripts.run(commands, in: dir.path, binary: binary)
        if ProcessInfo.processInfo.environment["DOCS_RECORD"] != nil {
            for (c, output) in zip(commands, actual).reversed() {
                lines.replaceSubrange(c.outputStart..<c.outputEnd, with: output)
            }
            try lines.joined(separator: "\n").write(toFile: Repo.path(page), atomically: true, encoding: .utf8)
            return
        }
        for (c, output) in zip(commands, actual) where output != c.expected {
            Issue.record(
                """
                \(page):\(c.outputStart): `\(c.text)` printed something else (DOCS_RECORD=1 swift test --filter DocTests rewrites the page):
                --- expected
                \(c.expected.joined(separator: "\n"))
                --- actual
                \(output.joined(separator: "\n"))
                """)
        }
    }
}
