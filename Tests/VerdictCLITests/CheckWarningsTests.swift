import Foundation
import Testing

/// `verdict check` warnings (W08xx): the policies still load and answer, but
/// something is probably not meant. `--strict` fails on them; `--format json`
/// prints one object per diagnostic.
@Suite struct CheckWarningsTests {
    /// The JSON objects `check --format json` printed.
    func diagnostics(_ run: Run, notes: Bool = false) throws -> [[String: Any]] {
        try run.lines.map { try jsonObject($0) }.filter { notes || $0["severity"] as? String != "note" }
    }

    @Test func shippedPoliciesHaveNoWarningsEvenWhenStrict() throws {
        let run = try verdict(["check", "--strict", "--policies", Repo.policies])
        #expect(run.status == 0, "\(run)")
        #expect(!run.stdout.isEmpty && !String(decoding: run.stdout, as: UTF8.self).contains("warning"), "\(run)")
        let json = try verdict(["check", "--format", "json", "--policies", Repo.policies])
        #expect(json.status == 0, "\(json)")
        // Only notes: the gap the material table declares on purpose.
        let notes = try diagnostics(json, notes: true)
        #expect(notes.count == 1 && notes.allSatisfy { $0["severity"] as? String == "note" }, "\(notes)")
    }

    @Test func unusedDeclarationsAreWarnedAtTheirPlace() throws {
        let copy = try PolicyCopy()
        // An input, a parameter, a rule and a catalogue entry nothing uses, edited from the top down so
        // that each position stays true.
        let input = try copy.edit(
            "base.yaml", replacing: "  opened_at:\n",
            with: "  channel: {type: string, optional: true}\n  opened_at:\n", marker: "channel")
        let entry = try copy.edit(
            "base.yaml", replacing: "    purchasing: {",
            with: "    logistics: {label: {zh: 物流, en: Logistics}, clause: \"4.4\"}\n    purchasing: {", marker: "logistics")
        let parameter = try copy.edit(
            "base.yaml", replacing: "parameters:\n  reply_within_hours:\n",
            with: "parameters:\n  escalate_after_days: {type: int, value: 3, clause: \"6.4\", label: {zh: 测试, en: Test}}\n  reply_within_hours:\n",
            marker: "escalate_after_days")
        let rule = try copy.edit(
            "base.yaml", replacing: "rules:\n  ticket_date:\n",
            with: "rules:\n  is_export:\n    type: bool\n    clause: \"3\"\n    label: {zh: 测试, en: Test}\n    expr: market == 'export'\n  ticket_date:\n",
            marker: "is_export")
        let run = try verdict(["check", "--format", "json", "--policies", copy.path])
        #expect(run.status == 0, "warnings alone do not fail check: \(run)")
        let found = try diagnostics(run)
        func at(_ code: String) -> (Int, Int)? {
            found.first { $0["code"] as? String == code }.map { ($0["line"] as? Int ?? 0, $0["column"] as? Int ?? 0) }
        }
        #expect(at("W0801").map { $0 == (input.line, input.column) } == true, "\(found)")
        #expect(at("W0802").map { $0 == (parameter.line, parameter.column) } == true, "\(found)")
        #expect(at("W0803").map { $0 == (rule.line, rule.column) } == true, "\(found)")
        #expect(at("W0804").map { $0 == (entry.line, entry.column) } == true, "\(found)")
        #expect(found.count == 4, "\(found)")
        for d in found {
            #expect(d["severity"] as? String == "warning")
            #expect((d["file"] as? String)?.hasSuffix("base.yaml") == true)
            #expect(d["message"] is String && d["help"] is String)
        }

        let strict = try verdict(["check", "--strict", "--policies", copy.path])
        #expect(strict.status == 1, "\(strict)")
        let text = String(decoding: strict.stdout, as: UTF8.self)
        #expect(text.contains("base.yaml:\(input.line):\(input.column): warning: no rule reads the input `channel` [W0801]"), "\(text)")
        #expect(text.contains("ok: 3 policies checked, 4 warnings"), "\(text)")

        // Marking the input informational silences its warning, and only its.
        try copy.edit(
            "base.yaml", replacing: "  channel: {type: string, optional: true}",
            with: "  channel: {type: string, optional: true, informational: true}")
        let marked = try diagnostics(try verdict(["check", "--format", "json", "--policies", copy.path]))
        #expect(marked.compactMap { $0["code"] as? String } == ["W0804", "W0802", "W0803"], "sorted by position: \(marked)")
    }

