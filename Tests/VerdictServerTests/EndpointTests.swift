import Foundation
import Testing
import VerdictCompiler
import VerdictOutput
import VerdictServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Other endpoints, shutdown, signals")
struct EndpointTests {
    @Test("healthz, readyz, policies, one policy as `verdict show` prints it, metrics, unknown routes")
    func endpoints() async throws {
        let policies = try Policies()
        try await withServer(policies) { s in
            let health = try await get(s.port, "/healthz")
            #expect(health.status == 200)
            #expect(health.text == "{\"status\":\"alive\"}\n")
            let ready = try await get(s.port, "/readyz")
            #expect(ready.status == 200)
            #expect(try ready.json()["status"] as? String == "ready")

            let set = try PolicySet.load(directory: policies.path)
            let list = try await get(s.port, "/v1/policies").json()
            let entries = try #require(list["policies"] as? [[String: Any]])
            #expect(entries.map { $0["name"] as? String } == set.policies.map(\.name))
            #expect(entries.map { $0["digest"] as? String } == set.policies.map(\.digest))
            #expect(entries.allSatisfy { $0["loaded_at"] is String && $0["applies_to"] is [String: [String]] })
            #expect((entries.first?["applies_to"] as? [String: [String]])?["market"] == ["domestic"])
            #expect(list["last_reload_error"] is NSNull)
            #expect((list["set"] as? String)?.hasPrefix("sha256:") == true)

            let printer = PolicyPrinter(set)
            let i = try #require(set.index(named: "export"))
            let yaml = try await get(s.port, "/v1/policies/export")
            #expect(yaml.status == 200)
            #expect(yaml.text == printer.yaml(i))
            #expect(yaml.headers["verdict-policy"]?.hasPrefix("export 2026.1 sha256:") == true)
            let json = try await get(s.port, "/v1/policies/export@2026.1?format=json")
            #expect(json.text == printer.json(i))
            let unknown = try await get(s.port, "/v1/policies/exprot")
            #expect(unknown.status == 404)
            #expect(try unknown.json()["error"] as? String == printer.unknown("exprot"))
            #expect(try await get(s.port, "/v1/policies/export?format=xml").status == 400)

            let metrics = try await get(s.port, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
            for name in [
                "verdict_http_requests_total", "verdict_http_request_duration_seconds_bucket", "verdict_tickets_total",
                "verdict_policy_reloads_total", "verdict_policy_reload_failures_total", "verdict_policy_info",
                "verdict_policy_set_info", "verdict_ready 1",
            ] {
                #expect(metrics.text.contains(name), "\(name) missing from /metrics")
            }
            let export = try #require(set.policy(named: "export"))
            #expect(metrics.text.contains("verdict_policy_info{name=\"export\",version=\"2026.1\",digest=\"\(export.digest)\"} 1"))

            let missing = try await get(s.port, "/v2/eval")
            #expect(missing.status == 404)
            #expect(try missing.json()["error"] as? String == "no route `GET /v2/eval`; see docs/serve.md")
        }
    }

    @Test("one structured log line per request, without ticket contents unless asked for")
    func requestLog() async throws {
        let policies = try Policies()
        let ticket = try #require(lines(try Repo.text("examples/tickets.jsonl")).first)
        try await withServer(policies) { s in
            _ = try await post(s.port, "/v1/eval?ask=fees", ticket)
            _ = try await post(s.port, "/v1/eval", ticket + "\n" + ticket, lines: true)
            let found = try await eventually(within: 30) { s.logLines.filter { $0.contains("\"msg\":\"request\"") }.count == 2 }
            #expect(found)
            let requests = s.logLines.filter { $0.contains("\"msg\":\"request\"") }
            for line in requests {
                let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(o["status"] as? Int == 200)
                #expect(o["route"] as? String == "/v1/eval")
                #expect(o["ms"] is Double)
                #expect((o["set"] as? String)?.hasPrefix("sha256:") == true)
            }
            #expect(requests.last?.contains("\"tickets\":2") == true)
            #expect(!s.logLines.contains { $0.contains("dom-repair") })
        }
        try await withServer(policies, configure: { $0.logTickets = true }) { s in
            _ = try await post(s.port, "/v1/eval", ticket)
            #expect(try await eventually(within: 30) { s.logLines.contains { $0.contains("\"msg\":\"ticket\"") } })
        }
    }

    @Test("not ready, and 503s, while no set has loaded; ready once a good set arrives")
    func startsWithBrokenPolicies() async throws {
        let policies = try Policies()
        let original = try policies.read("base.yaml")
        try policies.write("base.yaml", original + "\n: : :\n")
        try await withServer(policies) { s in
            let ready = try await get(s.port, "/readyz")
            #expect(ready.status == 503)
            #expect((try ready.json()["error"] as? String)?.hasPrefix("no policy set is loaded: ") == true)
            #expect(try await post(s.port, "/v1/eval", "{}").status == 503)
            let list = try await get(s.port, "/v1/policies")
            #expect(list.status == 503)
            #expect(try list.json()["last_reload_error"] is [String: Any])
            try policies.write("base.yaml", original)
            #expect(try await eventually(within: 30) { try await get(s.port, "/readyz").status == 200 })
        }
    }

    @Test("SIGTERM: a request in flight is finished, then the server exits 0; SIGHUP reloads")
    func gracefulShutdown() async throws {
        let policies = try Policies()
        let child = try ChildServer(policies: policies.path, arguments: ["--watch", "off"])
        try await child.waitUntilListening()
        let tickets = lines(try Repo.text("examples/tickets.jsonl"))
        let answers = try Repo.text("examples/answers.jsonl")

        // SIGHUP: with watching off, only the signal loads an edit.
        let before = try await get(child.port, "/v1/policies").json()["set"] as? String
        try policies.edit("export.yaml", replacing: windowShipped, with: windowEdited)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await get(child.port, "/v1/policies").json()["set"] as? String == before)
        child.signal(SIGHUP)
        #expect(try await eventually(within: 30) { try await get(child.port, "/v1/policies").json()["generation"] as? Int == 2 })
        try policies.edit("export.yaml", replacing: windowEdited, with: windowShipped)
        child.signal(SIGHUP)
        #expect(try await eventually(within: 30) { try await get(child.port, "/v1/policies").json()["generation"] as? Int == 3 })

        // A streaming request, half sent.
        let (c, status, first) = try await startStream(child.port, first: tickets[0])
        var received = first
        #expect(status == 200)

        child.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        #expect(child.process.isRunning, "the server left before its request in flight finished")
        // No new connections once shutting down (the signal may take a moment to land).
        #expect(try await eventually(within: 30) { (try? await http("GET", port: child.port, "/healthz", timeout: 2)) == nil })

        try await c.sendChunk(Array(tickets[1...].joined(separator: "\n").utf8))
        try await c.sendChunk([])
        while let chunk = try await c.readChunk() { received += chunk }
        #expect(String(decoding: received, as: UTF8.self) == answers)
        let exit = try await child.waitForExit(within: 60)
        #expect(exit == 0, "\(child.log)")
    }
}
