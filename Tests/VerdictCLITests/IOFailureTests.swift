import Foundation
import Testing

/// The ticket contract's I/O rule, for every command: a failed read or write
/// exits 3 with a message naming the stream and the reason; a reader that
/// went away ends the run quietly.
@Suite struct IOFailureTests {
    static let tickets: [UInt8] = Array("{\"id\":\"T\",\"market\":\"mars\"}\n".utf8)

    /// Runs a bash script in the repository root (`$V` is the binary); its status and output.
    func shell(_ script: String) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.environment = ProcessInfo.processInfo.environment.merging(["V": try Binary.require()]) { $1 }
        p.currentDirectoryURL = URL(fileURLWithPath: Repo.root)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// `verdict ARGS > /dev/full` (the test helper captures stdout to a file, which never fills up).
    func toFullDisk(_ args: String, stdin: String = "/dev/null") throws -> (status: Int32, out: String, err: String) {
        try shell("\"$V\" \(args) < \(stdin) > /dev/full")
    }

    @Test(arguments: ["check", "eval", "expr 1+2", "--version", "--help", "eval --help", "schema", "show domestic"])
    func aFullDiskIsAnIOFailure(_ args: String) throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let run = try toFullDisk(args, stdin: Repo.path("examples/tickets.jsonl"))
        #expect(run.status == 3, "\(args): \(run)")
        #expect(run.err == "error: cannot write standard output: No space left on device\n", "\(args): \(run)")
    }

    @Test func aFolderOnStandardInputIsAnIOFailure() throws {
        let run = try toFullDisk("eval", stdin: "/tmp")  // nothing is written: no line is read
        #expect(run.status == 3, "\(run)")
        #expect(run.err == "error: cannot read standard input: Is a directory\n", "\(run)")
    }

    @Test func aClosedStandardInputIsAnIOFailure() throws {
        let run = try shell("\"$V\" eval <&- >/dev/null")
        #expect(run.status == 3, "\(run)")
        #expect(run.err.hasPrefix("error: cannot read standard input: "), "\(run)")
    }

    /// `| head`: the reader goes away; verdict stops without a word.
    @Test func aClosedPipeEndsQuietly() throws {
        let run = try shell(
            "yes \"$(head -1 examples/tickets.jsonl)\" 2>/dev/null | head -100000 2>/dev/null | \"$V\" eval | head -1 >/dev/null; echo \"${PIPESTATUS[2]}\"")
        #expect(run.out == "1\n", "\(run)")
        #expect(run.err.isEmpty, "\(run)")
    }

    @Test func exprInputHasTheLimitOfATicketLine() throws {
        let zero = try verdict(["expr", "1", "--input", "/dev/zero"], timeout: 30)
        #expect(zero.status == 2, "\(zero)")
        #expect(zero.err.contains("is larger than 64 MiB, the limit of one ticket"), "\(zero)")
        let folder = try verdict(["expr", "1", "--input", "/tmp"])
        #expect(folder.status == 2 && folder.err == "error: cannot read `/tmp`: it is a folder\n", "\(folder)")
        let missing = try verdict(["expr", "1", "--input", "/no/such/file"])
        #expect(missing.status == 2 && missing.err == "error: cannot read `/no/such/file`: No such file or directory\n", "\(missing)")
    }
}
