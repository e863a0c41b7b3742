import Testing
import VerdictJSON
import VerdictJSONWriter

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime

/// Deterministic mutation fuzzing of the per-ticket path: whatever a line
/// holds, it gets exactly one output line, and that line is a JSON object.
@Suite struct FuzzTests {
    /// A small fixed-seed generator (SplitMix64), so failures reproduce.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    static let fragments: [[UInt8]] = [
        "null", "true", "-0", "1e400", "123456789012345678901234567890", "\"\\ud800\"", "{}", "[]", "\"2025-02-30\"",
        "\"2026-03-14T09:30:00+08:00\"", "\"\"", "{\"a\":", "]", "\\", "\u{FEFF}", "\u{0}", "\"teleport\"", "-1", "3.5",
    ].map { Array($0.utf8) }

    func mutate(_ line: [UInt8], _ rng: inout Rng) -> [UInt8] {
        var bytes = line
        for _ in 0..<(1 + rng.below(4)) {
            guard !bytes.isEmpty else { break }
            let at = rng.below(bytes.count)
            switch rng.below(6) {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())  // any byte, invalid UTF-8 included
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.below(12)))
            case 2: bytes.insert(contentsOf: Self.fragments[rng.below(Self.fragments.count)], at: at)
            case 3: bytes = Array(bytes[..<at])  // truncated
            case 4:
                // Replace a value after a colon with a fragment (wrong types, odd values).
                if let colon = bytes[at...].firstIndex(of: UInt8(ascii: ":")) {
                    let end = bytes[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? bytes.count
                    bytes.replaceSubrange((colon + 1)..<end, with: Self.fragments[rng.below(Self.fragments.count)])
                }
            default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 20)], at: at)
            }
        }
        // Line ends inside a line would make two lines; keep one line per case.
        return bytes.map { $0 == 10 ? 32 : $0 }
    }

    @Test func everyMutatedLineGetsOneJSONObjectLine() throws {
        let set = try loadShipped()
        let seeds = try Repo.lines("examples/tickets.jsonl").map { Array($0.utf8) }
        var rng = Rng(state: 20_261_129)
        var lines: [[UInt8]] = []
        for i in 0..<3000 {
            let m = mutate(seeds[i % seeds.count], &rng)
            // Blank lines get no answer by contract; keep the count exact.
            lines.append(m.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } ? [UInt8(ascii: "x")] : m)
        }
        #expect(lines.contains { String(validatingUTF8: $0.map { CChar(bitPattern: $0) } + [0]) == nil }, "some lines are invalid UTF-8")
        for explain in [false, true] {
            let out = try answer(bytes: lines, with: set, explain: explain)
            #expect(out.count == lines.count)
            for (i, line) in out.enumerated() {
                guard case .success(.object) = JSONReader.parse(Array(line.utf8), maxDepth: 128) else {
                    Issue.record("output line \(i + 1) is not a JSON object: \(line.prefix(300))")
                    return
                }
            }
        }
    }
}

/// The fast ticket reader (FieldScanner + FastInputPlan) against the strict
/// reader: every line, however malformed, answered byte for byte alike.
@Suite struct FastPathTests {
    /// Answers lines with the fast path on or off.
    func answers(_ lines: [[UInt8]], set: PolicySet, fast: Bool, ask: [String] = []) throws -> [[UInt8]] {
        let plan = try AskPlan(policies: set.compiled, ask: ask)
        let sink = TicketSink(policies: set, plan: plan)
        sink.evaluator.usesFastPath = fast
        var out: [[UInt8]] = []
        var e = Evaluation()
        for (n, line) in lines.enumerated() {
            var w = JSONWriter(capacity: 512)
            line.withUnsafeBytes { sink.evaluator.evaluate(line: $0, into: &e) }
            sink.writer.write(e, line: n + 1, into: &w)
            out.append(w.bytes)
        }
        return out
    }

