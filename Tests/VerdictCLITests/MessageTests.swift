import Foundation
import Testing

/// Messages say why: a file that cannot be read, a file that is not UTF-8,
/// characters that look alike, a limit and how to stay under it.
@Suite struct MessageTests {
    func check(_ dir: TempDir) throws -> Run { try verdict(["check", "--policies", dir.path], timeout: 20) }

    @Test func aFileThatCannotBeReadSaysWhy() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/x.yaml", withIntermediateDirectories: true)
        let folder = try check(dir)
        #expect(folder.status == 1 && folder.out.contains("cannot read `\(dir.path)/x.yaml`: it is a folder [E0102]"), "\(folder)")

        let loop = try TempDir()
        try FileManager.default.createSymbolicLink(atPath: loop.path + "/a.yaml", withDestinationPath: "b.yaml")
        try FileManager.default.createSymbolicLink(atPath: loop.path + "/b.yaml", withDestinationPath: "a.yaml")
        let l = try check(loop)
        #expect(l.out.contains("cannot read `\(loop.path)/a.yaml`: a loop of symbolic links"), "\(l)")

        let fifo = try TempDir()
        guard mkfifo(fifo.path + "/p.yaml", 0o644) == 0 else { return }
        let f = try check(fifo)  // must not block on the FIFO
        #expect(f.out.contains("it is a FIFO (a named pipe), not a file"), "\(f)")
    }

    @Test func aFileInAnotherEncodingIsNamedNotEchoed() throws {
        let dir = try TempDir()
        var utf16: [UInt8] = [0xFF, 0xFE]
        for b in "verdict: 1\npolicy: t\n".utf8 { utf16 += [b, 0] }
        FileManager.default.createFile(atPath: dir.path + "/p.yaml", contents: Data(utf16))
        let run = try check(dir)
        #expect(run.status == 1, "\(run)")
        #expect(run.out.contains("the file is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8 [E0110]"), "\(run)")
        #expect(!run.stdout.contains(0), "a NUL reached the terminal: \(run)")

        let latin1 = try TempDir()
        FileManager.default.createFile(
            atPath: latin1.path + "/p.yaml", contents: Data(Array("verdict: 1\npolicy: t\ntitle: {zh: caf".utf8) + [0xE9] + Array("}\n".utf8)))
        let l = try check(latin1)
        #expect(l.out.contains("p.yaml:3:16: error: byte 0xE9 (byte 37 of the file) is not UTF-8"), "\(l)")
    }

    @Test func lookAlikeCharactersAreNamed() throws {
        let dir = try TempDir()
        try dir.write(
            "p.yaml",
            """
            verdict: 1
            policy: t
            applies_to: {market: a}
            inputs:
              market: {type: enum, values: [a], la\u{200B}bel: {zh: a, en: b}}
            rules:
              r: {type: bool, decision: true, clause: "1", label: {zh: a, en: b}, expr: "m\u{0430}rket == 'a'"}

            """)
        let run = try check(dir)
        #expect(run.out.contains("(it contains U+200B ZERO WIDTH SPACE, which is invisible) [E0201]"), "\(run)")
        #expect(run.out.contains("unexpected character U+0430 CYRILLIC SMALL LETTER A, which looks like `a` [E0501]"), "\(run)")
    }

    /// An 8 MB expression is not echoed whole: a window of its line, a short caret.
    @Test func aLongLineIsShownAsAWindow() throws {
        let dir = try TempDir()
        let long = Array(repeating: "x", count: 200_000).joined(separator: " + ")
        try dir.write(
            "p.yaml",
            "verdict: 1\npolicy: t\napplies_to: {market: a}\ninputs:\n  market: {type: string}\nrules:\n  r: {type: bool, decision: true, clause: \"1\", label: {zh: a, en: b}, expr: \"\(long)\"}\n")
        let run = try check(dir)
        #expect(run.status == 1, "\(run)")
        #expect(run.out.contains("more than the limit of 100000 (docs/limits.md)"), "\(run)")
        #expect(run.stdout.count < 2_000, "\(run.stdout.count) bytes of output")
    }

    @Test func aLongChainOfOneOperatorSaysSo() throws {
        let run = try verdict(["expr", Array(repeating: "true", count: 251).joined(separator: " || ")])
        #expect(run.err.contains("more than 250 `||` in a row"), "\(run)")
        #expect(run.err.contains("help: split it into rules, or group it"), "\(run)")
    }
}
