import Foundation
import Testing
import VerdictCompiler
import VerdictOutput
import VerdictRuntime

/// What `verdict eval` prints for these bytes and options: the CLI's own
/// sink and stream, run in this process.
func cliAnswers(_ input: String, ask: [String] = [], explain: Bool = false) throws -> String {
    let set = try PolicySet.load(directory: Repo.root + "/policies")
    let plan = try AskPlan(policies: set.compiled, ask: ask)
    let sink = TicketSink(policies: set, plan: plan, explain: explain)
    var bytes = Array(input.utf8)[...]
    var out: [UInt8] = []
    _ = TicketStream().run(
        sink,
        read: { buffer in
            let n = min(buffer.count, bytes.count)
            if n > 0, let base = buffer.baseAddress {
                bytes.prefix(n).withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: n) }
            }
            bytes = bytes.dropFirst(n)
            return n
        },
        write: {
            out += $0
            return true
        })
    return String(decoding: out, as: UTF8.self)
}

@Suite("POST /v1/eval")
struct EvalEndpointTests {
    static let tickets = (try? Repo.text("examples/tickets.jsonl")) ?? ""
    static let answers = (try? Repo.text("examples/answers.jsonl")) ?? ""

    @Test("each example ticket alone gets the CLI's line: 200 for an answer, 400 for an error line")
    func singleTickets() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let inputs = lines(Self.tickets).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let expected = lines(Self.answers)
            #expect(inputs.count == expected.count)
            for (input, answer) in zip(inputs, expected) {
                let r = try await post(s.port, "/v1/eval", input)
                let isError = answer.hasPrefix("{\"line\":")
                // Alone, a ticket is line 1 of its body.
                let line =
                    isError
                    ? answer.replacingOccurrences(of: #"^\{"line":[0-9]+,"#, with: "{\"line\":1,", options: .regularExpression)
                    : answer
                #expect(r.text == line + "\n", "\(input.prefix(120))")
                #expect(r.status == (isError ? 400 : 200))
                #expect(r.headers["content-type"] == "application/json")
                #expect(r.headers["verdict-set"]?.hasPrefix("sha256:") == true)
                if !isError, let policy = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
                    let p = policy["policy"] as? [String: String]
                {
                    #expect(r.headers["verdict-policy"] == "\(p["name"]!) \(p["version"]!) \(p["digest"]!)")
                }
            }
        }
    }

    @Test("a JSON Lines body gets every line the CLI prints, in order, byte for byte")
    func linesBody() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let r = try await post(s.port, "/v1/eval", Self.tickets, lines: true)
            #expect(r.status == 200)
            #expect(r.headers["content-type"] == "application/x-ndjson")
            #expect(r.headers["transfer-encoding"] == "chunked")
            #expect(r.text == Self.answers)
            // Every answer's policy is named in the header.
            let named = r.headers["verdict-policy"] ?? ""
            for line in r.lines {
                if let d = line.range(of: "\"digest\":\"") {
                    #expect(named.contains(String(line[d.upperBound...].prefix(71))))
                }
            }
        }
    }

    @Test(
        "ask and explain give the CLI's bytes",
        arguments: [
            ([], true), (["visit_chargeable"], false), (["fees", "in_warranty", "fees"], false),
            (["in_warranty", "required_forms"], true),
        ] as [([String], Bool)])
    func askAndExplain(ask: [String], explain: Bool) async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            var query = ask.map { "ask=\($0)" }
            if explain { query.append("explain=true") }
            let target = "/v1/eval?" + query.joined(separator: "&")
            let expected = try cliAnswers(Self.tickets, ask: ask, explain: explain)
            let r = try await post(s.port, target, Self.tickets, lines: true)
            #expect(r.status == 200)
            #expect(r.text == expected)
            let first = try #require(lines(Self.tickets).first)
            let one = try await post(s.port, target, first)
            #expect(one.text == lines(expected).first.map { $0 + "\n" })
        }
    }

    @Test("JSON Lines are answered as they arrive: the first answer comes before the second line is sent")
    func streamsInOrder() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let inputs = lines(Self.tickets)
            let expected = lines(Self.answers)
            let (c, status, first) = try await startStream(s.port, first: inputs[0])
            var received = first
            #expect(status == 200)
            #expect(String(decoding: received, as: UTF8.self) == expected[0] + "\n")
            // The rest, split in the middle of a line; a blank line and CRLF on the way.
            let rest = Array((inputs[1...].joined(separator: "\r\n") + "\n\n").utf8)
            try await c.sendChunk(Array(rest[..<(rest.count / 2)]))
            try await c.sendChunk(Array(rest[(rest.count / 2)...]))
            try await c.sendChunk([])
            while let chunk = try await c.readChunk() { received += chunk }
            #expect(String(decoding: received, as: UTF8.self) == Self.answers)
        }
    }

    @Test("bad bodies: error objects with 400, one line per input line in a stream, never a 500")
    func badBodies() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let malformed = try await post(s.port, "/v1/eval", "{\"id\":\"T-1\",")
            #expect(malformed.status == 400)
            #expect(malformed.text == "{\"line\":1,\"id\":null,\"error\":\"invalid JSON at byte 13: unexpected end of input\"}\n")
            let empty = try await post(s.port, "/v1/eval", "")
            #expect(empty.status == 400)
            #expect(try empty.json()["line"] as? Int == 1)
            let array = try await post(s.port, "/v1/eval", "[1,2]")
            #expect(array.status == 400)
            #expect(array.text.contains("a ticket must be a JSON object"))
            let unknownMarket = try await post(s.port, "/v1/eval", "{\"id\":\"X\",\"market\":\"mars\"}")
            #expect(unknownMarket.status == 400)
            #expect(try unknownMarket.json()["id"] as? String == "X")
            let badUTF8 = try await http(
                "POST", port: s.port, "/v1/eval", body: Array("{\"id\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8))
            #expect(badUTF8.status == 400)

            // In a stream, each bad line gets its error line in its place.
            let good = try #require(lines(Self.tickets).first)
            let mixed = [good, "not json", "", "[]", "{\"id\":7,\"market\":\"mars\"}", good].joined(separator: "\n")
            let r = try await post(s.port, "/v1/eval", mixed, lines: true)
            #expect(r.status == 200)
            #expect(r.lines.count == 5)
            #expect(r.lines[1].hasPrefix("{\"line\":2,\"id\":null,\"error\":\"invalid JSON"))
            #expect(r.lines[2] == "{\"line\":4,\"id\":null,\"error\":\"a ticket must be a JSON object, not a list\"}")
            #expect(r.lines[3].hasPrefix("{\"line\":5,\"id\":7,"))
            #expect(r.lines[4] == r.lines[0])
            #expect(r.text == (try cliAnswers(mixed)))

            // Random bytes: a 200 or a 400, never a 500 nor a dropped connection.
            var generator = SystemRandomNumberGenerator()
            for i in 0..<40 {
                let n = Int.random(in: 0..<300, using: &generator)
                var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if i % 2 == 0 { bytes = Array(good.utf8.prefix(n)) + bytes }
                let r = try await http(
                    "POST", port: s.port, "/v1/eval", body: bytes,
                    headers: ["Content-Type": i % 3 == 0 ? "application/x-ndjson" : "application/json"])
                #expect(r.status == 200 || r.status == 400, "\(r)")
            }
        }
    }

    @Test("query mistakes: unknown decisions and parameters with a hint")
    func queryMistakes() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let ticket = try #require(lines(Self.tickets).first)
            let r = try await post(s.port, "/v1/eval?ask=in_waranty", ticket)
            #expect(r.status == 400)
            let message = try #require(try r.json()["error"] as? String)
            #expect(message.hasPrefix("unknown decision `in_waranty` (did you mean `in_warranty`?); decisions: "))
            let stream = try await post(s.port, "/v1/eval?ask=fes", ticket, lines: true)
            #expect(stream.status == 400)
            let p = try await post(s.port, "/v1/eval?asks=fees", ticket)
            #expect(p.status == 400)
            #expect(p.text.contains("unknown query parameter `asks` (did you mean `ask`?)"))
            let e = try await post(s.port, "/v1/eval?explain=yes", ticket)
            #expect(e.status == 400)
            #expect(try e.json()["line"] is NSNull)
        }
    }

    @Test("bodies over --max-body: 413 before reading, or a last error line when no length was sent")
    func oversized() async throws {
        let policies = try Policies()
        try await withServer(policies, configure: { $0.maxBody = 4096 }) { s in
            let ticket = try #require(lines(Self.tickets).first)
            let big = String(repeating: ticket + "\n", count: 20)
            let r = try await post(s.port, "/v1/eval", big, lines: true)
            #expect(r.status == 413)
            #expect(try r.json()["error"] as? String == "the request body is larger than 4096 bytes")
            let single = try await post(s.port, "/v1/eval", big)
            #expect(single.status == 413)

            // Chunked, no length: the lines before the limit are answered, then one error line.
            let c = try Connection(port: s.port)
            try await c.send(
                "POST /v1/eval HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<20 { try await c.sendChunk(Array((ticket + "\n").utf8)) }
            try await c.sendChunk([])
            let reply = try await c.readResponse()
            #expect(reply.status == 200)
            let last = try #require(reply.lines.last)
            #expect(last == "{\"line\":null,\"id\":null,\"error\":\"the request body is larger than 4096 bytes: the rest is not read\"}")
            #expect(reply.lines.dropLast().allSatisfy { $0.hasPrefix("{\"id\":") })
            #expect(reply.lines.count > 1)
        }
    }

    /// The deepest policy the limits allow (a chain of 200 rules, each a tree
    /// of 248 `!` over the next) is evaluated on threads whose stacks fit it,
    /// not on the server's own: no crash, the CLI's answer, alone or streamed.
    @Test("the deepest policy within the limits is answered, not a crash")
    func deepestPolicy() async throws {
        let policies = try Policies()
        for name in try FileManager.default.contentsOfDirectory(atPath: policies.path) {
            try FileManager.default.removeItem(atPath: policies.path + "/" + name)
        }
        var yaml = """
            verdict: 1
            policy: t
            applies_to: {market: a}
            inputs:
              market: {type: enum, values: [a], label: {zh: 市, en: Market}}
            rules:

            """
        let n = 200
        for i in 0..<n {
            yaml += """
                  r\(i):
                    type: bool
                    decision: \(i == 0)
                    clause: "1"
                    label: {zh: 甲, en: R}
                    expr: "\(String(repeating: "!", count: 248) + (i == n - 1 ? "true" : "r\(i + 1)"))"

                """
        }
        try policies.write("t.yaml", yaml)
        try await withServer(policies) { s in
            let one = try await post(s.port, "/v1/eval", #"{"market":"a"}"#)
            #expect(one.status == 200 && one.text.contains(#""r0":true"#), "\(one.status) \(one.text.prefix(200))")
            let many = try await post(s.port, "/v1/eval", String(repeating: "{\"market\":\"a\"}\n", count: 3), lines: true)
            #expect(many.status == 200 && lines(many.text).count == 3, "\(many.status) \(many.text.prefix(200))")
        }
    }
}
