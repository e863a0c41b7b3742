import Foundation
import Testing

/// `verdict check`: exit 0 and an `ok` line when clean; exit 1 with every
/// problem as `path:line:column: error: message`, the source line and a caret.
@Suite struct CheckTests {
    @Test func shippedPoliciesAreCleanAndTheirDigestsMatchEval() throws {
        let run = try verdict(["check", "--policies", Repo.policies])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        // The note of the material table's declared gap comes first (three lines), then the policies.
        let lines = Array(run.lines.drop { !$0.contains(" decisions, sha256:") })
        #expect(run.lines.first?.contains(": note: declared gap of `visit_chargeable`") == true, "\(run)")
        #expect(run.lines.count == lines.count + 3, "\(run)")
        #expect(lines.last == "ok: 3 policies checked, 1 note", "\(run)")

        // One line per answering policy: `name: N decisions, sha256:…`.
        var digests: [String: String] = [:]
        for line in lines.dropLast() {
            let parts = line.components(separatedBy: ", ")
            let head = parts[0].components(separatedBy: ": ")
            guard parts.count == 2, head.count == 2, head[1].hasSuffix(" decisions") else {
                Issue.record("unexpected check line: \(line)")
                continue
            }
            digests[head[0]] = parts[1]
        }
        // Each policy is named with its version.
        #expect(Set(digests.keys) == ["domestic 2026.1", "export 2026.1", "material 2026.1"], "\(run)")
        for (name, digest) in digests {
            #expect(digest.hasPrefix("sha256:") && digest.count == 7 + 64, "\(name): \(digest)")
            #expect(digest.dropFirst(7).allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(name): \(digest)")
        }

        // The digest in every answer is the one `check` reports for that policy.
        let material = """
            {"id":"m","market":"export","product":"material","opened_at":"2025-07-02T10:00:00Z","request":{"kind":"training","onsite":false}}
            """
        let input = Array([ticket("d"), ticket("e", market: "export"), material].joined(separator: "\n").utf8)
        let eval = try verdict(["eval", "--policies", Repo.policies, "--ask", "visit_chargeable"], stdin: input)
        #expect(eval.status == 0, "\(eval)")
        for line in eval.lines {
            let policy = try jsonObject(line)["policy"] as? [String: String] ?? [:]
            let identity = "\(policy["name"] ?? "") \(policy["version"] ?? "")"
            #expect(policy["digest"] != nil && policy["digest"] == digests[identity], "\(line)")
        }
    }

    /// A diagnostic as printed: the header, the source line, the caret line, an optional help line.
    struct Printed {
        var file: String
        var line: Int
        var column: Int
        var message: String
        var source: String
        var caret: String
        var help: String?
    }

    static func parse(_ text: String) throws -> (diagnostics: [Printed], summary: String?) {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var out: [Printed] = []
        var summary: String?
        var i = 0
        while i < lines.count {
            let header = lines[i]
            guard let r = header.range(of: ": error: ") else {
                summary = header
                i += 1
                continue
            }
            let place = header[..<r.lowerBound].components(separatedBy: ":")
            guard place.count >= 3, let line = Int(place[place.count - 2]), let column = Int(place[place.count - 1]) else {
                throw Failure("header without file:line:column: \(header)")
            }
            guard i + 2 < lines.count, lines[i + 1].hasPrefix("   "), lines[i + 2].hasPrefix("   ") else {
                throw Failure("no source line and caret after: \(header)")
            }
            var d = Printed(
                file: place[0..<(place.count - 2)].joined(separator: ":"), line: line, column: column,
                message: String(header[r.upperBound...]),
                source: String(lines[i + 1].dropFirst(3)), caret: String(lines[i + 2].dropFirst(3)))
            i += 3
            if i < lines.count, lines[i].hasPrefix("   help: ") {
                d.help = String(lines[i].dropFirst("   help: ".count))
                i += 1
            }
            out.append(d)
        }
        return (out, summary)
    }

