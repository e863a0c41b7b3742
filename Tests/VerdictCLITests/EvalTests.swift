import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `verdict eval`: the ticket contract (/work/shared/spec/ticket-contract.md) as
/// another tool sees it through stdin, stdout, stderr and the exit status.
@Suite struct EvalTests {
    let policiesArgs = ["eval", "--policies", Repo.policies]

    // MARK: 1. The examples

    @Test func examplesGetOneLineEachInOrderWithIdsEchoed() throws {
        let input = try Repo.read("examples/tickets.jsonl")
        let run = try verdict(policiesArgs, stdin: input)
        #expect(!run.signaled, "\(run)")
        // One example ticket has an unknown market: an error line, so exit 1.
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        #expect(run.stdinConsumed == UInt64(input.count))

        let inputLines = String(decoding: input, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let tickets = inputLines.enumerated()
            .filter { !$0.element.allSatisfy(\.isWhitespace) }
            .map { (number: $0.offset + 1, text: $0.element) }
        let lines = run.lines
        try #require(lines.count == tickets.count, "\(lines.count) output lines for \(tickets.count) tickets")

        var errors: [Int] = []
        for (out, ticket) in zip(lines, tickets) {
            let o = try jsonObject(out)
            let wantId = try jsonObject(ticket.text)["id"] as? String
            #expect(o["id"] as? String == wantId, "line \(ticket.number): \(out.prefix(200))")
            if o["error"] != nil {
                errors.append(ticket.number)
                #expect(o["line"] as? Int == ticket.number)
                #expect(Set(o.keys) == ["line", "id", "error"])
            } else {
                let policy = o["policy"] as? [String: Any]
                #expect(["domestic", "export", "material"].contains(policy?["name"] as? String ?? ""))
                #expect(o["answers"] is [String: Any])
            }
        }
        // Exactly the unknown-market ticket is an error.
        let marsLine = try #require(tickets.first { $0.text.contains("\"mars\"") }?.number)
        #expect(errors == [marsLine])
        let mars = try jsonObject(lines[tickets.firstIndex { $0.number == marsLine }!])
        #expect(mars["id"] as? String == "err-unknown-market")
        #expect((mars["error"] as? String ?? "").contains("mars"), "\(mars)")

        // examples/answers.jsonl, when present, is exactly what the binary writes.
        if let recorded = FileManager.default.contents(atPath: Repo.path("examples/answers.jsonl")) {
            #expect(
                [UInt8](recorded) == run.stdout,
                "examples/answers.jsonl differs from `verdict eval < examples/tickets.jsonl`")
        }
    }

    // MARK: 2. Exit codes

