import VerdictJSON

/// Appends compact JSON text to a byte buffer (no Foundation).
///
/// The writer does not track structure: callers write punctuation with
/// `raw(_:)` (`{`, `,`, `:` ...) and values with the typed methods.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 4096) {
        bytes = []
        bytes.reserveCapacity(max(0, capacity))
    }

    /// Unescaped text, typically punctuation.
    @inlinable
    public mutating func raw(_ s: StaticString) {
        // Most are one character (`,` `:` `{` `]`): one byte is appended far
        // more cheaply than a buffer.
        if s.utf8CodeUnitCount == 1 {
            bytes.append(s.utf8Start.pointee)
        } else {
            bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        }
    }

    /// Unescaped text, written as UTF-8 as is.
    /// Appends bytes that are already JSON text (e.g. a key encoded once, ahead of time).
    @inlinable
    public mutating func raw(bytes: [UInt8]) {
        self.bytes.append(contentsOf: bytes)
    }

    public mutating func raw(text s: String) {
        bytes.append(contentsOf: s.utf8)
    }

    /// A quoted string. Escapes `"`, `\` and control characters (`\n`, `\r`,
    /// `\t`, `\b`, `\f`, others as `\u00xx` with lowercase hex); everything
    /// else, including non-ASCII, is written as UTF-8 as is.
    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// A quoted string from UTF-8 bytes (assumed valid).
    public mutating func string(utf8: UnsafeBufferPointer<UInt8>) {
        appendEscaped(utf8)
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var k = 0
        let n = utf8.count
        while k < n {
            let b = utf8[k]
            if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
                k += 1
                continue
            }
            if runStart < k {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<k]))
            }
            bytes.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            default:
                bytes.append(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(Self.hexDigit(b >> 4))
                bytes.append(Self.hexDigit(b & 0xF))
            }
            k += 1
            runStart = k
        }
        if runStart < n {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ (v &- 10)
    }

    public mutating func int(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = v.magnitude
        if magnitude == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        // Most significant digit first; divisor * 10 <= magnitude <= 2^63, so
        // nothing overflows.
        var divisor: UInt64 = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }

    public mutating func bool(_ v: Bool) {
        raw(v ? "true" : "false")
    }

    public mutating func null() {
        raw("null")
    }

    /// Shortest representation that reads back as the same double (Swift's
    /// `description`, e.g. `1.5`, `3.0`, `1e-05`, `1e+16`); NaN and ±infinity
    /// are written as `null`.
    public mutating func double(_ v: Double) {
        guard v.isFinite else {
            null()
            return
        }
        bytes.append(contentsOf: v.description.utf8)
    }

    /// A number: its literal as written when that is valid JSON (so parsed
    /// numbers round-trip exactly, even `1e400`), else its int, else its
    /// double (non-finite → `null`).
    public mutating func number(_ n: JSONNumber) {
        if JSONNumber.looksLikeLiteral(n.text) {
            raw(text: n.text)
        } else if let i = n.int {
            int(i)
        } else {
            double(n.double)
        }
    }

    /// Any value, compactly, object members in their stored order.
    /// Iterative, so deep values cannot exhaust the stack.
    public mutating func value(_ v: JSONValue) {
        enum Work {
            case value(JSONValue)
            case punctuation(StaticString)
            case key(String)
        }
        var work: [Work] = [.value(v)]
        while let item = work.popLast() {
            switch item {
            case .punctuation(let p):
                raw(p)
            case .key(let k):
                string(k)
                bytes.append(UInt8(ascii: ":"))
            case .value(let v):
                switch v {
                case .null: null()
                case .bool(let b): bool(b)
                case .number(let n): number(n)
                case .string(let s): string(s)
                case .array(let items):
                    bytes.append(UInt8(ascii: "["))
                    work.append(.punctuation("]"))
                    for (k, item) in items.enumerated().reversed() {
                        work.append(.value(item))
                        if k > 0 { work.append(.punctuation(",")) }
                    }
                case .object(let object):
                    bytes.append(UInt8(ascii: "{"))
                    work.append(.punctuation("}"))
                    for (k, entry) in object.entries.enumerated().reversed() {
                        work.append(.value(entry.value))
                        work.append(.key(entry.key))
                        if k > 0 { work.append(.punctuation(",")) }
                    }
                }
            }
        }
    }
}

extension JSONNumber {
    /// Whether `text` is a valid RFC 8259 number literal (cheap check used
    /// before writing a stored literal verbatim).
    static func looksLikeLiteral(_ text: String) -> Bool {
        var it = text.utf8.makeIterator()
        var state = 0  // 0 start, 1 after '-', 2 zero, 3 int digits, 4 after '.', 5 frac, 6 after e, 7 after sign, 8 exp
        while let b = it.next() {
            let digit = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
            switch state {
            case 0:
                if b == UInt8(ascii: "-") { state = 1 } else if b == UInt8(ascii: "0") { state = 2 } else if digit { state = 3 } else { return false }
            case 1:
                if b == UInt8(ascii: "0") { state = 2 } else if digit { state = 3 } else { return false }
            case 2, 3:
                if state == 3, digit { continue }
                if b == UInt8(ascii: ".") { state = 4 } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { state = 6 } else { return false }
            case 4, 5:
                if digit { state = 5; continue }
                if state == 5, b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { state = 6 } else { return false }
            case 6:
                if b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { state = 7 } else if digit { state = 8 } else { return false }
            case 7, 8:
                if digit { state = 8 } else { return false }
            default:
                return false
            }
        }
        return state == 2 || state == 3 || state == 5 || state == 8
    }
}