    static let hostile: [String] = [
        #"{"id":"a","market":"domestic","opened_at":"2026-03-14T09:30:00+08:00","unit":{"installed_on":"2025-06-01","install_count":1}}"#,
        #"{"id":"\u0041\u00e9","market":"dom\u0065stic","opened_at":"2026-03-14T09:30:00+08:00"}"#,
        #"{"market":"export","market":"domestic"}"#,
        #"{"mar\u006bet":"export"}"#,
        #"{"market":"export","unit":{"installed_on":"2025-06-01","installed_on":"2025-06-02"}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","unit":{"installed_on":"2025-6-1","install_count":1.0}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","unit":{"install_count":99999999999999999999}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","unit":{"install_count":-0}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","unit":{"install_count":1e2}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","unit":{"install_count":-3}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","unit":"none","fault":[1,2]}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","request":{"kind":"rep\u0061ir","onsite":true}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00+08:00","request":{"kind":"teleport","onsite":"yes"}}"#,
        #"{"market":"export","opened_at":"2026-03-14T09:30:00Z","request":null,"fault":null,"unit":null}"#,
        #"{"market":"Export","opened_at":"2026-03-14T09:30:00+08:00"}"#,
        #"{"market":5}"#,
        #"{"market":"domestic","product":"material","opened_at":"2026-03-14T09:30:00+08:00","request":{"kind":"training","onsite":false}}"#,
        #"{"market":"domestic","notes":"客户说明：设备无法启动 \"急\" \ud83d\ude00","opened_at":"2026-03-14T09:30:00+08:00"}"#,
        #"{"market":"domestic","deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
        #"{"market":"domestic","lone":"\ud800"}"#,
        #"  {"market":"domestic"}  "#,
        #"{"market":"domestic"} x"#,
        #"[{"market":"domestic"}]"#,
        #"{"id":{"nested":[1,{"a":null}]},"market":"domestic"}"#,
        #"{"id":12.50,"market":"nowhere"}"#,
        // Routing: keys left out, null, of another type, unknown, with a default, in another case.
        #"{"id":"r1","market":"domestic","product":null,"opened_at":"2026-03-14T09:30:00+08:00"}"#,
        #"{"id":"r2","product":"material","opened_at":"2026-03-14T09:30:00+08:00"}"#,
        #"{"id":"r3","market":"export","product":"material","opened_at":"2026-03-14T09:30:00+08:00"}"#,
        #"{"id":"r4","market":"export","product":7}"#,
        #"{"id":"r5","market":"export","product":"Equipment"}"#,
        #"{"id":"r6","market":"","product":""}"#,
        #"{"id":"r7","market":"domestic","product":"equipmen"}"#,
        #"{"id":"r8","market":"domestic","product":"equipment\u0000"}"#,
        #"{"id":"r9","market":null,"product":"equipment"}"#,
        // Duplicate keys the policy reads, far apart, nested, with object values; and keys it does not read.
        #"{"market":"export","id":"a","product":"equipment","notes":"x","market":"export"}"#,
        #"{"market":"export","unit":{"serial":"s"},"id":"a","unit":{"serial":"s"}}"#,
        #"{"market":"export","unit":{"serial":"s","extra":1,"model":"m","extra":2}}"#,
        #"{"market":"export","fault":{"cause":"customer"},"fault":null}"#,
        #"{"x":1,"y":2,"market":"export","y":3}"#,
        #"{"market":"export","unit":{"a":{"b":1,"b":2}}}"#,
        #"{"market":"export","list":[{"market":1,"market":2}]}"#,
        #"{"market":"export","list":[{"market":1},{"market":2}],"id":"ok"}"#,
        #"{"marketplace":"x","market":"export","marke":"y","mark":"z"}"#,
        #"{"a0":0,"a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,"b0":0,"b1":1,"b2":2,"b3":3,"b4":4,"b5":5,"b6":6,"b7":7,"b8":8,"b9":9,"c0":0,"c1":1,"c2":2,"c3":3,"c4":4,"c5":5,"c6":6,"c7":7,"c8":8,"c9":9,"d0":0,"d1":1,"market":"export","d0":5}"#,
    ]

    @Test func bothPathsAgreeOnHostileAndMutatedLines() throws {
        let set = try loadShipped()
        var lines = Self.hostile.map { Array($0.utf8) }
        lines.append([0xFF, 0xFE, 0x7B, 0x7D])
        lines.append(Array(#"{"market":"domestic","x":""#.utf8) + [0xC0, 0x80] + Array(#""}"#.utf8))
        let seeds = try Repo.lines("examples/tickets.jsonl").map { Array($0.utf8) }
        lines += seeds
        var rng = FuzzTests.Rng(state: 7)
        let fuzz = FuzzTests()
        for i in 0..<4000 { lines.append(fuzz.mutate(seeds[i % seeds.count], &rng)) }
        for ask in [[], ["in_warranty", "visit_chargeable", "fees"]] {
            let fast = try answers(lines, set: set, fast: true, ask: ask)
            let slow = try answers(lines, set: set, fast: false, ask: ask)
            var differing = 0
            for i in lines.indices where fast[i] != slow[i] {
                differing += 1
                if differing <= 3 {
                    Issue.record(
                        "line \(i + 1) \(String(decoding: lines[i], as: UTF8.self))\n fast \(String(decoding: fast[i], as: UTF8.self))\n slow \(String(decoding: slow[i], as: UTF8.self))")
                }
            }
            #expect(differing == 0, "\(differing) lines answered differently")
        }
    }
}
