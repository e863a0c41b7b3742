import Foundation
import Testing
import VerdictCompiler
import VerdictModel

/// The broken-policy corpus (Tests/BrokenPolicies/cases, written by
/// make_cases.py): each case is a policy set with one owner mistake and the
/// diagnostics `check --strict` must give, each with its code and position.
@Suite struct CheckCorpusTests {
    static let root = Repo.root + "/Tests/BrokenPolicies/cases"

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
    }

    struct Expected: Hashable, CustomStringConvertible {
        var place: String  // file:line:column CODE
        var text: String
        var description: String { text.isEmpty ? place : "\(place) \(text)" }
    }

    static func expected(_ dir: String) throws -> [Expected] {
        let text = try String(contentsOfFile: dir + "/expected", encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            return Expected(place: parts.prefix(2).joined(separator: " "), text: parts.count > 2 ? parts[2] : "")
        }
    }

    @Test func theCorpusHoldsAtLeastFortyCases() {
        #expect(Self.cases.count >= 40, "\(Self.cases.count) cases")
    }

    @Test(arguments: cases)
    func eachMistakeIsReportedAtItsPlaceWithItsCode(_ name: String) throws {
        let dir = Self.root + "/" + name
        let expected = try Self.expected(dir)
        #expect(!expected.isEmpty)
        let found: [PolicyDiagnostic]
        do {
            let set = try PolicySet.load(directory: dir)
            // It loads: then a warning must fail `check --strict`.
            found = set.warnings.filter { $0.severity != .note }
            #expect(found.contains { $0.severity == .warning }, "\(name) passes check --strict")
        } catch {
            found = error.diagnostics.filter { $0.severity != .note }
            #expect(found.contains { $0.severity == .error })
        }
        func place(_ d: PolicyDiagnostic) -> String {
            "\(URL(fileURLWithPath: d.file).lastPathComponent):\(d.line):\(d.column) \(d.code)"
        }
        let got = Set(found.map(place))
        #expect(got == Set(expected.map(\.place)), "\(name): got \(found.map { place($0) + " " + $0.message })")
        for e in expected where !e.text.isEmpty {
            let said = found.filter { place($0) == e.place }.map { $0.message + " " + ($0.help ?? "") }
            #expect(said.contains { $0.contains(e.text) }, "\(name): \(e) not in \(said)")
        }
    }
}
