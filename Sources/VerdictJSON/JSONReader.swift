/// A strict, bounded JSON (RFC 8259) reader for untrusted input.
///
/// - The whole buffer must be exactly one JSON value, optionally surrounded
///   by space, tab, CR and LF. A byte order mark is not accepted.
/// - UTF-8 is validated strictly everywhere (overlong forms, UTF-16
///   surrogates encoded in UTF-8, code points above U+10FFFF and truncated
///   sequences are errors).
/// - `\u` escapes combine surrogate pairs; a lone surrogate is an error.
/// - Nesting deeper than `maxDepth` arrays/objects is an error; the parser is
///   iterative, so no input can exhaust the stack.
/// - Duplicate keys in one object are an error.
public enum JSONReader {
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) -> Result<JSONValue, JSONError> {
        parse(bytes, keep: nil, maxDepth: maxDepth)
    }

    /// Parses and validates the whole buffer exactly as `parse` does (same
    /// errors at the same offsets, duplicates found everywhere) but builds
    /// only the members `keep` names: everything else is checked and
    /// dropped, so a ticket's memory follows the fields a policy reads, not
    /// the line's size.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, keep: JSONKeep?, maxDepth: Int = 64
    ) -> Result<JSONValue, JSONError> {
        // Key offsets are kept in 32 bits (`KeyTable`): beyond that, build everything.
        var parser = Parser(bytes: bytes, maxDepth: maxDepth, keep: bytes.count < Int(UInt32.max) ? keep : nil)
        do {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) -> Result<JSONValue, JSONError> {
        bytes.withUnsafeBytes { parse($0, maxDepth: maxDepth) }
    }

    /// Parses a string's UTF-8.
    public static func parse(_ text: String, maxDepth: Int = 64) -> Result<JSONValue, JSONError> {
        parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

/// The members of a JSON object to build when parsing (the rest is only
/// validated): paths of keys from the top-level object. A path that ends
/// keeps its whole value; one that continues keeps, of an object there, only
/// the members named further.
public struct JSONKeep: Sendable {
    /// Per object level, key → the level its value's members are chosen by,
    /// or `JSONKeep.all` to keep the whole value. Level 0 is the top.
    let levels: [[String: Int]]
    static let all = -1
    static let skip = -2

    public init(paths: [[String]]) {
        var levels: [[String: Int]] = [[:]]
        for path in paths where !path.isEmpty {
            var level = 0
            for (depth, key) in path.enumerated() {
                let existing = levels[level][key]
                // Kept whole already, by this path or another: nothing to choose under it.
                if existing == Self.all { break }
                if depth == path.count - 1 {
                    levels[level][key] = Self.all
                    break
                }
                if let child = existing {
                    level = child
                } else {
                    levels.append([:])
                    levels[level][key] = levels.count - 1
                    level = levels.count - 1
                }
            }
        }
        self.levels = levels
    }

    /// How to build the value of `key` in an object read at `level`.
    func member(_ key: String, at level: Int) -> Int {
        level < 0 ? level : (levels[level][key] ?? Self.skip)
    }
}

private enum Byte {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let lowerE = UInt8(ascii: "e")
    static let upperE = UInt8(ascii: "E")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
}

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    let keep: JSONKeep?
    var i = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int, keep: JSONKeep? = nil) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.keep = keep
    }

    /// How the next value is built: a `JSONKeep` level (an object keeps the
    /// members it names), `JSONKeep.all` or `JSONKeep.skip` (validated only).
    func memberMode(_ frame: Frame) -> Int {
        guard frame.isObject, let keep else { return frame.mode }
        return keep.member(frame.key, at: frame.mode)
    }

    /// An open container while parsing iteratively.
    struct Frame {
        var isObject: Bool
        /// How this container is built (see `memberMode`).
        var mode = JSONKeep.all
        var values: [JSONValue] = []
        var entries: [(key: String, value: JSONValue)] = []
        var key: String = ""
        /// Keys seen so far, built once the object outgrows a linear scan.
        var keySet: Set<String>?
        /// The same for an object whose members are not all kept: key
        /// offsets only, so a huge skipped object costs 8 bytes a key.
        var keyTable: KeyTable?
    }

    // MARK: Document

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        var stack: [Frame] = []
        var value: JSONValue
        // How the value about to be read is built, and how the last one was.
        var pending = keep == nil ? JSONKeep.all : 0
        var built = JSONKeep.all
        parseValue: while true {
            built = pending
            skipWhitespace()
            guard i < bytes.count else { throw JSONError(offset: i, message: "unexpected end of input") }
            let b = bytes[i]
            switch b {
            case Byte.openBracket, Byte.openBrace:
                guard stack.count < maxDepth else {
                    throw JSONError(offset: i, message: "nesting deeper than \(maxDepth) levels")
                }
                let isObject = b == Byte.openBrace
                // Only objects choose members; an array is kept or skipped whole.
                let mode = pending >= 0 && !isObject ? JSONKeep.all : pending
                i += 1
                skipWhitespace()
                if i < bytes.count, bytes[i] == (isObject ? Byte.closeBrace : Byte.closeBracket) {
                    i += 1
                    value = isObject ? .object(JSONObject()) : .array([])
                } else {
                    var frame = Frame(isObject: isObject, mode: mode)
                    if isObject {
                        // Members not kept leave no entry: their keys are checked by set.
                        if mode != JSONKeep.all { frame.keyTable = KeyTable() }
                        frame.key = try parseKey(in: &frame)
                    }
                    pending = memberMode(frame)
                    stack.append(frame)
                    continue parseValue
                }
            case Byte.quote:
                value = .string(try parseString())
            case Byte.minus, Byte.zero...Byte.nine:
                value = .number(try parseNumber())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            default:
                throw unexpected(context: "a value")
            }

            // Attach the finished value to open containers, closing as many as
            // the input closes.
            while true {
                guard var frame = stack.popLast() else {
                    skipWhitespace()
                    guard i == bytes.count else {
                        throw unexpected(context: "end of input after the value")
                    }
                    return value
                }
                skipWhitespace()
                let keepValue = built != JSONKeep.skip
                if frame.isObject {
                    if keepValue { frame.entries.append((key: frame.key, value: value)) }
                    guard i < bytes.count else { throw JSONError(offset: i, message: "unexpected end of input") }
                    if bytes[i] == Byte.comma {
                        i += 1
                        frame.key = try parseKey(in: &frame)
                        pending = memberMode(frame)
                        stack.append(frame)
                        continue parseValue
                    }
                    guard bytes[i] == Byte.closeBrace else {
                        throw unexpectedAt("expected `,` or `}` after object member")
                    }
                    i += 1
                    value = .object(JSONObject(frame.entries))
                } else {
                    if keepValue { frame.values.append(value) }
                    guard i < bytes.count else { throw JSONError(offset: i, message: "unexpected end of input") }
                    if bytes[i] == Byte.comma {
                        i += 1
                        pending = frame.mode
                        stack.append(frame)
                        continue parseValue
                    }
                    guard bytes[i] == Byte.closeBracket else {
                        throw unexpectedAt("expected `,` or `]` after array element")
                    }
                    i += 1
                    value = .array(frame.values)
                }
                built = frame.mode
            }
        }
    }

    /// Reads `"key" :` and checks the key is new in this object.
    mutating func parseKey(in frame: inout Frame) throws(JSONError) -> String {
        skipWhitespace()
        guard i < bytes.count else { throw JSONError(offset: i, message: "unexpected end of input") }
        guard bytes[i] == Byte.quote else { throw unexpectedAt("expected a string key") }
        let keyOffset = i
        let key = try parseString()
        let duplicate: Bool
        if frame.keyTable != nil {
            duplicate = frame.keyTable?.insert(key, at: keyOffset, of: bytes) == false
        } else if let inserted = frame.keySet?.insert(key).inserted {
            // Mutated in place through the optional: binding the set to a
            // local first would copy it on every key (quadratic in debug builds).
            duplicate = !inserted
        } else {
            duplicate = frame.entries.contains { $0.key == key }
            if !duplicate, frame.entries.count >= 8 {
                var set = Set(frame.entries.map(\.key))
                set.insert(key)
                frame.keySet = set
            }
        }
        if duplicate {
            throw JSONError(offset: keyOffset, message: "duplicate key `\(Self.describe(key))`")
        }
        skipWhitespace()
        guard i < bytes.count else { throw JSONError(offset: i, message: "unexpected end of input") }
        guard bytes[i] == Byte.colon else { throw unexpectedAt("expected `:` after object key") }
        i += 1
        return key
    }

    /// A key made safe for a one-line message.
    static func describe(_ key: String) -> String {
        var out = ""
        var n = 0
        for s in key.unicodeScalars {
            if n == 64 { out += "…"; break }
            if s.value < 0x20 || s.value == 0x7F || s == "`" {
                out += "\\u{" + String(s.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(s)
            }
            n += 1
        }
        return out
    }

    // MARK: Errors

    /// An error for the byte at `i`: end of input, invalid UTF-8, or the
    /// `message` given.
    func unexpectedAt(_ message: String) -> JSONError {
        guard i < bytes.count else { return JSONError(offset: i, message: "unexpected end of input") }
        if bytes[i] >= 0x80, utf8SequenceLength(at: i) == nil {
            return JSONError(offset: i, message: "invalid UTF-8")
        }
        return JSONError(offset: i, message: message)
    }

    func unexpected(context: String) -> JSONError {
        guard i < bytes.count else { return JSONError(offset: i, message: "unexpected end of input") }
        let b = bytes[i]
        if b >= 0x80 {
            guard let n = utf8SequenceLength(at: i) else {
                return JSONError(offset: i, message: "invalid UTF-8")
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), as: UTF8.self)
            // Invisible characters (a byte order mark mid-stream, a zero-width
            // space) are named by code point, so the message shows something.
            if let scalar = text.unicodeScalars.first, !Self.isVisible(scalar) {
                let code = String(scalar.value, radix: 16, uppercase: true)
                let padded = String(repeating: "0", count: max(0, 4 - code.count)) + code
                return JSONError(offset: i, message: "unexpected character U+\(padded) where \(context) was expected")
            }
            return JSONError(offset: i, message: "unexpected character `\(text)` where \(context) was expected")
        }
        if b < 0x20 || b == 0x7F {
            return JSONError(offset: i, message: "unexpected control character 0x\(Self.hex2(b)) where \(context) was expected")
        }
        let c = Character(Unicode.Scalar(b))
        return JSONError(offset: i, message: "unexpected character `\(c)` where \(context) was expected")
    }

    static func isVisible(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .format, .control, .spaceSeparator, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse,
            .surrogate, .nonspacingMark, .enclosingMark:
            return false
        default:
            return true
        }
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef".unicodeScalars)
        var s = ""
        s.unicodeScalars.append(digits[Int(b >> 4)])
        s.unicodeScalars.append(digits[Int(b & 0xF)])
        return s
    }

    // MARK: Lexing

    mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case Byte.space, Byte.tab, Byte.lf, Byte.cr: i += 1
            default: return
            }
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONError) {
        let start = i
        let n = word.utf8CodeUnitCount
        var k = 0
        while k < n {
            guard start + k < bytes.count else {
                throw JSONError(offset: start + k, message: "unexpected end of input")
            }
            guard bytes[start + k] == word.utf8Start[k] else {
                throw JSONError(offset: start, message: "invalid literal; expected `\(word)`")
            }
            k += 1
        }
        i = start + n
    }

    /// Length of the valid UTF-8 sequence starting at `p`, or nil (strict:
    /// no overlongs, no surrogates, nothing above U+10FFFF, no truncation).
    func utf8SequenceLength(at p: Int) -> Int? {
        let n = bytes.count
        let b0 = bytes[p]
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            p + k < n && bytes[p + k] >= lo && bytes[p + k] <= hi
        }
        switch b0 {
        case 0x00...0x7F:
            return 1
        case 0xC2...0xDF:
            return cont(1) ? 2 : nil
        case 0xE0:
            return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(1) && cont(2) ? 3 : nil
        case 0xED:
            return cont(1, 0x80, 0x9F) && cont(2) ? 3 : nil
        case 0xF0:
            return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : nil
        case 0xF1...0xF3:
            return cont(1) && cont(2) && cont(3) ? 4 : nil
        case 0xF4:
            return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : nil
        default:
            return nil
        }
    }

    /// Parses a string starting at the opening quote. Strings without escapes
    /// are decoded straight from the input bytes.
    mutating func parseString() throws(JSONError) -> String {
        i += 1  // opening quote
        let start = i
        // Only used once an escape is seen; until then the string is a slice
        // of the input.
        var buffer: [UInt8] = []
        var escaped = false
        var runStart = start
        while true {
            guard i < bytes.count else { throw JSONError(offset: i, message: "unexpected end of input") }
            let b = bytes[i]
            if b == Byte.quote {
                let end = i
                i += 1
                if escaped {
                    buffer.append(raw: UnsafeRawBufferPointer(rebasing: bytes[runStart..<end]))
                    return String(decoding: buffer, as: UTF8.self)
                }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            if b == Byte.backslash {
                if !escaped {
                    escaped = true
                    buffer.reserveCapacity(i - start + 16)
                }
                buffer.append(raw: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
                try parseEscape(into: &buffer)
                runStart = i
                continue
            }
            if b < 0x20 {
                throw JSONError(offset: i, message: "control character in string")
            }
            if b < 0x80 {
                i += 1
                continue
            }
            guard let n = utf8SequenceLength(at: i) else {
                throw JSONError(offset: i, message: "invalid UTF-8")
            }
            i += n
        }
    }

    /// Parses the escape at `i` (a backslash) and appends its UTF-8.
    mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
        let start = i
        guard i + 1 < bytes.count else { throw JSONError(offset: i + 1, message: "unexpected end of input") }
        let e = bytes[i + 1]
        switch e {
        case Byte.quote, Byte.backslash, Byte.slash:
            out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            let first = try hex4(at: i + 2, escapeStart: start)
            i += 6
            var scalar = first
            if first >= 0xD800, first <= 0xDBFF {
                // Needs a following \uDC00-\uDFFF.
                if i + 1 < bytes.count, bytes[i] == Byte.backslash, bytes[i + 1] == UInt8(ascii: "u"),
                   let second = try? hex4(at: i + 2, escapeStart: i), second >= 0xDC00, second <= 0xDFFF {
                    scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    i += 6
                } else {
                    throw JSONError(offset: start, message: "lone surrogate `\(escapeText(start))`")
                }
            } else if first >= 0xDC00, first <= 0xDFFF {
                throw JSONError(offset: start, message: "lone surrogate `\(escapeText(start))`")
            }
            Self.appendUTF8(scalar, to: &out)
            return
        default:
            if e >= 0x21, e < 0x7F {
                throw JSONError(offset: start, message: "invalid escape `\\\(Character(Unicode.Scalar(e)))`")
            }
            if e >= 0x80, utf8SequenceLength(at: i + 1) == nil {
                throw JSONError(offset: i + 1, message: "invalid UTF-8")
            }
            throw JSONError(offset: start, message: "invalid escape")
        }
        i += 2
    }

    /// The six bytes of a `\uXXXX` escape as written (for messages).
    func escapeText(_ start: Int) -> String {
        let end = min(start + 6, bytes.count)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    func hex4(at p: Int, escapeStart: Int) throws(JSONError) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 {
            guard p + k < bytes.count else { throw JSONError(offset: p + k, message: "unexpected end of input") }
            let b = bytes[p + k]
            let d: UInt32
            switch b {
            case Byte.zero...Byte.nine: d = UInt32(b - Byte.zero)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default:
                throw JSONError(offset: escapeStart, message: "invalid escape `\\u`: expected four hex digits")
            }
            v = v << 4 | d
        }
        return v
    }

    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(truncatingIfNeeded: v))
        case 0x80..<0x800:
            out.append(UInt8(truncatingIfNeeded: 0xC0 | (v >> 6)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(truncatingIfNeeded: 0xE0 | (v >> 12)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(truncatingIfNeeded: 0xF0 | (v >> 18)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        }
    }

    // MARK: Numbers

    func isDigit(_ p: Int) -> Bool {
        p < bytes.count && bytes[p] >= Byte.zero && bytes[p] <= Byte.nine
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = i
        var negative = false
        if bytes[i] == Byte.minus {
            negative = true
            i += 1
        }
        guard isDigit(i) else {
            if i >= bytes.count { throw JSONError(offset: i, message: "unexpected end of input") }
            throw JSONError(offset: i, message: "invalid number: expected a digit")
        }
        let intStart = i
        if bytes[i] == Byte.zero {
            i += 1
            if isDigit(i) { throw JSONError(offset: intStart, message: "invalid number: leading zeros are not allowed") }
        } else {
            while isDigit(i) { i += 1 }
        }
        let intEnd = i
        var isInteger = true
        if i < bytes.count, bytes[i] == Byte.dot {
            isInteger = false
            i += 1
            guard isDigit(i) else {
                if i >= bytes.count { throw JSONError(offset: i, message: "unexpected end of input") }
                throw JSONError(offset: i, message: "invalid number: expected a digit after `.`")
            }
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == Byte.lowerE || bytes[i] == Byte.upperE {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == Byte.plus || bytes[i] == Byte.minus { i += 1 }
            guard isDigit(i) else {
                if i >= bytes.count { throw JSONError(offset: i, message: "unexpected end of input") }
                throw JSONError(offset: i, message: "invalid number: expected a digit in the exponent")
            }
            while isDigit(i) { i += 1 }
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
        let text = String(decoding: slice, as: UTF8.self)
        var int: Int64? = nil
        if isInteger {
            var v: Int64 = 0
            var ok = true
            for p in intStart..<intEnd {
                let d = Int64(bytes[p] - Byte.zero)
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (r, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                if o1 || o2 { ok = false; break }
                v = r
            }
            if ok { int = v }
        }
        let double: Double
        if let int, int.magnitude <= 1 << 53 {
            double = negative && int == 0 ? -0.0 : Double(int)
        } else if let d = Double(text) {
            double = d
        } else {
            // Only reachable if the platform parser refuses out-of-range
            // input: decide by the exponent's sign.
            let hasNegativeExponent = text.contains("e-") || text.contains("E-")
            double = hasNegativeExponent ? (negative ? -0.0 : 0.0) : (negative ? -.infinity : .infinity)
        }
        return JSONNumber(text: text, int: int, double: double, isInteger: isInteger)
    }
}

/// The keys of one object, for the duplicate check, as the offsets of their
/// opening quotes in the input: a table of `(hash, offset)` pairs with open
/// addressing. Equality is `String`'s (as `Set<String>` has it), so a key
/// is read again from the input only when its hash matches.
struct KeyTable {
    private var slots: [UInt64] = Array(repeating: 0, count: 16)
    private var count = 0

    /// False when the object already has a key equal to `key`.
    mutating func insert(_ key: String, at offset: Int, of bytes: UnsafeRawBufferPointer) -> Bool {
        let hash = UInt32(truncatingIfNeeded: key.hashValue)
        var i = Int(hash) & (slots.count - 1)
        while slots[i] != 0 {
            let slot = slots[i]
            if UInt32(truncatingIfNeeded: slot >> 32) == hash, Self.key(at: Int(slot & 0xFFFF_FFFF) - 1, bytes) == key {
                return false
            }
            i = (i + 1) & (slots.count - 1)
        }
        slots[i] = UInt64(hash) << 32 | UInt64(offset + 1)
        count += 1
        if count * 4 >= slots.count * 3 { grow() }
        return true
    }

    private mutating func grow() {
        var bigger = [UInt64](repeating: 0, count: slots.count * 2)
        for slot in slots where slot != 0 {
            var i = Int(UInt32(truncatingIfNeeded: slot >> 32)) & (bigger.count - 1)
            while bigger[i] != 0 { i = (i + 1) & (bigger.count - 1) }
            bigger[i] = slot
        }
        slots = bigger
    }

    /// The key whose opening quote is at `offset` (read before, so valid).
    private static func key(at offset: Int, _ bytes: UnsafeRawBufferPointer) -> String? {
        var parser = Parser(bytes: bytes, maxDepth: 0)
        parser.i = offset
        return try? parser.parseString()
    }
}