    @Test func aMisspeltOverrideIsWarnedWithTheInheritedName() throws {
        let copy = try PolicyCopy()
        let at = try copy.edit(
            "export.yaml", replacing: "  onsite_window_months:\n    value: 3\n",
            with: "  onsite_window_month:\n    type: int\n    value: 3\n    label: {zh: 测试, en: Test}\n", marker: "onsite_window_month")
        let run = try verdict(["check", "--format", "json", "--policies", copy.path])
        let found = try diagnostics(run)
        #expect(found.count == 1, "\(found)")
        let d = found.first ?? [:]
        #expect(d["code"] as? String == "W0805")
        #expect(d["line"] as? Int == at.line && d["column"] as? Int == at.column, "\(d)")
        #expect(d["help"] as? String == "did you mean to override the inherited `onsite_window_months`?", "\(d)")

        // Without a type, the same slip is an error with the same hint.
        try copy.edit("export.yaml", replacing: "  onsite_window_month:\n    type: int\n", with: "  onsite_window_month:\n")
        let error = try verdict(["check", "--policies", copy.path])
        #expect(error.status == 1, "\(error)")
        #expect(String(decoding: error.stdout, as: UTF8.self).contains("did you mean to override the inherited `onsite_window_months`?"), "\(error)")
    }

    @Test func selectorValuesNoPolicyAnswersAreWarned() throws {
        let copy = try PolicyCopy()
        try copy.edit("base.yaml", replacing: "values: [domestic, export]", with: "values: [domestic, export, eu]")
        let found = try diagnostics(try verdict(["check", "--format", "json", "--policies", copy.path]))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?["code"] as? String == "W0806", "\(found)")
        let message = found.first?["message"] as? String ?? ""
        #expect(message.contains("market `eu` and product `equipment`"), "\(message)")
        #expect(message.contains("market `eu` and product `material`"), "\(message)")
    }

    @Test func errorsAsJSONCarryTheirPosition() throws {
        let copy = try PolicyCopy()
        let at = try copy.edit(
            "equipment.yaml", replacing: "expr: unit.installed_on.addMonths(params.warranty_months)",
            with: "expr: unit.instaled_on.addMonths(params.warranty_months)", marker: "instaled_on")
        let run = try verdict(["check", "--format", "json", "--policies", copy.path])
        #expect(run.status == 1, "\(run)")
        let found = try diagnostics(run)
        #expect(found.count == 1, "\(found)")
        let d = found.first ?? [:]
        #expect(d["code"] as? String == "E0503" && d["severity"] as? String == "error", "\(d)")
        #expect(d["line"] as? Int == at.line && d["column"] as? Int == at.column - 5, "unit.instaled_on starts 5 before the field: \(d)")
        #expect(d["end_column"] as? Int ?? 0 > at.column, "\(d)")
        #expect(d["help"] as? String == "did you mean `unit.installed_on`?", "\(d)")
    }

    @Test func colourOnlyOnATerminal() throws {
        let copy = try PolicyCopy()
        try copy.edit("base.yaml", replacing: "  opened_at:\n", with: "  channel: {type: string, optional: true}\n  opened_at:\n")
        let run = try verdict(["check", "--policies", copy.path])
        #expect(!run.stdout.contains(0x1B), "no escape codes when stdout is not a terminal: \(run)")
    }
}

/// `verdict schema`: the JSON Schemas, and the copies in docs/schema/ kept in step.
@Suite struct SchemaTests {
    @Test(arguments: [("policy", "docs/schema/policy.schema.json"), ("test", "docs/schema/test.schema.json")])
    func theCopyInDocsIsWhatVerdictPrints(_ kind: String, _ path: String) throws {
        let run = try verdict(["schema", kind])
        #expect(run.status == 0, "\(run)")
        let copy = try Repo.read(path)
        #expect(run.stdout == copy, "\(path) differs from `verdict schema \(kind)`: run `verdict schema \(kind) > \(path)`")
        let schema = try jsonObject(run.out)
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }

    @Test func everyKeyTheFormatReadsIsInTheSchema() throws {
        let schema = try jsonObject(try verdict(["schema"]).out)
        let defs = schema["$defs"] as? [String: Any] ?? [:]
        func keys(_ def: String) -> Set<String> {
            var node = defs[def] as? [String: Any] ?? [:]
            if let one = node["oneOf"] as? [[String: Any]], let mapping = one.last { node = mapping }
            return Set((node["properties"] as? [String: Any] ?? [:]).keys)
        }
        #expect(Set((schema["properties"] as? [String: Any] ?? [:]).keys).isSuperset(of: ["verdict", "policy", "extends", "applies_to", "rules"]))
        #expect(keys("rule") == ["type", "of", "values", "decision", "clause", "label", "expr", "table", "items"])
        #expect(keys("table") == ["hit", "rows", "default", "gaps"])
        #expect(keys("input").contains("informational"))
        #expect(try verdict(["schema", "nonsense"]).status == 2)
    }

    @Test func shippedFilesNameTheirSchemaOnTheirFirstLine() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: Repo.policies) where name.hasSuffix(".yaml") {
            let text = String(decoding: try Repo.read("policies/" + name), as: UTF8.self)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../docs/schema/policy.schema.json\n"), "\(name)")
        }
    }
}
