import Foundation
import Testing
import VerdictFuzzing

/// Every seed the fuzzers start from (Fuzz/corpus) and every input a fuzzer
/// found a problem with (Fuzz/regressions, once fixed) goes through the same
/// target functions as under libFuzzer (Fuzz/run.sh), in every test run.
@Suite struct FuzzCorpusTests {
    @Test(arguments: FuzzTarget.allCases)
    func seedsAndPastFindingsPass(_ target: FuzzTarget) throws {
        setenv("VERDICT_FUZZ_POLICIES", Repo.policies, 1)
        var count = 0
        for folder in ["Fuzz/corpus", "Fuzz/regressions"] {
            let dir = Repo.path("\(folder)/\(target.rawValue)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let bytes = try Repo.read("\(folder)/\(target.rawValue)/\(name)")
                #expect(target.run(bytes) == nil, "\(folder)/\(target.rawValue)/\(name)")
                count += 1
            }
        }
        #expect(count > 0, "no seeds for \(target.rawValue)")
    }
}