    @Test func exitZeroWhenEveryLineIsEvaluatedEvenUndetermined() throws {
        let missingInstall = ticket("no-install-date").replacingOccurrences(
            of: "\"installed_on\":\"2025-06-01\",", with: "")
        let material = """
            {"id":"mat-1","market":"export","product":"material","opened_at":"2025-07-02T10:00:00Z","request":{"kind":"training","onsite":false}}
            """
        // null counts as missing; `product` defaults to equipment; no `id` echoes null.
        let nullAndDefaults = ticket("")
            .replacingOccurrences(of: "\"id\":\"\",", with: "")
            .replacingOccurrences(of: "\"product\":\"equipment\",", with: "")
            .replacingOccurrences(of: "\"remote_resolvable\":false", with: "\"remote_resolvable\":null")
        let input = Array([ticket("all-given"), missingInstall, material, nullAndDefaults].joined(separator: "\n").utf8) + [newline]
        // No --policies: the default is ./policies, and the tests run in the repository root.
        let run = try verdict(["eval"], stdin: input)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        try #require(run.lines.count == 4, "\(run)")

        let full = try jsonObject(run.lines[0])
        #expect(full["undetermined"] == nil, "no undetermined key when nothing is undetermined: \(run.lines[0])")
        let answers = full["answers"] as? [String: Any] ?? [:]
        #expect(answers["in_warranty"] as? Bool == true)
        #expect(answers["visit_chargeable"] as? Bool == false)
        #expect(answers["fees"] as? [String] == [])
        #expect(answers["warranty_last_day"] as? String == "2026-05-31")
        #expect(answers["response_due"] as? String == "2025-08-15T09:30:00+08:00")

        let partial = try jsonObject(run.lines[1])
        let undetermined = partial["undetermined"] as? [String: String] ?? [:]
        #expect(undetermined["in_warranty"]?.contains("unit.installed_on") == true, "\(run.lines[1])")
        #expect(undetermined["warranty_last_day"] != nil)
        let still = partial["answers"] as? [String: Any] ?? [:]
        #expect(still["in_warranty"] == nil)
        #expect(still["quality_fault"] as? Bool == true, "a decision that does not need the date is answered")
        #expect(still["response_due"] as? String == "2025-08-15T09:30:00+08:00")

        let mat = try jsonObject(run.lines[2])
        #expect((mat["policy"] as? [String: Any])?["name"] as? String == "material")
        #expect((mat["answers"] as? [String: Any])?["visit_chargeable"] as? Bool == false)

        let defaults = try jsonObject(run.lines[3])
        #expect(run.lines[3].hasPrefix(#"{"id":null,"answers":{"#), "\(run.lines[3])")
        #expect((defaults["policy"] as? [String: Any])?["name"] as? String == "domestic")
        #expect(
            (defaults["undetermined"] as? [String: String])?["onsite_covered"] == "fault.remote_resolvable is missing",
            "\(run.lines[3])")
    }

    @Test func exitTwoWhenThePolicyFolderDoesNotExistAndNothingIsRead() throws {
        let dir = try TempDir()
        let input = Array((ticket("unread") + "\n").utf8)
        let run = try verdict(["eval", "--policies", dir.path + "/no-such-folder"], stdin: input)
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.err.contains("no-such-folder"), "\(run)")
        #expect(run.stdinConsumed == 0, "stdin must not be read when the policies do not load")
    }

    @Test func exitTwoWhenAPolicyIsBrokenAndNothingIsRead() throws {
        let copy = try PolicyCopy()
        let at = try copy.edit(
            "equipment.yaml", replacing: "  in_warranty:\n    type: bool\n    decision: true\n",
            with: "  in_warranty:\n    type: bool\n    decison: true\n", marker: "decison")
        let input = Array((ticket("unread") + "\n").utf8)
        let run = try verdict(["eval", "--policies", copy.path], stdin: input)
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(
            run.err.contains("\(copy.path)/equipment.yaml:\(at.line):\(at.column): error: "),
            "expected equipment.yaml:\(at.line):\(at.column) in\n\(run)")
        #expect(run.stdinConsumed == 0, "stdin must not be read when the policies do not load")
    }

    @Test(arguments: [
        ["eval", "--frobnicate"],
        ["eval", "--ask", "not_a_decision"],
        ["eval", "--ask", "in_warranty", "--ask", "visit_chargable"],
        ["eval", "--policies"],
        ["eval", "extra-argument"],
    ])
    func exitTwoOnUsageErrorsAndNothingIsRead(_ args: [String]) throws {
        let input = Array((ticket("unread") + "\n").utf8)
        let run = try verdict(args, stdin: input)
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(!run.stderr.isEmpty, "\(run)")
        #expect(run.stdinConsumed == 0, "stdin must not be read on a usage error")
        if args.contains("not_a_decision") { #expect(run.err.contains("not_a_decision"), "\(run)") }
        if args.contains("visit_chargable") {
            #expect(run.err.contains("visit_chargeable"), "a misspelt --ask gets a suggestion: \(run)")
        }
    }

    // MARK: 3. Hostile lines

    enum Want {
        case blank
        case answered(id: String)
        case error(id: String?, containing: String)
    }

    @Test func hostileLinesEachGetOneLineAndTheStreamGoesOn() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let crlf: [UInt8] = [0x0D, 0x0A]
        let lf: [UInt8] = [newline]
        func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

        let badUTF8: [UInt8] = {
            let parts = ticket("h-utf8", extra: ",\"note\":\"@@\"").components(separatedBy: "@@")
            return bytes(parts[0]) + [0xC3, 0x28, 0xFF, 0xFE] + bytes(parts[1])
        }()
        let big = ticket("h-2mb", extra: ",\"note\":\"" + String(repeating: "x", count: 2 << 20) + "\"")
        let deepArray = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let deepObject = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        let hugeInt = ticket("h-huge-int").replacingOccurrences(
            of: "\"units_held\":12", with: "\"units_held\":123456789012345678901234567890")
        let stringInt = ticket("h-string-int")
            .replacingOccurrences(of: "\"install_count\":1", with: "\"install_count\":\"1\"")
            .replacingOccurrences(of: "\"kind\":\"repair\"", with: "\"kind\":\"installation\"")
        let teleport = ticket("h-teleport").replacingOccurrences(
            of: "\"kind\":\"repair\"", with: "\"kind\":\"teleport\"")
        let withNul = bytes("{\"id\":\"h-nul\",\"market\":\"domestic\"") + [0x00] + bytes("}")

        // (line content, line end, what must come out); line numbers are 1-based over every line.
        let cases: [([UInt8], [UInt8], Want)] = [
            (bom + bytes(ticket("h-bom-crlf")), crlf, .answered(id: "h-bom-crlf")),  // 1: BOM at start, CRLF
            (bytes("{\"id\": \"h-broken\", \"market\": "), lf, .error(id: nil, containing: "invalid JSON")),  // 2
            (badUTF8, lf, .error(id: nil, containing: "UTF-8")),  // 3
            ([], lf, .blank),  // 4
            (bytes(big), lf, .answered(id: "h-2mb")),  // 5: a 2 MB line
            (bytes(deepArray), lf, .error(id: nil, containing: "invalid JSON")),  // 6
            (bytes(deepObject), lf, .error(id: nil, containing: "invalid JSON")),  // 7
            (bytes("  \t "), lf, .blank),  // 8
            (bytes(hugeInt), lf, .answered(id: "h-huge-int")),  // 9
            (bytes(stringInt), lf, .answered(id: "h-string-int")),  // 10
            (bytes(teleport), lf, .answered(id: "h-teleport")),  // 11
            (bytes("[" + ticket("h-array") + "]"), lf, .error(id: nil, containing: "object")),  // 12
            (bytes("{}"), lf, .error(id: nil, containing: "market")),  // 13
            (withNul, lf, .error(id: nil, containing: "invalid JSON")),  // 14
            (bom, lf, .error(id: nil, containing: "invalid JSON")),  // 15: a BOM alone, not at the start
            (bytes(ticket("h-crlf")), crlf, .answered(id: "h-crlf")),  // 16
            ([], crlf, .blank),  // 17: an empty CRLF line
            (bytes(ticket("h-mars", market: "mars")), lf, .error(id: "h-mars", containing: "mars")),  // 18
            (bytes(ticket("h-last-no-newline")), [], .answered(id: "h-last-no-newline")),  // 19
        ]
        let input = cases.flatMap { $0.0 + $0.1 }
        let run = try verdict(policiesArgs, stdin: input)
        #expect(!run.signaled, "crashed: \(run)")
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        #expect(String(bytes: run.stdout, encoding: .utf8) != nil, "stdout is valid UTF-8")

        let expected = cases.enumerated().filter {
            if case .blank = $0.element.2 { return false }
            return true
        }
        let lines = run.lines
        try #require(
            lines.count == expected.count,
            "\(lines.count) output lines for \(expected.count) non-blank input lines:\n\(lines.map { String($0.prefix(160)) }.joined(separator: "\n"))"
        )
        var answered: [String: [String: Any]] = [:]
        for (out, (index, c)) in zip(lines, expected) {
            let number = index + 1
            let o = try jsonObject(out)
            switch c.2 {
            case .blank:
                break
            case .answered(let id):
                #expect(o["error"] == nil, "line \(number) should be answered: \(out.prefix(300))")
                #expect(o["id"] as? String == id)
                #expect(o["answers"] is [String: Any], "line \(number)")
                let policy = o["policy"] as? [String: Any]
                #expect(policy?["name"] as? String == "domestic", "line \(number)")
                answered[id] = o
            case .error(let id, let containing):
                #expect(Set(o.keys) == ["line", "id", "error"], "line \(number): \(out.prefix(300))")
                #expect(o["line"] as? Int == number, "line \(number): \(out.prefix(300))")
                if let id {
                    #expect(o["id"] as? String == id, "line \(number)")
                } else {
                    #expect(o["id"] is NSNull, "line \(number): id must be null: \(out.prefix(300))")
                }
                let message = o["error"] as? String ?? ""
                #expect(!message.isEmpty, "line \(number)")
                #expect(message.contains(containing), "line \(number): \(message)")
            }
        }

        func undetermined(_ id: String) -> [String: String] { answered[id]?["undetermined"] as? [String: String] ?? [:] }
        func answers(_ id: String) -> [String: Any] { answered[id]?["answers"] as? [String: Any] ?? [:] }

        // The BOM, CRLF and missing final newline do not change the answer.
        for id in ["h-bom-crlf", "h-crlf", "h-last-no-newline", "h-2mb"] {
            #expect(answered[id]?["undetermined"] == nil, "\(id)")
            #expect(answers(id)["in_warranty"] as? Bool == true, "\(id)")
        }
        // An int beyond 64 bits is invalid: the decision that needs it is undetermined, the rest answered.
        #expect(undetermined("h-huge-int")["maintenance_visits_per_year"]?.contains("customer.units_held") == true,
            "\(undetermined("h-huge-int"))")
        #expect(answers("h-huge-int")["in_warranty"] as? Bool == true)
        // A string where an int is declared is invalid, never converted.
        #expect(undetermined("h-string-int")["first_install_free"]?.contains("unit.install_count") == true,
            "\(undetermined("h-string-int"))")
        // An enum value the policy does not declare is invalid.
        #expect(undetermined("h-teleport").values.contains { $0.contains("request.kind") }, "\(undetermined("h-teleport"))")
        #expect(answers("h-teleport")["response_due"] as? String == "2025-08-15T09:30:00+08:00")
    }

    // MARK: 4. --ask and --explain

    @Test func askAnswersOnlyTheNamedDecisionsInTheOrderAsked() throws {
        let material = """
            {"id":"m","market":"domestic","product":"material","opened_at":"2025-08-14T09:30:00+08:00","request":{"kind":"material_issue","onsite":true}}
            """
        let input = Array([ticket("a"), material].joined(separator: "\n").utf8) + [newline]
        let run = try verdict(
            policiesArgs + ["--ask", "visit_chargeable", "--ask", "in_warranty", "--ask", "fees", "--ask", "in_warranty"],
            stdin: input)
        #expect(run.status == 0, "\(run)")
        try #require(run.lines.count == 2, "\(run)")
        let domestic = try jsonObject(run.lines[0])
        let digest = try #require((domestic["policy"] as? [String: Any])?["digest"] as? String)
        #expect(
            run.lines[0]
                == #"{"id":"a","answers":{"visit_chargeable":false,"in_warranty":true,"fees":[]},"policy":{"name":"domestic","version":"2026.1","digest":"\#(digest)"}}"#
        )
        // A decision the ticket's policy lacks is undetermined, with the reason.
        let m = try jsonObject(run.lines[1])
        #expect(orderedKeys(of: "answers", in: run.lines[1]) == ["visit_chargeable"], "\(run.lines[1])")
        #expect(orderedKeys(of: "undetermined", in: run.lines[1]) == ["in_warranty", "fees"], "\(run.lines[1])")
        let undetermined = m["undetermined"] as? [String: String] ?? [:]
        #expect(undetermined["in_warranty"]?.contains("material") == true, "\(run.lines[1])")
        #expect((m["answers"] as? [String: Any])?["visit_chargeable"] as? Bool == false)
    }

    @Test func explainGivesEveryAnswerItsClauseValueAndUsedValues() throws {
        let missingInstall = ticket("no-date").replacingOccurrences(of: "\"installed_on\":\"2025-06-01\",", with: "")
        let input = Array([ticket("x"), missingInstall].joined(separator: "\n").utf8) + [newline]
        let run = try verdict(policiesArgs + ["--explain"], stdin: input)
        #expect(run.status == 0, "\(run)")
        try #require(run.lines.count == 2, "\(run)")
        for line in run.lines {
            let o = try jsonObject(line)
            let explanation = try #require(o["explanation"] as? [String: Any], "no explanation: \(line.prefix(300))")
            let answers = o["answers"] as? [String: Any] ?? [:]
            let undetermined = o["undetermined"] as? [String: String] ?? [:]
            #expect(answers.count + undetermined.count == 16, "every decision of the domestic policy")
            for name in Array(answers.keys) + Array(undetermined.keys) {
                let e = try #require(explanation[name] as? [String: Any], "no explanation of \(name)")
                #expect((e["clause"] as? [String])?.isEmpty == false, "\(name): \(e)")
                #expect(e["used"] is [String: Any], "\(name): \(e)")
                if undetermined[name] != nil {
                    #expect(e["undetermined"] is String, "\(name): \(e)")
                    #expect(e["value"] == nil, "\(name): \(e)")
                } else {
                    #expect(e.keys.contains("value"), "\(name): \(e)")
                    #expect(e["undetermined"] == nil, "\(name): \(e)")
                }
            }
        }
        let full = try jsonObject(run.lines[0])
        let explanation = full["explanation"] as? [String: Any] ?? [:]
        let inWarranty = explanation["in_warranty"] as? [String: Any] ?? [:]
        #expect(inWarranty["value"] as? Bool == true)
        // A domestic answer cites the domestic clause only (7.1.x, not 7.2.x).
        #expect(inWarranty["clause"] as? [String] == ["7.1.6"])
        let used = inWarranty["used"] as? [String: Any] ?? [:]
        #expect(used["ticket_date"] as? String == "2025-08-14", "\(inWarranty)")
        #expect(used["warranty_end"] as? String == "2026-06-01", "\(inWarranty)")
        // Internal rules an answer needed are explained too, marked as not decisions.
        let end = explanation["warranty_end"] as? [String: Any] ?? [:]
        #expect(end["decision"] as? Bool == false, "\(end)")
        #expect((end["used"] as? [String: Any])?["unit.installed_on"] as? String == "2025-06-01", "\(end)")
    }

    // MARK: 5. One process kept open

    @Test(arguments: ["1", "4"])
    func answersComeBackOneAtATimeWhileStdinStaysOpen(_ jobs: String) throws {
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: try Binary.require())
        process.arguments = policiesArgs + ["--ask", "in_warranty", "--jobs", jobs]
        process.currentDirectoryURL = URL(fileURLWithPath: Repo.root)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let inFD = input.fileHandleForWriting.fileDescriptor
        let outFD = output.fileHandleForReading.fileDescriptor
        var pending: [UInt8] = []
        for i in 1...3 {
            try writeAll(inFD, Array((ticket("open-\(i)") + "\n").utf8))
            // Without closing stdin: the answer must arrive while the process waits for more.
            let line = try readLine(outFD, &pending, timeout: 20)
            #expect(try jsonObject(line)["id"] as? String == "open-\(i)", "\(line)")
        }
        try input.fileHandleForWriting.close()
        guard done.wait(timeout: .now() + 30) == .success else {
            throw Failure("verdict eval did not exit after stdin was closed")
        }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let rest = try output.fileHandleForReading.readToEnd() ?? Data()
        #expect(pending.isEmpty && rest.isEmpty, "nothing more after the three answers")
    }

    // MARK: 6. Determinism

    /// `--jobs N`: batches answered on N threads, written in input order:
    /// the same bytes as one thread, error lines and blank lines in place.
    @Test func jobsGiveTheSameBytesInTheSameOrder() throws {
        var lines: [String] = []
        let kinds = ["repair", "installation", "training", "maintenance"]
        for i in 0..<3000 {
            switch i % 97 {
            case 13: lines.append("not json \(i)")
            case 29: lines.append("")
            case 41: lines.append(#"{"id":"x\#(i)","market":"mars"}"#)
            default:
                lines.append(ticket("j\(i)", market: i % 2 == 0 ? "domestic" : "export", extra: #","request":{"kind":"\#(kinds[i % 4])","onsite":\#(i % 3 == 0),"parts_replaced":false}"#))
            }
        }
        let input = Array((lines.joined(separator: "\n") + "\n").utf8)
        let one = try verdict(["eval", "--policies", Repo.policies, "--jobs", "1"], stdin: input)
        #expect(one.status == 1, "some lines are error lines: \(one.stderr.count)")
        #expect(one.lines.count == lines.count - lines.filter(\.isEmpty).count)
        for jobs in ["2", "3", "8"] {
            let many = try verdict(["eval", "--policies", Repo.policies, "--jobs", jobs], stdin: input)
            #expect(many.status == one.status)
            #expect(many.stdout == one.stdout, "--jobs \(jobs) differs from --jobs 1")
        }
        let explain1 = try verdict(["eval", "--policies", Repo.policies, "--jobs", "1", "--explain"], stdin: input)
        let explain3 = try verdict(["eval", "--policies", Repo.policies, "--jobs", "3", "--explain"], stdin: input)
        #expect(explain1.stdout == explain3.stdout, "explanations are the same on three workers")
        let zero = try verdict(["eval", "--policies", Repo.policies, "--jobs", "0"], stdin: input)
        #expect(zero.status == 2 && zero.stdinConsumed == 0, "\(zero)")
    }

    @Test func theSameInputGivesByteIdenticalOutput() throws {
        let input = try Repo.read("examples/tickets.jsonl")
        let first = try verdict(policiesArgs + ["--explain"], stdin: input)
        let second = try verdict(policiesArgs + ["--explain"], stdin: input)
        #expect(first.status == 1 && second.status == 1)
        #expect(!first.stdout.isEmpty)
        #expect(first.stdout == second.stdout)
    }
}

// MARK: - Pipe helpers for the keep-open test

func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw Failure("write to verdict's stdin failed: errno \(errno)")
        }
        offset += n
    }
}

