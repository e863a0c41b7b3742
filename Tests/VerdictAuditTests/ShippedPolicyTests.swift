import CEL
import Foundation
import Testing
import VerdictAudit
import VerdictCompiler
import VerdictJSON
import VerdictRuntime

/// The shipped policies: a changed on-site window, the two markets side by
/// side (guideline 7.1 and 7.2), and each policy against itself.
@Suite struct ShippedPolicyTests {
    static func windowChange() throws -> (PolicySet, PolicySet) {
        (try Repo.policies(), try Repo.policies(editing: "export.yaml", [("    value: 3\n", "    value: 6\n")]))
    }

    static func verdicts(_ results: [DecisionComparison]) -> [String: Expected] {
        var out: [String: Expected] = [:]
        for r in results {
            switch r.verdict {
            case .equivalent: out[r.name] = .equivalent
            case .different: out[r.name] = .different
            case .unproven: out[r.name] = .unproven
            }
        }
        return out
    }

    /// Every witness differs when replayed, shows the outcomes it reports, and
    /// holds only valid values (no selector keys, enum values and bounds kept).
    static func checkWitnesses(_ results: [DecisionComparison], _ s: WitnessSearch, sourceLocation: SourceLocation = #_sourceLocation) {
        let ro = Replayer(s.old), rn = Replayer(s.new)
        for r in results {
            for (i, w) in r.witnesses.enumerated() {
                let a = ro.outcomes(w.ticket, [r.name])[0], b = rn.outcomes(w.ticket, [r.name])[0]
                #expect(differ(a, b) && a == w.old && b == w.new, "\(r.name): \(jsonText(.object(w.ticket)))", sourceLocation: sourceLocation)
                #expect(w.ticket["id"] == .string("witness-\(r.name)-\(i + 1)"), sourceLocation: sourceLocation)
                #expect(w.ticket["market"] == nil && w.ticket["product"] == nil, sourceLocation: sourceLocation)
                for o in [a, b] {
                    if case .undetermined(let why) = o {
                        #expect(!why.contains("expected") && !why.contains("unknown value") && !why.contains("minimum"),
                                "\(r.name): a witness with an invalid value: \(why)", sourceLocation: sourceLocation)
                    }
                }
            }
        }
    }

    static func dates(_ w: Witness) -> (opened: CELDate, installed: CELDate)? {
        guard case .string(let o)? = w.ticket["opened_at"], let t = CELTimestamp.parse(o),
            case .object(let unit)? = w.ticket["unit"], case .string(let i)? = unit["installed_on"],
            let d = CELDate.parse(i)
        else { return nil }
        return (t.date, d)
    }

    @Test func exportWindowThreeToSixMonths() throws {
        let (base, edited) = try Self.windowChange()
        let s = try search(base, "export", edited, "export")
        let results = s.run()
        #expect(
            Self.verdicts(results) == [
                "response_due": .equivalent, "in_warranty": .equivalent, "warranty_last_day": .equivalent,
                "quality_fault": .equivalent, "repeat_repair": .equivalent, "onsite_window_open": .different,
                "first_install_free": .equivalent, "maintenance_visits_per_year": .equivalent, "onsite_covered": .different,
                "visit_chargeable": .different, "parts_chargeable": .equivalent, "fees": .different,
                "fee_confirmation_required": .equivalent, "required_forms": .equivalent, "escalations": .equivalent,
                // Only on-site repairs depend on the window, and alternatives are offered for installations and training.
                "alternatives": .equivalent,
            ], "\(report(results))")
        #expect(results.first { $0.name == "in_warranty" }?.verdict.summary == "equivalent on all 63 classes")
        #expect(results.allSatisfy { $0.verdict.isProven })
        for r in results {
            if case .equivalent(let n) = r.verdict { #expect(n > 1, "\(r.name)") }
            if case .different = r.verdict {
                #expect(r.witnesses.count == 3, "\(r.name)")
                // Opened in the 3rd to 6th month after installation.
                for w in r.witnesses {
                    let (d, i) = try #require(Self.dates(w), "\(r.name): \(jsonText(.object(w.ticket)))")
                    #expect(i.addingMonths(3).map { $0 <= d } == true && i.addingMonths(6).map { d < $0 } == true,
                            "\(r.name): opened \(d), installed \(i)")
                }
            }
        }
        // The boundary days themselves: the first day outside the old window, the last inside the new.
        let window = try #require(results.first { $0.name == "onsite_window_open" })
        let days = window.witnesses.compactMap(Self.dates)
        #expect(days.contains { $0.installed.addingMonths(3) == $0.opened })
        #expect(days.contains { $0.installed.addingMonths(6)?.addingDays(-1) == $0.opened })
        #expect(days.contains { $0.installed.day == 31 || ($0.installed.month == 2 && $0.installed.day == 29) }, "a month end that clamps")
        Self.checkWitnesses(results, s)
    }

    @Test func visitChargeableIsProvenQuickly() throws {
        let (base, edited) = try Self.windowChange()
        let s = try search(base, "export", edited, "export")
        let clock = ContinuousClock()
        var result: [DecisionComparison] = []
        let elapsed = clock.measure { result = s.run(decisions: ["visit_chargeable"]) }
        let r = try #require(result.first)
        guard case .different(let differing, let classes) = r.verdict else {
            Issue.record("\(r.verdict)")
            return
        }
        print("visit_chargeable, export 3 → 6 months: \(differing) of \(classes) classes differ, \(elapsed)")
        #expect(classes > 10_000_000)
        #expect(elapsed < .seconds(2), "\(elapsed)")
    }

    @Test func domesticAgainstExport() throws {
        let set = try Repo.policies()
        let s = try search(set, "domestic", set, "export")
        let results = s.run()
        // The guideline words 7.1 and 7.2 alike except for the on-site window
        // (12 months against 3) and the free first installation (only the
        // agent's first for export); the rest follows from those two.
        #expect(
            Self.verdicts(results) == [
                "response_due": .equivalent, "in_warranty": .equivalent, "warranty_last_day": .equivalent,
                "quality_fault": .equivalent, "repeat_repair": .equivalent, "onsite_window_open": .different,
                "first_install_free": .different, "maintenance_visits_per_year": .equivalent, "onsite_covered": .different,
                "visit_chargeable": .different, "parts_chargeable": .equivalent, "fees": .different,
                "fee_confirmation_required": .different, "required_forms": .equivalent, "escalations": .different,
                "alternatives": .different,
            ], "\(report(results))")
        let first = try #require(results.first { $0.name == "first_install_free" })
        #expect(first.witnesses.contains { w in
            guard case .object(let c)? = w.ticket["customer"] else { return false }
            return c["installs_received"] != nil && c["installs_received"] != int(0) && w.old == .value(.bool(true))
                && w.new == .value(.bool(false))
        }, "an agent's second installation: free at home, not for export")
        let window = try #require(results.first { $0.name == "onsite_window_open" })
        #expect(window.witnesses.compactMap(Self.dates).contains { $0.installed.addingMonths(3) == $0.opened })
        #expect(window.witnesses.compactMap(Self.dates).contains { $0.installed.addingMonths(12)?.addingDays(-1) == $0.opened })
        Self.checkWitnesses(results, s)
    }

    @Test func everyPolicyAgainstItself() throws {
        let set = try Repo.policies()
        for name in ["domestic", "export", "material"] {
            let results = try search(set, name, set, name).run()
            #expect(!results.isEmpty)
            for r in results {
                guard case .equivalent(let n) = r.verdict else {
                    Issue.record("\(name).\(r.name): \(r.verdict)")
                    continue
                }
                #expect(n >= 1)
            }
        }
    }

    @Test func sameAnswersForTheSameInput() throws {
        let (base, edited) = try Self.windowChange()
        let a = report(try search(base, "export", edited, "export").run())
        let b = report(try search(base, "export", edited, "export").run())
        #expect(a == b)
        let set = try Repo.policies()
        #expect(report(try search(set, "domestic", set, "export").run()) == report(try search(set, "domestic", set, "export").run()))
    }

    /// A cross-check of the equivalences claimed for the window change, on a
    /// grid of tickets around every threshold.
    @Test func windowEquivalencesHoldOnAGrid() throws {
        let (base, edited) = try Self.windowChange()
        let s = try search(base, "export", edited, "export")
        let results = s.run()
        let equivalent = results.filter { if case .equivalent = $0.verdict { true } else { false } }.map(\.name)
        let different = results.filter { if case .different = $0.verdict { true } else { false } }.map(\.name)
        var units: [(JSONValue?, JSONValue?)] = [(nil, .string("2025-05-01T10:00:00+08:00"))]
        for i in ["2025-01-15", "2025-01-31", "2024-02-29"] {
            guard let d = CELDate.parse(i) else { continue }
            var days: [CELDate] = []
            for (m, delta) in [(0, -1), (0, 0), (3, -1), (3, 0), (3, 1), (6, -1), (6, 0), (6, 1), (12, -1), (12, 0), (12, 1)] {
                if let x = d.addingMonths(Int64(m))?.addingDays(Int64(delta)) { days.append(x) }
            }
            for day in days {
                for count in [0, 1] as [Int64] {
                    let unit = JSONValue.object(JSONObject([(key: "installed_on", value: .string(i)), (key: "install_count", value: int(count))]))
                    units.append((unit, .string(day.description + (count == 0 ? "T23:30:00-05:00" : "T00:30:00+09:00"))))
                }
            }
        }
        var requests: [JSONValue?] = [nil]
        for kind in ["repair", "installation", "training", "maintenance", "material_issue"] {
            for onsite in [true, false] {
                for parts in [true, false] {
                    requests.append(.object(JSONObject([
                        (key: "kind", value: .string(kind)), (key: "onsite", value: .bool(onsite)), (key: "parts_replaced", value: .bool(parts)),
                    ])))
                }
            }
        }
        var faults: [JSONValue?] = [nil]
        for cause in ["manufacturing", "customer"] {
            for remote in [true, false] {
                faults.append(.object(JSONObject([(key: "cause", value: .string(cause)), (key: "remote_resolvable", value: .bool(remote))])))
            }
        }
        var customers: [JSONValue?] = [nil]
        for held in [0, 20] as [Int64] {
            for used in [1] as [Int64] {
                for received in [0, 1] as [Int64] {
                    customers.append(.object(JSONObject([
                        (key: "units_held", value: int(held)), (key: "largest_single_purchase", value: int(0)),
                        (key: "maintenance_visits_used", value: int(used)), (key: "installs_received", value: int(received)),
                    ])))
                }
            }
        }
        let ro = Replayer(s.old), rn = Replayer(s.new)
        let names = equivalent + different
        var seenDifferent: Set<String> = []
        for (unit, opened) in units {
            for request in requests {
                for fault in faults {
                    for customer in customers {
                        var entries: [(key: String, value: JSONValue)] = []
                        if let opened { entries.append(("opened_at", opened)) }
                        if let unit { entries.append(("unit", unit)) }
                        if let request { entries.append(("request", request)) }
                        if let fault { entries.append(("fault", fault)) }
                        if let customer { entries.append(("customer", customer)) }
                        let t = JSONObject(entries)
                        let a = ro.outcomes(t, names), b = rn.outcomes(t, names)
                        for (i, name) in names.enumerated() where differ(a[i], b[i]) {
                            if equivalent.contains(name) {
                                Issue.record("\(name) is claimed equivalent but differs on \(jsonText(.object(t)))")
                                return
                            }
                            seenDifferent.insert(name)
                        }
                    }
                }
            }
        }
        #expect(seenDifferent == Set(different))
    }
}
