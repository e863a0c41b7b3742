import Testing

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime
import VerdictFuzzing

/// Loading stays linear in the size of the folder (timed in
/// bench/hardening.sh); here, what the limits and the one-per-policy reports say.
@Suite struct LoadingLimitsTests {
    static let base = """
        verdict: 1
        policy: f0
        abstract: true
        inputs:
          market: {type: string, label: {zh: 市, en: Market}}
        rules:
          r:
            type: bool
            decision: true
            clause: "1"
            label: {zh: 甲, en: R}
            expr: market == 'a'
        """

    /// A chain of `n` files, each extending the one before; the last answers tickets.
    static func chain(_ n: Int) -> [(path: String, bytes: [UInt8])] {
        var out = files(base, name: "f0.yaml")
        for i in 1..<n {
            let tail = i == n - 1 ? "applies_to: {market: a}\n" : "abstract: true\n"
            out += files("verdict: 1\npolicy: f\(i)\nextends: f\(i - 1)\n" + tail, name: "f\(i).yaml")
        }
        return out
    }

    @Test func anExtendsChainOf32Loads() throws {
        #expect(diagnostics(Self.chain(32)).isEmpty)
    }

    /// A 2,000-deep chain: one error, at the policy that makes it 33 long.
    @Test func aLongerChainIsOneError() throws {
        let d = diagnostics(Self.chain(2000))
        #expect(d.count == 1, "\(d)")
        #expect(d.first?.code == .extendsTooDeep)
        #expect(d.first?.file == "f32.yaml")
        #expect(d.first?.message.contains("at most 32 may be chained by `extends`") == true)
    }

    /// A cycle longer than the limit is still reported.
    @Test func aLongCycleIsReported() throws {
        var fs: [(path: String, bytes: [UInt8])] = []
        for i in 0..<40 {
            fs += files("verdict: 1\npolicy: c\(i)\nextends: c\((i + 1) % 40)\nabstract: true\n", name: "c\(i).yaml")
        }
        fs += files(Self.base.replacingOccurrences(of: "abstract: true", with: "applies_to: {market: a}"))
        #expect(!diagnostics(fs).isEmpty)
    }

    /// Many policies answering the same tickets: one error per policy (with
    /// the first it overlaps), not one per pair.
    @Test func overlapsAreReportedOncePerPolicy() throws {
        var fs = files(Self.base.replacingOccurrences(of: "policy: f0", with: "policy: base"), name: "base.yaml")
        for i in 0..<50 {
            fs += files("verdict: 1\npolicy: p\(i)\nextends: base\napplies_to: {market: a}\n", name: "p\(i).yaml")
        }
        let d = diagnostics(fs).filter { $0.code == .overlappingPolicies }
        #expect(d.count == 49, "\(d.count)")
        #expect(d.allSatisfy { $0.message.contains("policies `p0` and") }, "\(d.prefix(3))")
    }

    @Test func disjointPoliciesDoNotOverlap() throws {
        var fs = files(Self.base.replacingOccurrences(of: "policy: f0", with: "policy: base"), name: "base.yaml")
        for i in 0..<200 {
            fs += files("verdict: 1\npolicy: p\(i)\nextends: base\napplies_to: {market: m\(i)}\n", name: "p\(i).yaml")
        }
        #expect(diagnostics(fs).isEmpty)
    }

    /// "Did you mean" for many undeclared names looks only at names of about the right length.
    @Test func suggestionsStillFindCloseNames() throws {
        let index = Suggest.Index(["unit.installed_on", "in_warranty", "r1", "r2"])
        #expect(index.near("instaled_on", lastSegment: true).contains("unit.installed_on"))
        #expect(!index.near("instaled_on", lastSegment: true).contains("r1"))
        #expect(Suggest.help(for: "in_waranty", in: index.near("in_waranty", lastSegment: true)) == "did you mean `in_warranty`?")
    }

    /// Rendering every diagnostic at once finds each file's lines once, and says the same.
    @Test func renderAllIsRenderOfEach() throws {
        let text = "a: 1\nb: 2\nc: 3\n"
        let ds = (1...3).map {
            PolicyDiagnostic(.unknownKey, file: "f.yaml", line: $0, column: 1, length: 1, message: "m\($0)")
        }
        let sources = ["f.yaml": Array(text.utf8)]
        #expect(
            DiagnosticRenderer.renderAll(ds, sources: sources)
                == ds.map { DiagnosticRenderer.render($0, source: sources["f.yaml"]) }.joined())
    }
}

/// Large enough that the compile of expressions and the table analysis run
/// on several threads (`Threads.concurrentPerform`): what CI's ThreadSanitizer
/// run watches. The same answers as one thread would give.
@Suite struct ParallelLoadingTests {
    @Test func aPolicyBigEnoughToLoadInParallel() throws {
        let text = ThreadedWork.bigPolicy(tables: 300)
        let set = try PolicySet.load(files: files(text, name: "big.yaml"))
        #expect(set.policies.count == 1)
        // Every table lacks the rows between -i and i: one gap warning each (but t0's `n == 0`).
        #expect(set.warnings.filter { $0.code == .tableGap }.count == 300, "\(set.warnings.count)")
    }
}
