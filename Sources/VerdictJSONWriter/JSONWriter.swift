import VerdictJSON

/// Appends compact JSON text to a byte buffer (no Foundation).
///
/// The writer does not track structure: callers write punctuation with
/// `raw(_:)` (`{`, `,`, `:` ...) and values with the typed methods.
public struct JSONWriter: Sendable {
    /// The text written so far. Reading or changing it first moves the
    /// staged bytes into it.
    public var bytes: [UInt8] {
        mutating get {
            commit()
            return storage
        }
        set {
            storage = newValue
            staged = 0
        }
        _modify {
            commit()
            yield &storage
        }
    }

    @usableFromInline var storage: [UInt8]
    /// Small writes gather here and go into `storage` a block at a time: an
    /// append to an array costs a uniqueness check and a call whatever its
    /// size, and an answer is mostly writes of a few bytes (an explained
    /// one, hundreds of them).
    @usableFromInline var stage: Stage = Stage()
    @usableFromInline var staged = 0
    @usableFromInline static let stageBytes = MemoryLayout<Stage>.size

    /// 256 bytes.
    @usableFromInline struct Stage: Sendable {
        var a = (0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64)
        var b = (0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64)
        var c = (0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64)
        var d = (0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64)
        @usableFromInline init() {}
    }

    public init(capacity: Int = 4096) {
        storage = []
        storage.reserveCapacity(max(0, capacity))
    }

    /// Moves the staged bytes into `storage`.
    @usableFromInline
    mutating func commit() {
        guard staged > 0 else { return }
        let n = staged
        staged = 0
        withUnsafeBytes(of: &stage) { storage.append(raw: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    @inlinable @inline(__always)
    mutating func put(_ b: UInt8) {
        if staged == Self.stageBytes { commit() }
        let at = staged
        withUnsafeMutableBytes(of: &stage) { $0[at] = b }
        staged = at + 1
    }

    @inlinable @inline(__always)
    mutating func put(_ p: UnsafeRawBufferPointer) {
        let n = p.count
        if n > Self.stageBytes - staged {
            commit()
            if n > Self.stageBytes / 2 {
                storage.append(raw: p)
                return
            }
        }
        let at = staged
        withUnsafeMutableBytes(of: &stage) { stage in
            guard let to = stage.baseAddress, let from = p.baseAddress else { return }
            (to + at).copyMemory(from: from, byteCount: n)
        }
        staged = at + n
    }

    /// The number of bytes written so far: a position for `rewrite(from:count:)`.
    @inlinable
    public var count: Int { storage.count + staged }

    /// Writes again the `n` bytes written from position `from`, an earlier
    /// part of this output that is still held (`bytes` not replaced or
    /// emptied since): a value that appears several times in one answer is
    /// encoded once. False when they are too long to copy through the stage: the
    /// caller writes them anew.
    public mutating func rewrite(from: Int, count n: Int) -> Bool {
        guard n <= Self.stageBytes / 2, from >= 0, n >= 0, from + n <= count else { return false }
        if n > Self.stageBytes - staged { commit() }
        let base = storage.count
        let at = staged
        storage.withUnsafeBytes { held in
            withUnsafeMutableBytes(of: &stage) { stage in
                guard let to = stage.baseAddress else { return }
                var source = from
                var done = 0
                if source < base, let start = held.baseAddress {
                    // The part already moved out of the stage.
                    let k = min(n, base - source)
                    (to + at).copyMemory(from: start + source, byteCount: k)
                    source += k
                    done = k
                }
                if done < n {
                    // The part still staged, before `at`: no overlap.
                    (to + at + done).copyMemory(from: to + (source - base), byteCount: n - done)
                }
            }
        }
        staged = at + n
        return true
    }

    /// One byte of JSON text as it is.
    @inlinable
    public mutating func raw(byte: UInt8) {
        put(byte)
    }

    /// Unescaped text, typically punctuation.
    @inlinable @inline(__always)
    public mutating func raw(_ s: StaticString) {
        if s.utf8CodeUnitCount == 1 {
            put(s.utf8Start.pointee)
        } else {
            put(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        }
    }

    /// Bytes that are already JSON text, from wherever they are kept.
    @inlinable @inline(__always)
    public mutating func raw(_ p: UnsafeRawBufferPointer) {
        put(p)
    }

    /// Unescaped text, written as UTF-8 as is.
    /// Appends bytes that are already JSON text (e.g. a key encoded once, ahead of time).
    @inlinable
    public mutating func raw(bytes: [UInt8]) {
        bytes.withUnsafeBytes { put($0) }
    }

    public mutating func raw(text s: String) {
        var s = s
        s.withUTF8 { put(UnsafeRawBufferPointer($0)) }
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
        put(UInt8(ascii: "\""))
        var runStart = 0
        var k = 0
        let n = utf8.count
        while k < n {
            PlainBytes.skip(UnsafeRawBufferPointer(utf8), &k, stopAtNonASCII: false)
            guard k < n else { break }
            let b = utf8[k]
            if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
                k += 1
                continue
            }
            if runStart < k {
                put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[runStart..<k])))
            }
            put(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""): put(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): put(UInt8(ascii: "\\"))
            case 0x0A: put(UInt8(ascii: "n"))
            case 0x0D: put(UInt8(ascii: "r"))
            case 0x09: put(UInt8(ascii: "t"))
            case 0x08: put(UInt8(ascii: "b"))
            case 0x0C: put(UInt8(ascii: "f"))
            default:
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "0"))
                put(Self.hexDigit(b >> 4))
                put(Self.hexDigit(b & 0xF))
            }
            k += 1
            runStart = k
        }
        if runStart < n {
            put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[runStart..<n])))
        }
        put(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ (v &- 10)
    }

    public mutating func int(_ v: Int64) {
        if v < 0 { put(UInt8(ascii: "-")) }
        var magnitude = v.magnitude
        if magnitude == 0 {
            put(UInt8(ascii: "0"))
            return
        }
        // Most significant digit first; divisor * 10 <= magnitude <= 2^63, so
        // nothing overflows.
        var divisor: UInt64 = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / divisor))
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
        raw(text: v.description)
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
                put(UInt8(ascii: ":"))
            case .value(let v):
                switch v {
                case .null: null()
                case .bool(let b): bool(b)
                case .number(let n): number(n)
                case .string(let s): string(s)
                case .array(let items):
                    put(UInt8(ascii: "["))
                    work.append(.punctuation("]"))
                    for (k, item) in items.enumerated().reversed() {
                        work.append(.value(item))
                        if k > 0 { work.append(.punctuation(",")) }
                    }
                case .object(let object):
                    put(UInt8(ascii: "{"))
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
