import Testing

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictRuntime

/// The shipped policies with one file's text changed.
func shipped(editing file: String, _ edit: (String) -> String) throws -> [(path: String, bytes: [UInt8])] {
    try Repo.policyFiles().map { f in
        guard f.path.hasSuffix(file) else { return f }
        let text = String(decoding: f.bytes, as: UTF8.self)
        let edited = edit(text)
        #expect(edited != text, "the edit of \(file) changed nothing")
        return (f.path, Array(edited.utf8))
    }
}

func digests(_ files: [(path: String, bytes: [UInt8])]) throws -> [String: String] {
    let set = try PolicySet.load(files: files)
    return Dictionary(uniqueKeysWithValues: set.policies.map { ($0.name, $0.digest) })
}

func snapshots(_ files: [(path: String, bytes: [UInt8])]) throws -> [String: PolicySnapshot] {
    let set = try PolicySet.load(files: files)
    return Dictionary(uniqueKeysWithValues: set.snapshots.map { ($0.name, $0) })
}

/// The digest is the hash of what a policy means (docs/digest.md): layout,
/// comments, key order, quoting and file placement leave it alone; every
/// label, bound, title, clause and amount changes it.
@Suite struct SnapshotTests {
    static let reformattings: [(String, String, @Sendable (String) -> String)] = [
        ("key order", "equipment.yaml", {
            $0.replacingOccurrences(
                of: "    type: int\n    value: 12\n    min: 0\n    clause: [\"7.1.6\", \"7.2.6\"]",
                with: "    clause: [\"7.1.6\", \"7.2.6\"]\n    min: 0\n    value: 12\n    type: int")
        }),
        ("quoting", "equipment.yaml", {
            $0.replacingOccurrences(of: "clause: \"7.1.2\"", with: "clause: '7.1.2'")
                .replacingOccurrences(of: "label: {zh: 保修期最后一天, en: Last day of the warranty}", with: "label: {zh: \"保修期最后一天\", en: 'Last day of the warranty'}")
        }),
        ("comments", "base.yaml", {
            $0.replacingOccurrences(of: "    value: 24\n", with: "    value: 24   # one day\n# a note\n")
        }),
        ("flow to block", "base.yaml", {
            $0.replacingOccurrences(
                of: "  id: {type: string, optional: true, label: {zh: 工单号, en: Ticket id}}",
                with: "  id:\n    type: string\n    optional: true\n    label:\n      zh: 工单号\n      en: Ticket id")
                .replacingOccurrences(of: "values: [domestic, export]", with: "values:\n      - domestic\n      - export")
        }),
        ("block to flow", "equipment.yaml", {
            $0.replacingOccurrences(
                of: "  warranty_months:\n    type: int\n    value: 12\n    min: 0\n    clause: [\"7.1.6\", \"7.2.6\"]\n    label: {zh: 设备保修期（月）, en: Warranty length (months)}",
                with: "  warranty_months: {type: int, value: 12, min: 0, clause: [\"7.1.6\", \"7.2.6\"], label: {zh: 设备保修期（月）, en: Warranty length (months)}}")
        }),
        ("expression layout", "equipment.yaml", {
            $0.replacingOccurrences(
                of: "expr: ticket_date < warranty_end",
                with: "expr: |\n      ticket_date   // the ticket's own date\n        < warranty_end")
        }),
        ("which file holds a value", "domestic.yaml", {
            // equipment.yaml already says 12 months under clause 7.1.2: domestic's override restates it.
            $0.replacingOccurrences(of: "parameters:\n  onsite_window_months:\n    value: 12\n    clause: \"7.1.2\"\n", with: "")
        }),
    ]

    @Test(arguments: reformattings.indices)
    func reformattingKeepsTheDigest(_ i: Int) throws {
        let (name, file, edit) = Self.reformattings[i]
        let before = try digests(Repo.policyFiles())
        let after = try digests(shipped(editing: file, edit))
        #expect(before == after, "\(name) changed a digest")
        #expect(try snapshots(Repo.policyFiles()) == snapshots(shipped(editing: file, edit)), "\(name) changed a snapshot")
    }

