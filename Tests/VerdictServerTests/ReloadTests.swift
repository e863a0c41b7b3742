import Foundation
import Testing
import VerdictCompiler
import VerdictOutput

/// The digest of policy `name` in GET /v1/policies.
func digest(_ s: TestServer, _ name: String) async throws -> String? {
    let list = try await get(s.port, "/v1/policies").json()
    let policies = list["policies"] as? [[String: Any]] ?? []
    return policies.first { $0["name"] as? String == name }?["digest"] as? String
}

/// The export on-site window: 3 months as shipped.
let windowShipped = "    value: 3\n"
let windowEdited = "    value: 6\n"

@Suite("Hot reload")
struct ReloadTests {
    static let exportTicket =
        (try? Repo.text("examples/tickets.jsonl")).flatMap { lines($0).first { $0.contains("\"market\": \"export\"") } }
        ?? ""

    @Test("a good edit is swapped in; policies untouched keep their load time")
    func goodEdit() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let before = try #require(try await digest(s, "export"))
            let domesticBefore = try await get(s.port, "/v1/policies").json()
            try policies.edit("export.yaml", replacing: windowShipped, with: windowEdited)
            // Within a second is what bench/serve.sh measures (a release build under
            // load); here, in a debug build beside every other test, it may take longer.
            let swapped = try await eventually(within: 30) { try await digest(s, "export") != before }
            #expect(swapped)
            let list = try await get(s.port, "/v1/policies").json()
            #expect(list["generation"] as? Int == 2)
            #expect(list["last_reload_error"] is NSNull)
            // The domestic policy did not change: its loaded_at is the first load's.
            let loadedAt = { (o: [String: Any]) in
                ((o["policies"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "domestic" }?["loaded_at"]
                    as? String
            }
            #expect(loadedAt(list) == loadedAt(domesticBefore))
            // Answers now come from the edited policy, and say so.
            let r = try await post(s.port, "/v1/eval?ask=onsite_window_open", Self.exportTicket)
            let after = try #require(try await digest(s, "export"))
            #expect(r.text.contains(after))
            #expect(r.headers["verdict-policy"]?.hasSuffix(after) == true)
            let expected = try PolicySet.load(directory: policies.path).policy(named: "export")?.digest
            #expect(after == expected)
        }
    }

    @Test("a broken edit never takes effect: the old answers go on, the error is shown with its position")
    func brokenEdit() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let before = try await post(s.port, "/v1/eval", Self.exportTicket)
            let original = try policies.read("export.yaml")
            // A good change and a YAML syntax error (an unclosed flow sequence) in one save.
            try policies.write("export.yaml", original.replacingOccurrences(of: windowShipped, with: windowEdited) + "\nrules:\n  bogus: [\n")
            let reported = try await eventually(within: 30) {
                try await get(s.port, "/v1/policies").json()["last_reload_error"] is [String: Any]
            }
            #expect(reported)
            let list = try await get(s.port, "/v1/policies").json()
            let failure = try #require(list["last_reload_error"] as? [String: Any])
            let errors = try #require(failure["errors"] as? [[String: Any]])
            let first = try #require(errors.first)
            #expect((first["file"] as? String)?.hasSuffix("export.yaml") == true)
            #expect((first["line"] as? Int ?? 0) > 0)
            #expect((first["column"] as? Int ?? 0) > 0)
            let text = try #require(failure["text"] as? String)
            #expect(text.contains("export.yaml:"))
            #expect(text.contains(": error: "))
            #expect(list["generation"] as? Int == 1)
            // The answers are the old set's, byte for byte.
            let during = try await post(s.port, "/v1/eval", Self.exportTicket)
            #expect(during.text == before.text)
            #expect(during.headers["verdict-set"] == before.headers["verdict-set"])
            #expect(try await get(s.port, "/readyz").status == 200)
            // Reported in the metrics and the log.
            let metrics = try await get(s.port, "/metrics").text
            #expect(metrics.contains("verdict_policy_reload_failures_total 1"))
            #expect(!metrics.contains("verdict_policy_reload_errors 0"))
            #expect(s.logLines.contains { $0.contains("\"level\":\"error\"") && $0.contains("export.yaml:") })
            // Mended: the error goes, the edit takes effect.
            try policies.write("export.yaml", original.replacingOccurrences(of: windowShipped, with: windowEdited))
            let mended = try await eventually(within: 30) {
                try await get(s.port, "/v1/policies").json()["generation"] as? Int == 2
            }
            #expect(mended)
            #expect(try await get(s.port, "/v1/policies").json()["last_reload_error"] is NSNull)
            #expect(try await get(s.port, "/metrics").text.contains("verdict_policy_reload_errors 0"))
        }
    }

    @Test("polling notices edits too (the watch where inotify is not available)")
    func pollingWatch() async throws {
        let policies = try Policies()
        try await withServer(policies, configure: { $0.watch = .poll; $0.pollInterval = .milliseconds(100) }) { s in
            let before = try #require(try await digest(s, "export"))
            try policies.edit("export.yaml", replacing: windowShipped, with: windowEdited)
            #expect(try await eventually(within: 30) { try await digest(s, "export") != before })
        }
    }

    @Test("while the set is swapped again and again, every response is answered by exactly one set")
    func answersNeverMix() async throws {
        let policies = try Policies()
        let shipped = try policies.read("export.yaml")
        let edited = shipped.replacingOccurrences(of: windowShipped, with: windowEdited)
        let good: Set<String> = try [shipped, edited].reduce(into: []) { digests, text in
            let copy = try Policies()
            try copy.write("export.yaml", text)
            let set = try PolicySet.load(directory: copy.path)
            for p in set.policies { digests.insert(p.digest) }
        }
        try await withServer(policies) { s in
            let body = String(repeating: (try Repo.text("examples/tickets.jsonl")), count: 20)
            let editor = Task {
                for i in 0..<12 {
                    try policies.write("export.yaml", i % 3 == 2 ? edited + "\nbroken: [\n" : (i % 2 == 0 ? edited : shipped))
                    try await Task.sleep(for: .milliseconds(120))
                }
            }
            var sets: Set<String> = []
            let deadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < deadline {
                let r = try await post(s.port, "/v1/eval", body, lines: true)
                #expect(r.status == 200)
                let header = r.headers["verdict-policy"] ?? ""
                for line in r.lines where line.hasPrefix("{\"id\":") {
                    guard let d = line.range(of: "\"digest\":\"") else { continue }
                    let digest = String(line[d.upperBound...].prefix(71))
                    #expect(good.contains(digest))
                    #expect(header.contains(digest), "an answer from another set than the response's")
                }
                sets.insert(r.headers["verdict-set"] ?? "")
            }
            try await editor.value
            #expect(sets.count >= 1)
        }
    }
}
