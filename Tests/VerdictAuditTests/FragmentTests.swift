import CEL
import Foundation
import Testing
import VerdictAudit
import VerdictCompiler
import VerdictJSON
import VerdictRuntime

/// Decisions outside the analysable fragment: reported as unproven with a
/// reason naming the expression and the rule, and sampled, so that a planted
/// difference is still found (and verified).
@Suite struct FragmentTests {
    static let inputs = """
        serial: {type: string}
        n: {type: int, min: 0, max: 20}
        opened_at: {type: timestamp}
        parts: {type: list, of: string, optional: true}
        """

    @Test func unanalysableDecisionsAreSampled() throws {
        let old = smallPolicy(
            inputs: Self.inputs,
            rules: [
                ("serial_ok", "bool", expr("serial.matches('^A')")),
                ("doubled", "bool", expr("n * 2 > 10")),
                ("same_but_opaque", "bool", expr("n + 1 > 5")),
                ("prefix", "bool", expr("serial.startsWith('X') && n > 2")),
                ("late", "bool", expr("opened_at > timestamp('2025-06-01T00:00:00Z')")),
                ("many_parts", "bool", expr("size(parts) > 1")),
            ])
        let new = smallPolicy(
            inputs: Self.inputs,
            rules: [
                ("serial_ok", "bool", expr("serial.matches('^AB')")),
                ("doubled", "bool", expr("n * 2 > 12")),
                ("same_but_opaque", "bool", expr("n + 1 > 5")),
                ("prefix", "bool", expr("n > 2 && serial.startsWith('XY')")),
                ("late", "bool", expr("opened_at >= timestamp('2025-06-01T00:00:00Z')")),
                ("many_parts", "bool", expr("size(parts) > 2")),
            ])
        let results = try checkAgainstBruteForce(
            old: old, new: new, tickets: [],
            expected: [
                "serial_ok": .unproven, "doubled": .unproven, "same_but_opaque": .unproven, "prefix": .unproven,
                "late": .unproven, "many_parts": .unproven,
            ])
        print(report(results))
        for r in results {
            guard case .unproven(let reasons, let tried) = r.verdict else { continue }
            #expect(tried > 0)
            #expect(reasons.allSatisfy { $0.contains("rule `\(r.name)`") }, "\(reasons)")
            switch r.name {
            case "same_but_opaque":
                #expect(r.witnesses.isEmpty)
                #expect(reasons.contains { $0.contains("`n + 1`") && $0.contains("arithmetic") }, "\(reasons)")
            case "serial_ok":
                #expect(reasons.contains { $0.contains("matches") }, "\(reasons)")
                #expect(!r.witnesses.isEmpty, "the planted difference is found")
            case "late":
                // The instant itself: sampled at the literal's day in both offsets.
                #expect(reasons.contains { $0.contains("timestamp") }, "\(reasons)")
            default:
                #expect(!r.witnesses.isEmpty, "\(r.name): the planted difference is found")
            }
        }
    }

    /// A decision partly in the fragment: the analysable rules do not make it proven.
    @Test func oneUnanalysableRuleTaintsItsDependants() throws {
        let inputs = """
            serial: {type: string}
            flag: {type: bool}
            """
        let old = smallPolicy(
            inputs: inputs,
            rules: [
                ("coded", "bool", expr("serial.endsWith('9')")),
                ("uses_it", "bool", expr("flag && coded")),
                ("clean", "bool", expr("flag")),
            ])
        let new = smallPolicy(
            inputs: inputs,
            rules: [
                ("coded", "bool", expr("serial.endsWith('9')")),
                ("uses_it", "bool", expr("coded && flag")),
                ("clean", "bool", expr("!!flag")),
            ])
        let tickets = combinations([
            ("serial", [nil, .string("a9"), .string("b"), int(9)]), ("flag", [nil, .bool(true), .bool(false), int(1)]),
        ])
        let results = try checkAgainstBruteForce(
            old: old, new: new, tickets: tickets,
            expected: ["coded": .unproven, "uses_it": .unproven, "clean": .equivalent])
        let usesIt = try #require(results.first { $0.name == "uses_it" })
        if case .unproven(let reasons, _) = usesIt.verdict {
            #expect(reasons.contains { $0.contains("rule `coded`") && $0.contains("endsWith") }, "\(reasons)")
        }
    }
}
