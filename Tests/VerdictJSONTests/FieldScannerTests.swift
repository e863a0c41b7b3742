import Testing

@testable import VerdictJSON

/// The word-at-a-time skip over plain string bytes (`PlainBytes`, the
/// scanner's and the writer's) against the byte-at-a-time rule it replaces:
/// it stops at the first byte that needs a look (a quote, a backslash, a
/// control character, for the scanner a byte of 0x80 or more), or within
/// the last eight bytes, and never passes such a byte.
@Suite struct FieldScannerTests {
    static func plain(_ b: UInt8, stopAtNonASCII: Bool) -> Bool {
        b >= 0x20 && (b < 0x80 || !stopAtNonASCII) && b != 0x22 && b != 0x5C
    }

    /// The scanner stops at non-ASCII bytes (it validates them), the writer does not.
    @Test(arguments: [true, false])
    func skipPlainStopsAtTheFirstSpecialByteWhereverItIs(stopAtNonASCII: Bool) {
        let special: [UInt8] = [0x22, 0x5C, 0x00, 0x01, 0x1F, 0x80, 0xC3, 0xE5, 0xFF]
        let plain: [UInt8] = [0x20, 0x21, 0x23, 0x41, 0x5B, 0x5D, 0x7E, 0x7F, 0x61]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var checked = 0
        for length in 0..<40 {
            for _ in 0..<400 {
                // Mostly plain bytes, a special one now and then (often none at all).
                let bytes = (0..<length).map { _ -> UInt8 in
                    let r = next()
                    return r % 9 == 0 ? special[Int(r / 9 % UInt64(special.count))] : plain[Int(r / 9 % UInt64(plain.count))]
                }
                for from in 0...length {
                    let first = bytes[from...].firstIndex { !Self.plain($0, stopAtNonASCII: stopAtNonASCII) } ?? length
                    var i = from
                    bytes.withUnsafeBytes { PlainBytes.skip($0, &i, stopAtNonASCII: stopAtNonASCII) }
                    #expect(i >= from && i <= first, "\(bytes) from \(from): stopped at \(i), first special at \(first)")
                    #expect(i == first || i + 8 > length, "\(bytes) from \(from): stopped at \(i) short of \(first)")
                    checked += 1
                }
            }
        }
        #expect(checked > 100_000)
    }

    @Test func sameComparesEveryByte() {
        let a: [UInt8] = Array("installed_on_the_first_day".utf8)
        for length in 0...a.count {
            for k in 0..<length {
                var b = a
                b[k] ^= 0x01
                let equal = a.withUnsafeBytes { x in b.withUnsafeBytes { y in FieldScanner.same(x.baseAddress!, y.baseAddress!, length) } }
                #expect(!equal, "a change at \(k) of \(length) bytes went unseen")
            }
            let equal = a.withUnsafeBytes { x in a.withUnsafeBytes { y in FieldScanner.same(x.baseAddress!, y.baseAddress!, length) } }
            #expect(equal)
        }
    }
}

/// The scanner's UTF-8 check (three-byte characters in one load) against
/// the strict reader's: every lead byte with every kind of following byte,
/// in a key and in a value, at the end of the line and before more text.
@Suite struct FieldScannerUTF8Tests {
    @Test func theScannerAcceptsExactlyTheUTF8TheReaderAccepts() {
        let schema = FieldScanner.Schema(paths: [["id"], ["notes"]])
        var scanner = FieldScanner(schema: schema)
        let follow: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xE4]
        var checked = 0
        for lead in UInt8(0x80)...UInt8(0xFF) {
            for b1 in follow {
                for b2 in follow {
                    for b3 in [UInt8(0x80), 0xBF, 0x41] {
                        let char = [lead, b1, b2, b3]
                        let lines: [[UInt8]] = [
                            Array(#"{"id":"a","notes":""#.utf8) + char + Array(#""}"#.utf8),
                            Array(#"{"id":"a","notes":"客"#.utf8) + char + Array(#"户 more text"}"#.utf8),
                            Array(#"{"id":"a",""#.utf8) + char + Array(#"":1}"#.utf8),
                        ]
                        for line in lines {
                            let strict: Bool
                            if case .success = JSONReader.parse(line) { strict = true } else { strict = false }
                            let fast = line.withUnsafeBytes { scanner.scan($0) }
                            // The scanner may decline what the reader accepts (it then reads slowly), never the reverse.
                            #expect(!fast || strict, "\(line.map { String($0, radix: 16) })")
                            // A character in a plain string: both decide alike.
                            if !char.contains(0x22), !char.contains(0x5C), !char.contains(where: { $0 < 0x20 }) {
                                #expect(fast == strict, "\(line.map { String($0, radix: 16) })")
                            }
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 100_000)
    }
}
