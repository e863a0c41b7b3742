import Testing
@testable import VerdictJSON
@testable import VerdictJSONWriter

func ok(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue? {
    switch JSONReader.parse(Array(text.utf8)) {
    case .success(let v): return v
    case .failure(let e):
        Issue.record("unexpected error \(e)", sourceLocation: sourceLocation)
        return nil
    }
}

func fail(_ bytes: [UInt8], maxDepth: Int = 64, sourceLocation: SourceLocation = #_sourceLocation) -> JSONError? {
    switch JSONReader.parse(bytes, maxDepth: maxDepth) {
    case .success(let v):
        Issue.record("expected an error, got \(v)", sourceLocation: sourceLocation)
        return nil
    case .failure(let e): return e
    }
}

func fail(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONError? {
    fail(Array(text.utf8), sourceLocation: sourceLocation)
}

/// A small deterministic generator for the random-input tests.
struct XorShift {
    var seed: UInt64
    mutating func next() -> UInt64 {
        seed ^= seed << 13
        seed ^= seed >> 7
        seed ^= seed << 17
        return seed
    }
}

func write(_ v: JSONValue) -> String {
    var w = JSONWriter()
    w.value(v)
    return String(decoding: w.bytes, as: UTF8.self)
}

func number(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONNumber? {
    guard case .number(let n)? = ok(text, sourceLocation: sourceLocation) else {
        Issue.record("not a number: \(text)", sourceLocation: sourceLocation)
        return nil
    }
    return n
}

@Suite struct ReaderTests {
    @Test func documentsRoundTripThroughTheWriter() throws {
        let docs = [
            #"{"id":"T-1","qty":3,"price":12.50,"tags":["a","b"],"ok":true,"no":false,"none":null,"nested":{"x":[[],{}]}}"#,
            #"[1,-0,0.5,1e10,1E-3,-2.5e+3,"",{"":""}]"#,
            #""just a string""#,
            #"12"#,
            #"null"#,
            #"{"zh":"保修期","emoji":"😀","mixed":"a\"b\\c\n\t\u0001"}"#,
        ]
        for doc in docs {
            let v = try #require(ok(doc))
            #expect(write(v) == doc)
            #expect(ok(write(v)) == v)
        }
    }

    @Test func whitespaceAroundAndInside() throws {
        let v = try #require(ok(" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n"))
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o["a"] == .array([.number(JSONNumber(int: 1)), .number(JSONNumber(int: 2))]))
        #expect(o["missing"] == nil)
        #expect(o.keys == ["a"])
    }

    @Test func objectsKeepOrderAndLookUp() throws {
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        guard case .object(let o)? = ok("{\(many)}") else { Issue.record("not an object"); return }
        #expect(o.count == 40)
        #expect(o.keys.first == "k0")
        #expect(o.keys.last == "k39")
        #expect(o["k27"] == .number(JSONNumber(int: 27)))
        #expect(o["k40"] == nil)
        var copy = o
        copy.entries.removeLast()
        #expect(copy["k39"] == nil)
        #expect(copy != o)
        #expect(JSONObject([("a", .null), ("b", .null)]) != JSONObject([("b", .null), ("a", .null)]))
    }

    @Test func escapes() throws {
        #expect(ok(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{c}\n\r\t"))
        #expect(ok(#""\u00e9\u4fdd\uD83D\uDE00\u0000""#) == .string("é保😀\u{0}"))
        #expect(ok(#""a\u0041b""#) == .string("aAb"))
    }

    @Test func errorClassesWithOffsets() {
        let cases: [(String, Int, String)] = [
            (#"{"id":1,"id":2}"#, 8, "duplicate key `id`"),
            (#"{"a":1"#, 6, "unexpected end of input"),
            (#"{"a":1 "b":2}"#, 7, "expected `,` or `}` after object member"),
            (#"[1 2]"#, 3, "expected `,` or `]` after array element"),
            (#"{"a" 1}"#, 5, "expected `:` after object key"),
            (#"{1:2}"#, 1, "expected a string key"),
            ("\"a\u{1}b\"", 2, "control character in string"),
            ("\"a\nb\"", 2, "control character in string"),
            (#""a\qb""#, 2, #"invalid escape `\q`"#),
            (#""\u12G4""#, 1, #"invalid escape `\u`: expected four hex digits"#),
            (#""x\ud800""#, 2, #"lone surrogate `\ud800`"#),
            (#""x\ud800\u0041""#, 2, #"lone surrogate `\ud800`"#),
            (#""\udc00\ud800""#, 1, #"lone surrogate `\udc00`"#),
            (#"[1,]"#, 3, "unexpected character `]` where a value was expected"),
            (#"[1] x"#, 4, "unexpected character `x` where end of input after the value was expected"),
            (#"tru"#, 3, "unexpected end of input"),
            (#"trUe"#, 0, "invalid literal; expected `true`"),
            (#"NaN"#, 0, "unexpected character `N` where a value was expected"),
            ("", 0, "unexpected end of input"),
            ("   ", 3, "unexpected end of input"),
            (#""open"#, 5, "unexpected end of input"),
            (#"'a'"#, 0, "unexpected character `'` where a value was expected"),
            (#"{"a":1}{"#, 7, "unexpected character `{` where end of input after the value was expected"),
        ]
        for (text, offset, message) in cases {
            let e = fail(text)
            #expect(e == JSONError(offset: offset, message: message), "\(text)")
        }
    }

    @Test func duplicateKeysInLargeObjects() {
        let many = (0..<30).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let e = fail("{\(many),\"k17\":0}")
        #expect(e?.message == "duplicate key `k17`")
        // Same key in different objects is fine.
        #expect(ok(#"[{"a":1},{"a":2},{"a":{"a":3}}]"#) != nil)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        for open in ["[", "{\"a\":"] {
            let text = String(repeating: open, count: 10_000)
            let e = fail(text)
            #expect(e?.message == "nesting deeper than 64 levels")
        }
        let arrays = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(fail(arrays)?.offset == 64)
        let atLimit = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(ok(atLimit) != nil)
        // A caller may ask for more depth; the parser and writer are iterative.
        let deep = String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000)
        if case .success(let v) = JSONReader.parse(Array(deep.utf8), maxDepth: 1_000) {
            var w = JSONWriter()
            w.value(v)
            #expect(w.bytes.count == 2_000)
        } else {
            Issue.record("deep array with a larger maxDepth should parse")
        }
    }

    @Test func twoMegabyteString() throws {
        let body = String(repeating: "abcdefgh", count: 256 * 1024)
        let v = try #require(ok("{\"note\":\"\(body)\"}"))
        guard case .object(let o) = v, case .string(let s)? = o["note"] else {
            Issue.record("no string")
            return
        }
        #expect(s.utf8.count == 2 * 1024 * 1024)
        let escaped = String(repeating: "ab\\n", count: 512 * 1024)
        guard case .string(let t)? = ok("\"\(escaped)\"") else { Issue.record("no string"); return }
        #expect(t.utf8.count == 3 * 512 * 1024)
    }

    @Test func numbers() throws {
        let max = try #require(number("9223372036854775807"))
        #expect(max.int == Int64.max)
        #expect(max.isInteger)
        let over = try #require(number("9223372036854775808"))
        #expect(over.int == nil)
        #expect(over.isInteger)
        #expect(over.double == 9223372036854775808.0)
        let min = try #require(number("-9223372036854775808"))
        #expect(min.int == Int64.min)
        #expect(try #require(number("-9223372036854775809")).int == nil)
        let huge = try #require(number("1e400"))
        #expect(huge.double == .infinity)
        #expect(!huge.isInteger)
        #expect(try #require(number("-1e400")).double == -.infinity)
        #expect(try #require(number("1e-400")).double == 0)
        let one = try #require(number("1.0"))
        #expect(!one.isInteger)
        #expect(one.int == nil)
        #expect(one.double == 1)
        let negZero = try #require(number("-0"))
        #expect(negZero.int == 0)
        #expect(negZero.isInteger)
        #expect(negZero.double == 0 && negZero.double.sign == .minus)
        #expect(try #require(number("0.1")).double == 0.1)
        #expect(try #require(number("12345678901234567890123")).double == 12345678901234567890123.0)
        #expect(try #require(number("9007199254740993")).double == 9007199254740992.0)
        #expect(try #require(number("2.5E+3")).double == 2500)
        #expect(try #require(number("123")).text == "123")
    }

    @Test func invalidNumbers() {
        let cases: [(String, Int, String)] = [
            ("01", 0, "invalid number: leading zeros are not allowed"),
            ("-01", 1, "invalid number: leading zeros are not allowed"),
            ("+1", 0, "unexpected character `+` where a value was expected"),
            ("-", 1, "unexpected end of input"),
            ("-a", 1, "invalid number: expected a digit"),
            ("1.", 2, "unexpected end of input"),
            ("1.e3", 2, "invalid number: expected a digit after `.`"),
            (".5", 0, "unexpected character `.` where a value was expected"),
            ("1e", 2, "unexpected end of input"),
            ("1e+", 3, "unexpected end of input"),
            ("1ex", 2, "invalid number: expected a digit in the exponent"),
            ("0x10", 1, "unexpected character `x` where end of input after the value was expected"),
            ("Infinity", 0, "unexpected character `I` where a value was expected"),
            ("-Infinity", 1, "invalid number: expected a digit"),
        ]
        for (text, offset, message) in cases {
            #expect(fail(text) == JSONError(offset: offset, message: message), "\(text)")
        }
        #expect(JSONNumber(literal: "1.5")?.double == 1.5)
        #expect(JSONNumber(literal: " 1") == nil)
        #expect(JSONNumber(literal: "01") == nil)
    }

    @Test func invalidUTF8InsideAndOutsideStrings() {
        let prefix = Array(#"{"id":"ab"#.utf8)  // 9 bytes; the next byte is 9
        let bad: [[UInt8]] = [
            [0xFF], [0x80], [0xC0, 0xAF], [0xC1, 0x81], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80],
            [0xF0, 0x80, 0x80, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE4, 0xBF],
            [0xC3],
        ]
        for seq in bad {
            let e = fail(prefix + seq + Array(#"c"}"#.utf8))
            #expect(e == JSONError(offset: 9, message: "invalid UTF-8"), "\(seq)")
            let atEnd = fail(prefix + seq)
            #expect(atEnd == JSONError(offset: 9, message: "invalid UTF-8"), "\(seq)")
        }
        // Outside strings.
        #expect(fail([0x20, 0xFF]) == JSONError(offset: 1, message: "invalid UTF-8"))
        #expect(fail(Array("[1,".utf8) + [0xED, 0xA0, 0x80] + Array("]".utf8)) == JSONError(offset: 3, message: "invalid UTF-8"))
        #expect(fail(Array(#"{"a":1"#.utf8) + [0xC0, 0x80]) == JSONError(offset: 6, message: "invalid UTF-8"))
        #expect(fail(Array("保".utf8)) == JSONError(offset: 0, message: "unexpected character `保` where a value was expected"))
        // After a backslash.
        #expect(fail(Array(#""\"#.utf8) + [0xFF, 0x22]) == JSONError(offset: 2, message: "invalid UTF-8"))
        // Valid edges are accepted.
        let valid: [[UInt8]] = [[0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
                                [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]]
        for seq in valid {
            #expect(JSONReader.parse([0x22] + seq + [0x22]) == .success(.string(String(decoding: seq, as: UTF8.self))))
        }
    }

    @Test func byteOrderMarkIsNotAccepted() {
        #expect(fail([0xEF, 0xBB, 0xBF] + Array("{}".utf8))?.offset == 0)
    }

    @Test func unsafeBufferEntryPoint() {
        let bytes = Array(#"{"a":[true]}"#.utf8)
        let r = bytes.withUnsafeBytes { JSONReader.parse($0) }
        #expect(r == .success(.object(JSONObject([("a", .array([.bool(true)]))]))))
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(JSONReader.parse(empty) == .failure(JSONError(offset: 0, message: "unexpected end of input")))
    }

    @Test func hostileLinesNeverCrash() {
        var random = XorShift(seed: 0x9E3779B97F4A7C15)
        func next() -> UInt64 { random.next() }
        let alphabet = Array(#"{}[]:,"\u0-19.eE+-tfnrl ab"#.utf8) + [0xFF, 0xC3, 0xA9, 0xED, 0xA0, 0x80, 0x00, 0x0A]
        for _ in 0..<5_000 {
            let n = Int(next() % 40)
            var bytes: [UInt8] = []
            for _ in 0..<n { bytes.append(alphabet[Int(next() % UInt64(alphabet.count))]) }
            switch JSONReader.parse(bytes) {
            case .success(let v):
                // Anything accepted must survive a write/read round trip.
                var w = JSONWriter()
                w.value(v)
                #expect(JSONReader.parse(w.bytes) == .success(v))
            case .failure(let e):
                #expect(e.offset >= 0 && e.offset <= bytes.count)
                #expect(!e.message.contains("\n"))
            }
        }
    }
}

@Suite struct WriterTests {
    /// `append(raw:)` appends exactly the bytes given, at every size, onto arrays of every fill.
    @Test func rawAppendIsAPlainAppend() {
        let source = [UInt8]((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        for filled in [0, 1, 15, 64] {
            for n in [0, 1, 7, 8, 9, 31, 32, 33, 255, 300] {
                var a = [UInt8](repeating: 9, count: filled)
                source.withUnsafeBytes { a.append(raw: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                #expect(a == [UInt8](repeating: 9, count: filled) + source[0..<n], "filled \(filled), n \(n)")
            }
        }
    }

    /// `rewrite` copies exactly the bytes written at any earlier range,
    /// whether they are still staged, already moved out, or split between
    /// the two; it declines ranges it cannot copy and writes nothing then.
    @Test func rewriteRepeatsEveryEarlierRange() {
        // Writes of many sizes, so that ranges fall on every side of a move out of the stage.
        func filled() -> (JSONWriter, [UInt8]) {
            var w = JSONWriter(capacity: 0)
            var expected: [UInt8] = []
            for k in 0..<60 {
                let piece = [UInt8]((0..<(k * 7 % 41)).map { UInt8(truncatingIfNeeded: 33 + (k * 13 + $0) % 90) })
                piece.withUnsafeBytes { w.raw($0) }
                expected += piece
                w.raw(",")
                expected.append(UInt8(ascii: ","))
            }
            return (w, expected)
        }
        let (base, expected) = filled()
        var checked = 0
        for from in stride(from: 0, to: expected.count, by: 5) {
            for n in [0, 1, 7, 8, 9, 63, 64, 127, 128] where from + n <= expected.count {
                var w = base
                let copied = w.rewrite(from: from, count: n)
                let bytes = w.bytes
                #expect(copied && bytes == expected + expected[from..<(from + n)], "from \(from), count \(n)")
                checked += 1
            }
        }
        #expect(checked > 1_000)
        var w = base
        let declined = [(0, 129), (expected.count - 3, 4), (-1, 1)].map { w.rewrite(from: $0.0, count: $0.1) }
        let (count, bytes) = (w.count, w.bytes)
        #expect(declined == [false, false, false] && count == expected.count && bytes == expected)
    }

    @Test func escaping() {
        var w = JSONWriter()
        w.string("a\"b\\c\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}/é保😀")
        #expect(String(decoding: w.bytes, as: UTF8.self) == #""a\"b\\c\n\r\t\b\f\u0000\u001f"# + "\u{7f}/é保😀\"")
    }

    @Test func scalars() {
        var w = JSONWriter(capacity: 0)
        w.raw("[")
        w.int(0); w.raw(",")
        w.int(-42); w.raw(",")
        w.int(Int64.max); w.raw(",")
        w.int(Int64.min); w.raw(",")
        w.bool(true); w.raw(",")
        w.bool(false); w.raw(",")
        w.null(); w.raw(",")
        w.double(1.5); w.raw(",")
        w.double(3); w.raw(",")
        w.double(0.1); w.raw(",")
        w.double(1e-5); w.raw(",")
        w.double(1e16); w.raw(",")
        w.double(-0.0); w.raw(",")
        w.double(.nan); w.raw(",")
        w.double(.infinity); w.raw(",")
        w.double(-.infinity); w.raw(",")
        w.raw(text: String("x"))
        w.raw("]")
        #expect(String(decoding: w.bytes, as: UTF8.self)
            == "[0,-42,9223372036854775807,-9223372036854775808,true,false,null,1.5,3.0,0.1,1e-05,1e+16,-0.0,null,null,null,x]")
    }

    @Test func doublesRoundTrip() {
        for d in [0.1, 1.0 / 3.0, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 123456.789, -2.5e-7] {
            var w = JSONWriter()
            w.double(d)
            guard case .success(.number(let n)) = JSONReader.parse(w.bytes) else {
                Issue.record("not a number: \(d)")
                continue
            }
            #expect(n.double == d)
        }
    }

    @Test func numbersFromCode() {
        #expect(write(.number(JSONNumber(int: 7))) == "7")
        #expect(write(.number(JSONNumber(double: 2.5))) == "2.5")
        #expect(write(.number(JSONNumber(double: .nan))) == "null")
        #expect(write(.number(JSONNumber(text: "oops", int: 5, double: 5, isInteger: true))) == "5")
        #expect(write(.number(JSONNumber(text: "oops", int: nil, double: 0.25, isInteger: false))) == "0.25")
    }

    @Test func chineseRoundTrip() throws {
        let doc = #"{"label":{"zh":"保修期","en":"Warranty"},"备注":"延长\n两年"}"#
        let v = try #require(ok(doc))
        guard case .object(let o) = v, case .object(let label)? = o["label"] else {
            Issue.record("shape")
            return
        }
        #expect(label["zh"] == .string("保修期"))
        #expect(o["备注"] == .string("延长\n两年"))
        #expect(write(v) == doc)
    }

    @Test func nonContiguousStrings() {
        // A String built from a Substring with odd boundaries still writes.
        let s = "xx保修期yy".dropFirst(2).dropLast(2)
        var w = JSONWriter()
        w.string(String(s))
        #expect(w.bytes == Array("\"保修期\"".utf8))
    }
}

/// `parse(_:keep:)`: the same verdict on every input as the full parse, with
/// only the members named built.
@Suite struct KeepTests {
    static let keep = JSONKeep(paths: [["id"], ["unit", "installed_on"], ["request"], ["a", "b", "c"], ["a", "b"]])

    static func parseKept(_ bytes: [UInt8]) -> Result<JSONValue, JSONError> {
        bytes.withUnsafeBytes { JSONReader.parse($0, keep: keep) }
    }

    /// The full parse, pruned afterwards the way `keep` prunes while parsing.
    static func reference(_ v: JSONValue) -> JSONValue {
        guard case .object(let o) = v else { return v }
        func prune(_ o: JSONObject, _ level: Int) -> JSONObject {
            var entries: [(key: String, value: JSONValue)] = []
            for (k, v) in o.entries {
                let mode = keep.member(k, at: level)
                if mode == JSONKeep.skip { continue }
                if mode >= 0, case .object(let inner) = v {
                    entries.append((k, .object(prune(inner, mode))))
                } else {
                    entries.append((k, v))
                }
            }
            return JSONObject(entries)
        }
        return .object(prune(o, 0))
    }

    @Test func keepsOnlyTheNamedMembers() throws {
        let text = #"{"id":"t1","junk":{"x":[1,2,{"y":"z"}]},"unit":{"installed_on":"2025-01-01","serial":"S"},"#
            + #""request":{"kind":"repair","deep":{"q":1}},"a":{"b":{"c":1,"d":2},"e":3},"tail":[[],{}]}"#
        let v = try #require(try Self.parseKept(Array(text.utf8)).get())
        #expect(write(v) == #"{"id":"t1","unit":{"installed_on":"2025-01-01"},"request":{"kind":"repair","deep":{"q":1}},"a":{"b":{"c":1,"d":2}}}"#)
        // A kept path holding an array or a scalar instead of an object keeps it whole.
        let odd = try #require(try Self.parseKept(Array(#"{"unit":[1,{"k":2}],"a":"s"}"#.utf8)).get())
        #expect(write(odd) == #"{"unit":[1,{"k":2}],"a":"s"}"#)
        // Not an object at the top: kept whole.
        #expect(try Self.parseKept(Array("[1,2]".utf8)).get() == .array([.number(JSONNumber(int: 1)), .number(JSONNumber(int: 2))]))
    }

    @Test func errorsAndDuplicatesInSkippedMembersAreFoundAtTheSameOffsets() {
        let cases = [
            #"{"junk":{"k":1,"k":2}}"#, #"{"junk":[{"a":1,"b":2,"a":3}]}"#, #"{"junk":[1,2,}"#,
            #"{"unit":{"serial":1,"serial":2}}"#, #"{"id":1,"junk":"\ud800"}"#, #"{"junk":{"a":1 "b":2}}"#,
            #"{"junk":1,"junk":2}"#, #"{"a":{"e":1,"e":2}}"#,
            "{\"junk\":{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k39\":0}}",
        ]
        for text in cases {
            let full = JSONReader.parse(Array(text.utf8))
            let kept = Self.parseKept(Array(text.utf8))
            guard case .failure(let e) = full else {
                Issue.record("expected an error for \(text)")
                continue
            }
            #expect(kept == .failure(e), "\(text)")
        }
    }

    @Test func randomLinesGetTheSameVerdictAsTheFullParse() {
        var random = XorShift(seed: 0x2545F4914F6CDD1D)
        func next() -> UInt64 { random.next() }
        let keys = ["id", "unit", "installed_on", "a", "b", "c", "junk", "k", "\\u0061"]
        let scalars = ["1", "-0.5e3", "true", "null", "\"x\"", "\"\\u00e9\"", "[]", "{}"]
        func value(_ depth: Int) -> String {
            switch next() % 4 {
            case 0 where depth < 4:
                // Keys drawn from a small set: duplicates come up often.
                let members = (0..<Int(next() % 4)).map { _ in
                    "\"\(keys[Int(next() % UInt64(keys.count))])\":" + value(depth + 1)
                }
                return "{" + members.joined(separator: ",") + "}"
            case 1 where depth < 4:
                return "[" + (0..<Int(next() % 3)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            default:
                return scalars[Int(next() % UInt64(scalars.count))]
            }
        }
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = Array(("{\"id\":1,\"a\":" + value(0) + ",\"junk\":" + value(0) + "}").utf8)
            // Half the lines get one byte changed.
            if next() % 2 == 0 {
                bytes[Int(next() % UInt64(bytes.count))] = Array(#"{}[],:"\ 1ak"#.utf8)[Int(next() % 12)]
            }
            let text = String(decoding: bytes, as: UTF8.self)
            switch (JSONReader.parse(bytes), Self.parseKept(bytes)) {
            case (.success(let full), .success(let kept)):
                accepted += 1
                #expect(kept == Self.reference(full), "\(text)")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "\(text)")
            case (let a, let b):
                Issue.record("\(text): full \(a), kept \(b)")
            }
        }
        #expect(accepted > 5_000)
    }
}

/// The writer's escaping, eight bytes at a time where nothing needs an
/// escape, against the byte-by-byte rule, with a byte that needs one (or a
/// non-ASCII one, which needs none) at every offset of strings of every
/// length to 40.
@Suite struct WriterEscapeTests {
    static func reference(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for b in bytes {
            switch b {
            case 0x22: out += Array(#"\""#.utf8)
            case 0x5C: out += Array(#"\\"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0..<0x20: out += Array("\\u00".utf8) + [Array("0123456789abcdef".utf8)[Int(b >> 4)], Array("0123456789abcdef".utf8)[Int(b & 15)]]
            default: out.append(b)
            }
        }
        return out + [0x22]
    }

    @Test func everySpecialByteAtEveryOffset() {
        let specials: [UInt8] = [0x22, 0x5C, 0x0A, 0x00, 0x01, 0x1F, 0x20, 0x7F, 0x80, 0xE5, 0xFF]
        var checked = 0
        for length in 1...40 {
            for at in 0..<length {
                for special in specials {
                    var bytes = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
                    bytes[at] = special
                    var w = JSONWriter(capacity: 0)
                    bytes.withUnsafeBufferPointer { w.string(utf8: $0) }
                    #expect(w.bytes == Self.reference(bytes), "\(bytes)")
                    checked += 1
                }
            }
        }
        #expect(checked == 820 * 11)
    }
}
