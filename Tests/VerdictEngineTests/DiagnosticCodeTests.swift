import Foundation
import Testing

@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput

/// One owner mistake, made to the minimal policy, and the code it must be reported with.
struct Mistake: CustomTestStringConvertible, Sendable {
    var name: String
    var input: @Sendable () -> [(path: String, bytes: [UInt8])]
    var code: DiagnosticCode
    /// Text that marks where the diagnostic must point (first occurrence), if checked.
    var at: String?

    var testDescription: String { name }

    static func edit(_ name: String, _ old: String, _ new: String, _ code: DiagnosticCode, at: String? = nil) -> Mistake {
        Mistake(
            name: name, input: { VerdictEngineTests.files(minimal.replacingOccurrences(of: old, with: new)) }, code: code,
            at: at)
    }
}

@Suite struct DiagnosticCodeTests {
    static let mistakes: [Mistake] = [
        .edit("yaml syntax", "policy: p", "policy: [p", .yamlSyntax),
        .edit("duplicate key", "    decision: true", "    decision: true\n    decision: false", .duplicateKey),
        .edit("custom tag", "value: 12", "value: !twelve 12", .unsupportedYAML),
        .edit("unknown key", "    decision: true", "    decison: true", .unknownKey, at: "decison"),
        .edit("wrong shape", "  months:\n    type: int", "  months: [1]\n  monthz:\n    type: int", .wrongShape),
        .edit("missing key", "    type: int\n    value: 12", "    value: 12", .missingType),
        .edit("invalid name", "  open:", "  Open:", .invalidName, at: "Open"),
        .edit("not a bool", "decision: true", "decision: maybe", .invalidValue, at: "maybe"),
        .edit("unknown type", "type: int\n    value: 12", "type: integer\n    value: 12", .unknownType, at: "integer"),
        .edit("duplicate enum value", "values: [a, b]", "values: [a, a]", .duplicateEnumValue),
        .edit("two bodies", "    expr: date('2026-01-01') < ends", "    expr: 'true'\n    items: []", .conflictingKeys),
        .edit("format version", "verdict: 1", "verdict: 2", .unsupportedFormat),
        .edit("unknown base", "policy: p", "policy: p\nextends: bsae", .unknownBase, at: "bsae"),
        .edit("missing clause", "    clause: \"1.2\"\n", "", .missingClause),
        .edit("missing label", "    label: {zh: 开, en: open}\n", "", .missingLabel),
        .edit("missing value", "    value: 12\n", "", .missingValue),
        .edit("quoted number", "value: 12", "value: \"12\"", .typeMismatch, at: "\"12\""),
        .edit("below minimum", "value: 12", "value: -3", .outOfRange, at: "-3"),
        .edit("min above max", "    min: 0\n    clause: \"1.1\"", "    min: 5\n    max: 1\n    clause: \"1.1\"", .minAboveMax),
        .edit("reserved name", "  open:", "  in:", .reservedName),
        .edit("rule named as an input", "  open:", "  market:", .nameClash),
        .edit("unknown applies_to input", "applies_to: {market: a}", "applies_to: {markt: a}", .selectorUnknownInput),
        .edit("applies_to value", "applies_to: {market: a}", "applies_to: {market: c}", .selectorValue),
        .edit("no applies_to", "applies_to: {market: a}\n", "", .missingAppliesTo),
        .edit("expression syntax", "< ends", "< < ends", .expressionSyntax),
        .edit("unknown reference", "< ends", "< endz", .unknownReference, at: "endz"),
        .edit("no overload", "date('2026-01-01') < ends", "3 < ends", .expressionType),
        .edit("wrong result type", "date('2026-01-01') < ends", "ends", .resultType),
        .edit("enum literal", "date('2026-01-01') < ends", "market == 'c'", .invalidLiteral, at: "'c'"),
        .edit("bad regex", "date('2026-01-01') < ends", "\"'x'.matches('[')\"", .invalidRegex),
        .edit("bad date literal", "date('2026-01-01')", "date('2026-02-30')", .invalidLiteral),
        .edit(
            "rule cycle", "expr: unit.installed_on.addMonths(params.months)",
            "expr: \"open ? date('2020-01-01') : date('2021-01-01')\"", .ruleCycle),
        Mistake(
            name: "duplicate policy", input: { files(minimal) + files(minimal, name: "q.yaml") }, code: .duplicatePolicy),
        Mistake(
            name: "overlapping policies",
            input: { files(minimal) + files(minimal.replacingOccurrences(of: "policy: p", with: "policy: q"), name: "q.yaml") },
            code: .overlappingPolicies),
        Mistake(name: "empty file", input: { files(minimal) + files("", name: "empty.yaml") }, code: .emptyFile),
    ]

    @Test(arguments: mistakes)
    func mistakeIsReportedWithItsCode(_ m: Mistake) throws {
        let input = m.input()
        let d = diagnostics(input)
        #expect(d.contains { $0.code == m.code }, "\(m.name): \(d.map { "\($0.code) \($0.message)" })")
        if let marker = m.at, let text = input.first.map({ String(decoding: $0.bytes, as: UTF8.self) }) {
            let at = try #require(position(of: marker, in: text))
            #expect(
                d.contains { $0.code == m.code && $0.line == at.0 && $0.column == at.1 },
                "\(m.name) should point at \(at): \(d.map { "\($0.line):\($0.column) \($0.code)" })")
        }
    }

    @Test func codesAreUniqueAndDocumented() throws {
        let ids = DiagnosticCode.all.map(\.id)
        #expect(Set(ids).count == ids.count, "a code is used twice")
        #expect(Set(DiagnosticCode.all.map(\.name)).count == ids.count, "a code name is used twice")
        let doc = String(decoding: try Repo.read("docs/diagnostics.md"), as: UTF8.self)
        for code in DiagnosticCode.all {
            #expect(doc.contains("`\(code.id)`") && doc.contains(code.name), "docs/diagnostics.md lacks \(code.id) \(code.name)")
        }
    }

    @Test func renderedDiagnosticsEndWithTheirCode() throws {
        let text = minimal.replacingOccurrences(of: "< ends", with: "< endz")
        let d = try #require(diagnostics(files(text)).first)
        let first = DiagnosticRenderer.render(d, source: Array(text.utf8)).split(separator: "\n").first.map(String.init)
        #expect(first?.hasSuffix("[E0503]") == true, "\(first ?? "")")
    }
}