    static let changes: [(String, String, @Sendable (String) -> String)] = [
        ("parameter value", "export.yaml", { $0.replacingOccurrences(of: "value: 3", with: "value: 4") }),
        ("rule label", "equipment.yaml", { $0.replacingOccurrences(of: "en: In warranty}", with: "en: Under warranty}") }),
        ("parameter label", "equipment.yaml", { $0.replacingOccurrences(of: "en: Warranty length (months)}", with: "en: Warranty (months)}") }),
        ("row label", "equipment.yaml", { $0.replacingOccurrences(of: "en: Otherwise no free maintenance}", with: "en: No free maintenance}") }),
        ("parameter bound", "equipment.yaml", { $0.replacingOccurrences(of: "    value: 24\n    min: 0\n    max: 24", with: "    value: 24\n    min: 0\n    max: 25") }),
        ("input bound", "base.yaml", { $0.replacingOccurrences(of: "      install_count:\n        type: int\n        min: 0", with: "      install_count:\n        type: int\n        min: 1") }),
        ("input label", "base.yaml", { $0.replacingOccurrences(of: "en: Ticket id}", with: "en: Ticket number}") }),
        ("input default", "base.yaml", { $0.replacingOccurrences(of: "    default: equipment\n", with: "    default: material\n") }),
        ("enum values", "base.yaml", { $0.replacingOccurrences(of: "values: [domestic, export]", with: "values: [domestic, export, eu]") }),
        ("title", "domestic.yaml", { $0.replacingOccurrences(of: "en: Service rules for domestic equipment", with: "en: Domestic equipment") }),
        ("clause", "equipment.yaml", { $0.replacingOccurrences(of: "        clause: \"4.2\"\n", with: "        clause: \"4.2.1\"\n") }),
        ("catalogue amount", "base.yaml", { $0.replacingOccurrences(of: "parts: {label: {zh: 配件费, en: Parts fee}, clause: [\"7.1.6\", \"7.2.6\"]}", with: "parts: {label: {zh: 配件费, en: Parts fee}, clause: [\"7.1.6\", \"7.2.6\"], amount: 120.5, currency: CNY}") }),
        ("catalogue label", "base.yaml", { $0.replacingOccurrences(of: "en: Purchasing}", with: "en: Procurement}") }),
        ("expression", "equipment.yaml", { $0.replacingOccurrences(of: "expr: ticket_date < warranty_end", with: "expr: ticket_date <= warranty_end") }),
        ("item order", "equipment.yaml", {
            $0.replacingOccurrences(
                of: "      - id: service_receipt\n        when: request.onsite\n        clause: \"6.7\"\n      - id: satisfaction_survey\n        when: request.onsite\n        clause: \"6.7\"\n",
                with: "      - id: satisfaction_survey\n        when: request.onsite\n        clause: \"6.7\"\n      - id: service_receipt\n        when: request.onsite\n        clause: \"6.7\"\n")
        }),
    ]

    @Test(arguments: changes.indices)
    func everyChangeOfMeaningChangesTheDigest(_ i: Int) throws {
        let (name, file, edit) = Self.changes[i]
        let before = try digests(Repo.policyFiles())
        let after = try digests(shipped(editing: file, edit))
        let changed = before.keys.filter { before[$0] != after[$0] }
        #expect(!changed.isEmpty, "\(name) changed no digest")
        // A change in a market's own file changes only that market.
        if file == "export.yaml" || file == "domestic.yaml" {
            #expect(changed == [String(file.dropLast(5))], "\(name): \(changed)")
        }
    }

    @Test func snapshotIsPositionFreeAndTheSourceMapHasThePositions() throws {
        let set = try loadShipped()
        let i = try #require(set.index(named: "export"))
        let map = set.sourceMaps[i]
        #expect(map.chain == ["base", "equipment", "export"])
        // The override's key is in export.yaml; the value it sets too.
        let window = try #require(map[.parameterValue("onsite_window_months")])
        #expect(window.file.hasSuffix("export.yaml"))
        // An inherited value stays where it was written.
        let warranty = try #require(map[.parameterValue("warranty_months")])
        #expect(warranty.file.hasSuffix("equipment.yaml"))
        let text = String(decoding: try Repo.read("policies/equipment.yaml"), as: UTF8.self)
        let at = try #require(position(of: "value: 12", in: text))
        #expect(warranty.line == at.0 && warranty.column == at.1 + 7)
        // Every rule, row and item has a position.
        for rule in set.snapshots[i].rules {
            #expect(map[.rule(rule.name)] != nil, "\(rule.name)")
            switch rule.body {
            case .expr: #expect(map.expressions[.expr(rule: rule.name)] != nil)
            case .table(let t):
                for r in t.rows.indices { #expect(map[.row(rule: rule.name, row: r)] != nil) }
                if t.defaultRow != nil { #expect(map[.row(rule: rule.name, row: -1)] != nil) }
            case .items(let items):
                for r in items.indices { #expect(map[.item(rule: rule.name, item: r)] != nil) }
            }
        }
    }

    @Test func ruleGraphIsKept() throws {
        let set = try loadShipped()
        let p = try #require(set.policy(named: "domestic"))
        let name = { (i: Int) in p.rules[i].name }
        let visit = try #require(p.ruleIndex(named: "visit_chargeable"))
        #expect(Set(p.graph.rules[visit].map(name)) == ["onsite_covered"])
        let closure = Set(p.graph.ruleClosure(of: visit).map(name))
        #expect(closure.isSuperset(of: ["onsite_covered", "covered_repair", "onsite_window_open", "in_warranty"]))
        let window = try #require(p.ruleIndex(named: "onsite_window_open"))
        #expect(p.graph.parameters[window].map { p.slotNames[$0] } == ["params.onsite_window_months"])
        #expect(Set(p.graph.inputs[window].map { p.slotNames[$0] }) == ["unit.installed_on"])
    }

    @Test func canonicalNumbersFollowECMAScript() {
        let cases: [(Double, String)] = [
            (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (120.5, "120.5"), (0.1, "0.1"), (1e21, "1e+21"),
            (1e20, "100000000000000000000"), (1e-7, "1e-7"), (0.000001, "0.000001"), (123456789012345680000, "123456789012345680000"),
            (1.5e-7, "1.5e-7"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (24, "24"),
        ]
        for (d, text) in cases {
            #expect(CanonicalJSON.ecmaScript(d) == text, "\(d)")
        }
    }
}
