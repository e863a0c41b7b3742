import Foundation
import Testing
import VerdictJSON
import VerdictJSONWriter

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime

/// The shipped policies against the independent oracle (Tests/Golden/oracle.py):
/// every decision of the policy spec, both markets and materials, on and
/// around every boundary day.
@Suite struct GoldenTests {
    @Test(arguments: ["spec-cases", "examples"])
    func matchesOracle(_ name: String) throws {
        let set = try loadShipped()
        let ticketsPath = name == "examples" ? "examples/tickets.jsonl" : "Tests/Golden/\(name).jsonl"
        let tickets = try Repo.lines(ticketsPath).filter { !$0.allSatisfy(\.isWhitespace) }
        let expected = try Repo.lines("Tests/Golden/\(name).expected.jsonl")
        let actual = try answer(tickets, with: set)
        #expect(actual.count == tickets.count)
        #expect(expected.count == tickets.count)
        var mismatches: [String] = []
        for (i, (got, want)) in zip(actual, expected).enumerated() {
            let g = try object(parseJSON(got)).unwrap("output line \(i + 1) is not an object")
            let w = try object(parseJSON(want)).unwrap("expected line \(i + 1) is not an object")
            let id = w["id"].map { "\($0)" } ?? "line \(i + 1)"
            if w["error"] != nil {
                if g["error"] == nil { mismatches.append("\(id): expected an error line, got \(got)") }
                if g["id"] != w["id"] { mismatches.append("\(id): error line id \(String(describing: g["id"]))") }
                continue
            }
            guard g["error"] == nil else {
                mismatches.append("\(id): unexpected error line \(got)")
                continue
            }
            if case .string(let p)? = w["policy"], object(g["policy"])?["name"] != .string(p) {
                mismatches.append("\(id): policy \(String(describing: object(g["policy"])?["name"])), expected \(p)")
            }
            let gotAnswers = normalized(g["answers"] ?? .null)
            let wantAnswers = normalized(w["answers"] ?? .null)
            if gotAnswers != wantAnswers {
                let ga = object(gotAnswers)?.entries ?? []
                let wa = object(wantAnswers)?.entries ?? []
                for key in Set(ga.map(\.key)).union(wa.map(\.key)).sorted() {
                    let a = ga.first { $0.key == key }?.value
                    let b = wa.first { $0.key == key }?.value
                    if a != b {
                        mismatches.append("\(id): \(key) = \(a.map(render) ?? "—"), oracle \(b.map(render) ?? "—")")
                    }
                }
            }
            let gotUndetermined = Set(object(g["undetermined"])?.entries.map(\.key) ?? [])
            var wantUndetermined: Set<String> = []
            if case .array(let names)? = w["undetermined"] {
                for case .string(let n) in names { wantUndetermined.insert(n) }
            }
            if gotUndetermined != wantUndetermined {
                mismatches.append(
                    "\(id): undetermined \(gotUndetermined.sorted()), oracle \(wantUndetermined.sorted()) — \(render(g["undetermined"] ?? .null))")
            }
        }
        #expect(mismatches.isEmpty, Comment(rawValue: "\(mismatches.count) mismatches:\n" + mismatches.prefix(60).joined(separator: "\n")))
    }

    /// examples/answers.jsonl is exactly what `verdict eval` writes for examples/tickets.jsonl.
    /// Set RECORD_ANSWERS=1 to rewrite it after a deliberate policy change.
    @Test func examplesAnswersAreCurrent() throws {
        let set = try loadShipped()
        let tickets = try Repo.lines("examples/tickets.jsonl")
        let actual = try answer(tickets, with: set).joined(separator: "\n") + "\n"
        let path = Repo.path("examples/answers.jsonl")
        if ProcessInfo.processInfo.environment["RECORD_ANSWERS"] != nil {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let recorded = String(decoding: try Repo.read("examples/answers.jsonl"), as: UTF8.self)
        #expect(recorded == actual, "examples/answers.jsonl is out of date: run RECORD_ANSWERS=1 swift test --filter examplesAnswersAreCurrent")
    }
}

func render(_ v: JSONValue) -> String {
    var w = JSONWriter()
    w.value(v)
    return String(decoding: w.bytes, as: UTF8.self)
}

extension Optional {
    func unwrap(_ message: String) throws -> Wrapped {
        guard let v = self else { throw TestFailure(message) }
        return v
    }
}
