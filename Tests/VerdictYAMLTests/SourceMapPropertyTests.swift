import Testing
@testable import VerdictYAML

/// Every scalar in the tree, found without recursion.
func allScalars(_ root: YAMLNode) -> [YAMLScalar] {
    var out: [YAMLScalar] = []
    var work = [root]
    while let node = work.popLast() {
        switch node.kind {
        case .scalar(let s): out.append(s)
        case .sequence(let items): work.append(contentsOf: items)
        case .mapping(let pairs):
            for p in pairs { work.append(p.key); work.append(p.value) }
        }
    }
    return out
}

/// The character of `lines` at a 1-based mark, nil past the end of a line.
func character(at mark: YAMLMark, in lines: [[Unicode.Scalar]]) -> Unicode.Scalar? {
    guard mark.line >= 1, mark.line <= lines.count else { return nil }
    let line = lines[mark.line - 1]
    guard mark.column >= 1, mark.column <= line.count else { return nil }
    return line[mark.column - 1]
}

@Suite struct SourceMapPropertyTests {
    static let policy = """
    # A policy written the way people write them.
    name: 保修 warranty
    label: {zh: 保修期, en: Warranty}
    rules:
      - id: r1
        when: ticket.age > 3 && ticket.kind == "维修"
        then: 'string(ticket.age) + '' 天'''
      - id: r2
        when: >-
          ticket.amount >= 100
          && ticket.market == "export"
        then: |
          ticket.amount * 0.9 +
            fee("保修期", 3)
          # not a comment inside a block
      - id: r3
        when: "ticket.items.all(i,
          i.qty > 0)"
        then: plain text that
          continues on the next line
            and again
    tags: [a, "b c", 'd''e', 保修]
    """

    @Test func everyStyleMapsToTheSameCharacter() throws {
        let root = try #require(parseOK(Self.policy))
        let lines = Self.policy.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        var checked = 0
        for s in allScalars(root) {  // folded too: its non-space characters map exactly here
            let value = Array(s.text.unicodeScalars)
            for (i, v) in value.enumerated() {
                let mark = s.mark(atOffset: i)
                let c = character(at: mark, in: lines)
                if v == " " || v == "\n" {
                    // Folded line breaks map to the break (past the line end).
                    #expect(c == v || c == nil || c == " ", "\(s.text) @\(i)")
                    continue
                }
                if s.style == .singleQuoted, v == "'" {
                    #expect(c == "'")
                    continue
                }
                #expect(c == v, "\(s.text) @\(i) → \(mark)")
                checked += 1
            }
        }
        #expect(checked > 250)
    }

    @Test func expressionOnSecondLineOfBlockScalar() throws {
        let root = try #require(parseOK(Self.policy))
        let then = try #require(root.value(forKey: "rules")?.sequence?[1].value(forKey: "then")?.scalar)
        let chars = Array(then.text.unicodeScalars)
        let fee = try #require(chars.firstIndex(of: "f"))
        #expect(then.mark(atOffset: fee) == YAMLMark(line: 14, column: 9))
        let bao = try #require(chars.firstIndex(of: "保"))
        #expect(then.mark(atOffset: bao) == YAMLMark(line: 14, column: 14))
    }

    @Test func randomDocumentsNeverCrash() {
        var seed: UInt64 = 0x2545F4914F6CDD1D
        func next() -> UInt64 {
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            return seed
        }
        let pieces = ["a", "b", ":", " ", "  ", "\n", "- ", "[", "]", "{", "}", ",", "'", "\"", "\\", "|", ">", "#",
                      "&x ", "*x", "!!str ", "!t ", "? ", "保", "\t", "---\n", "<<", "1", "0x1F", "\r\n", "\\u", "''", "2-"]
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int(next() % 30) { text += pieces[Int(next() % UInt64(pieces.count))] }
            switch YAMLDocument.parse(Array(text.utf8)) {
            case .success(let root?):
                for s in allScalars(root) {
                    let n = s.text.unicodeScalars.count
                    for i in -1...(n + 1) {
                        let mark = s.mark(atOffset: i)
                        #expect(mark.line >= 1 && mark.column >= 1)
                    }
                    _ = (s.asBool, s.asInt, s.asDouble, s.isNull)
                }
            case .success(nil):
                break
            case .failure(let errors):
                #expect(!errors.diagnostics.isEmpty)
                for d in errors.diagnostics {
                    #expect(d.mark.line >= 1 && d.mark.column >= 1)
                    #expect(!d.message.contains("\n"))
                }
            }
        }
    }
}
