import Testing
import VerdictJSON

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime

let ticket = """
    {"id":"T-1","market":"export","opened_at":"2025-10-14T09:30:00+08:00","unit":{"installed_on":"2025-06-01","install_count":1},"customer":{"units_held":12,"largest_single_purchase":3,"maintenance_visits_used":0,"installs_received":1},"request":{"kind":"repair","onsite":true,"parts_replaced":false},"fault":{"cause":"manufacturing","remote_resolvable":false}}
    """

@Suite struct EngineTests {
    /// `fault != null` asks the activation, which answers for an object
    /// input that is there without building its map; with a tracer (an
    /// explanation) the value is read as before. Both give the same answers
    /// whether the object is there, empty, null, missing or not an object.
    @Test func anObjectComparedWithNullAnswersAlikeWithAndWithoutATracer() throws {
        let set = try loadShipped()
        let faultAt = try #require(ticket.range(of: #","fault":{"cause":"manufacturing","remote_resolvable":false}"#))
        let bare = ticket.replacingCharacters(in: faultAt, with: "")
        let variants = [
            ticket, bare,
            bare.replacingOccurrences(of: "}}", with: #"},"fault":null}"#),
            bare.replacingOccurrences(of: "}}", with: #"},"fault":{}}"#),
            bare.replacingOccurrences(of: "}}", with: #"},"fault":"none"}"#),
            bare.replacingOccurrences(of: "}}", with: #"},"fault":{"cause":"outsourced_part","repeat_of":"T-0"}}"#),
        ]
        #expect(Set(variants).count == variants.count)
        let plain = try answer(variants, with: set)
        let explained = try answer(variants, with: set, explain: true)
        #expect(plain.count == variants.count && explained.count == variants.count)
        for (p, e) in zip(plain, explained) {
            guard case .object(let x) = try parseJSON(p), case .object(let y) = try parseJSON(e) else {
                Issue.record("not objects: \(p) \(e)")
                continue
            }
            #expect(x["answers"] == y["answers"], "\(p)\n\(e)")
        }
        // The fault rules do read it: some answers differ between the variants.
        #expect(Set(plain).count > 2)
    }

    @Test func changingAParameterChangesTheAnswer() throws {
        var files = try Repo.policyFiles()
        let set = try PolicySet.load(files: files)
        let before = try answer([ticket], with: set, ask: ["visit_chargeable"])
        #expect(before.first?.contains("\"visit_chargeable\":true") == true, "\(before)")
        // Export's on-site window goes from 3 to 6 months: the same visit is now covered.
        let i = try #require(files.firstIndex { $0.path.hasSuffix("export.yaml") })
        let text = String(decoding: files[i].bytes, as: UTF8.self).replacingOccurrences(of: "value: 3", with: "value: 6")
        files[i].bytes = Array(text.utf8)
        let after = try answer([ticket], with: try PolicySet.load(files: files), ask: ["visit_chargeable"])
        #expect(after.first?.contains("\"visit_chargeable\":false") == true, "\(after)")
    }

    @Test func digestIgnoresLayoutButNotMeaning() throws {
        let files = try Repo.policyFiles()
        let digests = try PolicySet.load(files: files).policies.map(\.digest)
        // Reordering keys, comments and spacing: same digest.
        let reordered = files.map { f -> (path: String, bytes: [UInt8]) in
            guard f.path.hasSuffix("export.yaml") else { return f }
            let text = String(decoding: f.bytes, as: UTF8.self)
                .replacingOccurrences(of: "parameters:\n  onsite_window_months:\n    value: 3\n    clause: \"7.2.2\"", with: "parameters:\n  onsite_window_months:\n    clause: \"7.2.2\"   # moved\n    value: 3")
            return (f.path, Array(text.utf8))
        }
        #expect(try PolicySet.load(files: reordered).policies.map(\.digest) == digests)
        // A different window: export's digest changes, the others do not.
        let changed = files.map { f -> (path: String, bytes: [UInt8]) in
            guard f.path.hasSuffix("export.yaml") else { return f }
            return (f.path, Array(String(decoding: f.bytes, as: UTF8.self).replacingOccurrences(of: "value: 3", with: "value: 4").utf8))
        }
        let names = try PolicySet.load(files: files).policies.map(\.name)
        let changedDigests = try PolicySet.load(files: changed).policies.map(\.digest)
        for (n, (a, b)) in zip(names, zip(digests, changedDigests)) {
            if n == "export" { #expect(a != b) } else { #expect(a == b) }
        }
    }

    @Test func expressionWhitespaceDoesNotChangeTheDigest() throws {
        let files = try Repo.policyFiles()
        let digests = try PolicySet.load(files: files).policies.map(\.digest)
        let spaced = files.map { f -> (path: String, bytes: [UInt8]) in
            guard f.path.hasSuffix("equipment.yaml") else { return f }
            let text = String(decoding: f.bytes, as: UTF8.self)
                .replacingOccurrences(of: "expr: ticket_date < warranty_end", with: "expr: ticket_date   <   warranty_end")
            return (f.path, Array(text.utf8))
        }
        #expect(try PolicySet.load(files: spaced).policies.map(\.digest) == digests)
    }

    @Test func sameInputGivesIdenticalBytes() throws {
        let set = try loadShipped()
        let tickets = try Repo.lines("Tests/Golden/spec-cases.jsonl")
        let a = try answer(tickets, with: set, explain: true)
        let b = try answer(tickets, with: try loadShipped(), explain: true)
        #expect(a == b)
    }

    @Test func missingInputMakesOnlyDependentDecisionsUndetermined() throws {
        let set = try loadShipped()
        let t = ticket.replacingOccurrences(of: "\"installed_on\":\"2025-06-01\",", with: "")
        let out = try object(parseJSON(try #require(answer([t], with: set).first)))
        let undetermined = try #require(object(out?["undetermined"]))
        #expect(undetermined["in_warranty"] == .string("unit.installed_on is missing"))
        let answers = try #require(object(out?["answers"]))
        #expect(answers["response_due"] == .string("2025-10-15T09:30:00+08:00"))
        #expect(answers["quality_fault"] == .bool(true))
    }

    @Test func askLimitsTheAnswers() throws {
        let set = try loadShipped()
        let out = try object(parseJSON(try #require(answer([ticket], with: set, ask: ["fees", "in_warranty"]).first)))
        #expect(object(out?["answers"])?.entries.map(\.key) == ["fees", "in_warranty"])
        #expect(throws: UsageError.self) { try AskPlan(policies: set.compiled, ask: ["in_waranty"]) }
    }

    @Test func explainCitesRulesClausesAndValues() throws {
        let set = try loadShipped()
        let out = try object(parseJSON(try #require(answer([ticket], with: set, ask: ["in_warranty", "maintenance_visits_per_year"], explain: true).first)))
        let explanation = try #require(object(out?["explanation"]))
        let inWarranty = try #require(object(explanation["in_warranty"]))
        // An export answer cites the export section's clause only (`sections` of export.yaml).
        #expect(inWarranty["clause"] == .array([.string("7.2.6")]))
        #expect(inWarranty["value"] == .bool(true))
        let used = try #require(object(inWarranty["used"]))
        #expect(used["ticket_date"] == .string("2025-10-14"))
        #expect(used["warranty_end"] == .string("2026-06-01"))
        // Intermediate rules are explained too.
        let end = try #require(object(explanation["warranty_end"]))
        #expect(object(end["used"])?["unit.installed_on"] == .string("2025-06-01"))
        #expect(object(end["used"])?["params.warranty_months"] == .number(JSONNumber(text: "12", int: 12, double: 12, isInteger: true)))
        let table = try #require(object(explanation["maintenance_visits_per_year"]))
        #expect(object(table["row"])?["number"] == .number(JSONNumber(text: "2", int: 2, double: 2, isInteger: true)))
    }

    /// Both implementations, the processor's SHA instructions (where this
    /// machine has them) and the portable code.
    @Test(arguments: [true, false]) func sha256Vectors(hardware: Bool) {
        #expect(SHA256.hex([], hardware: hardware) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8), hardware: hardware) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), hardware: hardware)
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000), hardware: hardware)
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Every way the last block can be padded: the length in the same
        // block, in a block of its own, a whole block of message before it
        // (expected values from Python's hashlib; bytes (i × 7 + 3) mod 256).
        let lengths: [(Int, String)] = [
            (55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
            (56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
            (63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
            (64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
            (65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"),
            (119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"),
            (120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"),
            (128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"),
        ]
        for (n, expected) in lengths {
            #expect(SHA256.hex((0..<n).map { UInt8(($0 * 7 + 3) % 256) }, hardware: hardware) == expected, "\(n) bytes")
        }
    }

    /// Only what the asked decisions need is computed, each rule at most once.
    @Test func computesOnlyWhatIsAskedEachRuleOnce() throws {
        let set = try loadShipped()
        let policy = try #require(set.policy(named: "export"))
        let recorder = ExplainRecorder(ruleCounts: [policy.rules.count])
        let activation = TicketActivation(policy: policy, tracer: recorder)
        guard case .object(let t) = try parseJSON(ticket) else { throw TestFailure("ticket is not an object") }
        recorder.ticketStarted(policy: 0)
        activation.reset(ticket: t)
        let inWarranty = try #require(policy.decisionByName["in_warranty"])
        #expect(activation.ruleValue(inWarranty) == .bool(true))
        let names = recorder.evaluated.map { policy.rules[$0].name }
        #expect(Set(names) == ["ticket_date", "warranty_end", "in_warranty"])

        for d in policy.decisions { _ = activation.ruleValue(d) }
        #expect(recorder.evaluated.count == Set(recorder.evaluated).count, "a rule was computed twice")
        #expect(recorder.evaluated.count == policy.rules.count)
    }

    /// A default fills in for a missing object only; under an invalid one it would be a guess.
    @Test func noDefaultsUnderAnInvalidObject() throws {
        let set = try loadShipped()
        let base = #"{"id":"x","market":"domestic","opened_at":"2026-03-14T09:30:00+08:00","#
        let lines = [
            base + #""request":"repair with parts"}"#,
            base + #""request":[{"kind":"repair","onsite":true,"parts_replaced":true}]}"#,
            base + #""fault":"broken","request":{"kind":"repair","onsite":false}}"#,
        ]
        let out = try answer(lines, with: set, ask: ["parts_chargeable", "escalations", "repeat_repair"])
        for line in out.prefix(2) {
            let u = try #require(object(object(try parseJSON(line))?["undetermined"]))
            #expect(u["parts_chargeable"] == .string("request: expected an object, got the string \"repair with parts\"") || u["parts_chargeable"] == .string("request: expected an object, got a list"), "\(line)")
        }
        let third = try #require(object(try parseJSON(out[2])))
        #expect(object(third["undetermined"])?["escalations"] != nil, "\(out[2])")
        #expect(object(third["undetermined"])?["repeat_repair"] != nil, "\(out[2])")
    }
}
