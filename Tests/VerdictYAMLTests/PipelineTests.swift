import Foundation
import Testing
@testable import VerdictYAML

/// Files of `TreeBuilder.pipelineBytes` and more are parsed on a second
/// thread while the tree is built: the same tree, positions and diagnostics
/// as on one thread, and an early stop that neither hangs nor leaks.
@Suite struct PipelineTests {
    /// `count` entries under `items:`, each a small mapping, past the size
    /// from which the parser runs on its own thread.
    static func large(_ count: Int, tail: String = "") -> String {
        var text = "items:\n"
        for i in 0..<count {
            text += "  e\(i): {clause: \"\(i)\", label: {zh: 条目\(i), en: Entry number \(i) of a long catalogue}}\n"
        }
        return text + tail
    }

    static let count = 5_000

    @Test func theInputIsLargeEnough() {
        #expect(Self.large(Self.count).utf8.count > TreeBuilder.pipelineBytes)
    }

    @Test func aLargeFileGivesEveryNodeAtItsPlace() throws {
        let root = try #require(parseOK(Self.large(Self.count) + "anchored: &a {x: 1}\nagain: *a\n"))
        let items = try #require(root.value(forKey: "items")?.mapping)
        #expect(items.count == Self.count)
        for i in [0, 1, 2_047, 2_048, 4_999] {
            let pair = items[i]
            #expect(pair.key.scalar?.text == "e\(i)")
            #expect(pair.key.span.start == m(i + 2, 3))
            #expect(pair.value.value(forKey: "label")?.value(forKey: "zh")?.scalar?.text == "条目\(i)")
        }
        #expect(root.value(forKey: "again")?.value(forKey: "x")?.scalar?.asInt == 1)
    }

    @Test func aSyntaxErrorAtTheEndIsReportedAsOnOneThread() {
        let tail = "  bad: [unclosed\n"
        let large = parseErrors(Self.large(Self.count, tail: tail))
        let small = parseErrors(Self.large(1, tail: tail))
        #expect(large.count == 1)
        let shift = Self.count - 1
        #expect(large.first?.mark.line == (small.first?.mark.line ?? 0) + shift)
        // The message names where the flow sequence started: the same place, further down.
        let start = (small.first?.context?.line ?? 0)
        #expect(large.first?.context?.line == start + shift)
        #expect(
            large.first?.message
                == small.first?.message.replacingOccurrences(of: "line \(start),", with: "line \(start + shift),"))
    }

    @Test func aDuplicateKeyInTheMiddleIsReportedAtItsLine() {
        let text = Self.large(Self.count) + "  e2500: {clause: \"x\"}\n"
        let errors = parseErrors(text)
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .duplicateKey)
        #expect(errors.first?.mark == m(Self.count + 2, 3))
        #expect(errors.first?.message.contains("first defined at line 2502") == true)
    }

    /// A fatal problem near the start stops the parser's thread; the rest
    /// of the file is never built.
    @Test func aFatalProblemEarlyStopsTheParser() {
        let deep = "deep: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "\n"
        let errors = parseErrors(deep + Self.large(Self.count))
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .limit)
        #expect(errors.first?.mark.line == 1)
    }

    @Test func tooManyProblemsStopAfterTheLimit() {
        var text = Self.large(Self.count)
        for i in 0..<200 { text += "  e\(i): {clause: \"again\"}\n" }
        let errors = parseErrors(text)
        #expect(errors.count == TreeBuilder.maxDiagnostics + 1)
        #expect(errors.last?.message == "too many problems; stopped here")
    }
}