    @Test func brokenPoliciesAreReportedAtTheirLineAndColumn() throws {
        let copy = try PolicyCopy()
        // 1. An unknown key.
        let unknownKey = try copy.edit(
            "equipment.yaml", replacing: "  in_warranty:\n    type: bool\n    decision: true\n",
            with: "  in_warranty:\n    type: bool\n    decison: true\n", marker: "decison")
        // 2. A misspelt field in an expression: reported where the reference starts.
        let misspelt = try copy.edit(
            "equipment.yaml", replacing: "expr: unit.installed_on.addMonths(params.warranty_months)",
            with: "expr: unit.instaled_on.addMonths(params.warranty_months)", marker: "unit.instaled_on")
        // 3. A parameter value above its maximum (max: 24).
        let badValue = try copy.edit(
            "equipment.yaml", replacing: "  remote_support_hours_per_day:\n    informational: true\n    type: int\n    value: 24\n",
            with: "  remote_support_hours_per_day:\n    informational: true\n    type: int\n    value: 25\n", marker: "25")
        // 4. Two rules that need each other.
        _ = try copy.append(
            "material.yaml",
            """
              loop_a:
                type: bool
                clause: "5.2"
                label: {zh: 甲, en: A}
                expr: loop_b
              loop_b:
                type: bool
                clause: "5.2"
                label: {zh: 乙, en: B}
                expr: "!loop_a"

            """)

        let run = try verdict(["check", "--policies", copy.path])
        #expect(run.status == 1, "\(run)")
        let (diagnostics, summary) = try Self.parse(run.out)
        #expect(summary == "\(diagnostics.count) problems in the policies", "\(run)")

        // Every diagnostic shows its own source line and a caret under its column.
        for d in diagnostics {
            let fileLines = try String(contentsOfFile: d.file, encoding: .utf8).components(separatedBy: "\n")
            #expect(d.line >= 1 && d.line <= fileLines.count, "\(d)")
            if d.line >= 1 && d.line <= fileLines.count { #expect(d.source == fileLines[d.line - 1], "\(d)") }
            let pad = d.caret.prefix { $0 != "^" }
            #expect(pad.unicodeScalars.count == d.column - 1, "caret under column \(d.column): \(d)")
            #expect(d.caret.contains("^"))
        }

        let equipment = copy.path + "/equipment.yaml"
        func find(_ what: String, _ where_: (Printed) -> Bool) -> Printed? {
            let found = diagnostics.first(where: where_)
            if found == nil { Issue.record("no diagnostic for \(what) in\n\(run.out)") }
            return found
        }
        if let d = find("decison", { $0.message.contains("decison") }) {
            #expect(d.file == equipment)
            #expect((d.line, d.column) == (unknownKey.line, unknownKey.column), "\(d)")
            #expect(d.help == "did you mean `decision`?", "\(d)")
        }
        if let d = find("instaled_on", { $0.message.contains("instaled_on") }) {
            #expect(d.file == equipment)
            #expect((d.line, d.column) == (misspelt.line, misspelt.column), "\(d)")
            #expect(d.help?.hasPrefix("did you mean `") == true && d.help?.contains("installed_on`") == true, "\(d)")
        }
        if let d = find("value 25", { $0.file == equipment && $0.line == badValue.line }) {
            #expect(d.column == badValue.column, "\(d)")
            #expect(d.message.contains("24"), "the message names the maximum: \(d)")
        }
        if let d = find("cycle", { $0.message.contains("loop_a") && $0.message.contains("loop_b") }) {
            #expect(d.file == copy.path + "/material.yaml", "\(d)")
            #expect(d.message.contains("cycle"), "\(d)")
        }

        // `eval` refuses the same folder with exit 2 and the same problems on stderr.
        let eval = try verdict(["eval", "--policies", copy.path], stdin: Array((ticket("x") + "\n").utf8))
        #expect(eval.status == 2, "\(eval)")
        #expect(eval.stdout.isEmpty)
        #expect(eval.err == run.out, "eval's stderr lists the same problems as check")
    }

    @Test func missingFolderIsAProblemForCheck() throws {
        let dir = try TempDir()
        let run = try verdict(["check", "--policies", dir.path + "/nope"])
        #expect(run.status == 1, "\(run)")
        #expect(run.out.hasPrefix("\(dir.path)/nope: error: no policy folder"), "\(run)")
    }
}