/// Reads until a full line is buffered; fails after `timeout` seconds (a missing flush).
func readLine(_ fd: Int32, _ pending: inout [UInt8], timeout: Double) throws -> String {
    let deadline = Date().addingTimeInterval(timeout)
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        if let nl = pending.firstIndex(of: newline) {
            let line = String(decoding: pending[..<nl], as: UTF8.self)
            pending.removeFirst(nl + 1)
            return line
        }
        let left = deadline.timeIntervalSinceNow
        guard left > 0 else {
            throw Failure("no answer line within \(timeout) s while stdin stays open (answers not flushed?)")
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(min(left, 1) * 1000))
        if ready < 0 {
            if errno == EINTR { continue }
            throw Failure("poll failed: errno \(errno)")
        }
        if ready == 0 { continue }
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw Failure("read failed: errno \(errno)")
        }
        if n == 0 { throw Failure("stdout closed before an answer line") }
        pending += chunk[0..<n]
    }
}

extension EvalTests {
    /// A failed read of stdin is not its end: say so and exit 3 (the
    /// contract's I/O failure), never 0 with lines lost.
    @Test func unreadableStdinIsAnErrorNotAnEmptyInput() throws {
        let binary = try Binary.require()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" eval --policies \"$1\" < /", binary, Repo.policies]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 3, "\(text)")
        #expect(text.contains("cannot read standard input"), "\(text)")
    }

    // MARK: The policy cache

    /// A second run reads the decoded files from the cache and answers byte
    /// for byte as the first and as a run without it; an edited file misses
    /// and is read from its YAML; `VERDICT_CACHE=off` writes nothing.
    @Test func thePolicyCacheChangesNoAnswer() throws {
        let cache = try TempDir()
        let policies = try TempDir()
        for name in ["base.yaml", "equipment.yaml", "domestic.yaml", "export.yaml", "material.yaml"] {
            try policies.write(name, String(decoding: try Repo.read("policies/" + name), as: UTF8.self))
        }
        let input = try Repo.read("examples/tickets.jsonl")
        let args = ["eval", "--policies", policies.path, "--explain"]
        let off = try verdict(args, stdin: input, environment: ["VERDICT_CACHE": "off"])
        #expect(!off.signaled && !off.stdout.isEmpty, "\(off)")
        let entries = { (try? FileManager.default.contentsOfDirectory(atPath: cache.path + "/v")) ?? [] }
        let miss = try verdict(args, stdin: input, environment: ["VERDICT_CACHE": cache.path + "/v"])
        #expect(entries().filter { $0.hasSuffix(".vdoc") }.count == 5, "\(entries())")
        let hit = try verdict(args, stdin: input, environment: ["VERDICT_CACHE": cache.path + "/v"])
        #expect(miss.stdout == off.stdout && hit.stdout == off.stdout)
        #expect(miss.status == off.status && hit.status == off.status && miss.stderr == off.stderr && hit.stderr == off.stderr)
        // An edit: the new window shows at once.
        let export = try policies.read("export.yaml")
        try policies.write("export.yaml", export + "\n# edited\n")
        let edited = try verdict(args, stdin: input, environment: ["VERDICT_CACHE": cache.path + "/v"])
        #expect(edited.stdout == off.stdout, "a comment changes no answer")
        #expect(entries().filter { $0.hasSuffix(".vdoc") }.count == 6)
        let offFolder = cache.path + "/never"
        _ = try verdict(args, stdin: input, environment: ["VERDICT_CACHE": "off", "XDG_CACHE_HOME": offFolder])
        #expect(!FileManager.default.fileExists(atPath: offFolder))
    }
}
