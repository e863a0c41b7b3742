import CEL
import VerdictJSON
import VerdictJSONWriter

/// CEL values as JSON: dates as "YYYY-MM-DD", timestamps as RFC 3339 in their
/// own offset, lists as arrays, maps as objects.
public enum ValueJSON {
    public static func write(_ v: CELValue, into w: inout JSONWriter) {
        switch v {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let i): w.int(i)
        case .double(let d): w.double(d)
        case .string(let s): w.string(s)
        // Dates and timestamps have nothing to escape: printed straight into the buffer.
        case .date(let d):
            w.raw("\"")
            d.append(to: &w)
            w.raw("\"")
        case .timestamp(let t):
            w.raw("\"")
            t.append(to: &w)
            w.raw("\"")
        case .list(let items):
            w.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(",") }
                write(item, into: &w)
            }
            w.raw("]")
        case .map(let m):
            // Keys and values read where they are (`entries` builds an array of pairs).
            w.raw("{")
            for i in m.keys.indices {
                if i > 0 { w.raw(",") }
                if case .string(let s) = m.keys[i] { w.string(s) } else { w.string(m.keys[i].celLiteral) }
                w.raw(":")
                write(m.values[i], into: &w)
            }
            w.raw("}")
        case .error(let e):
            w.raw("{\"error\":")
            w.string(e.message)
            w.raw("}")
        }
    }

    /// JSON to CEL for `verdict expr`: integers that fit in 64 bits become
    /// `int`, other numbers `double`; objects become maps.
    public static func celValue(_ json: JSONValue) -> CELValue {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n):
            if n.isInteger, let i = n.int { return .int(i) }
            return .double(n.double)
        case .string(let s): return .string(s)
        case .array(let items): return .list(items.map(celValue))
        case .object(let o):
            return .map((try? CELMap(entries: o.entries.map { (CELValue.string($0.key), celValue($0.value)) })) ?? CELMap())
        }
    }
}

/// Dates and timestamps print straight into the writer's staged bytes.
extension JSONWriter: CELByteSink {
    @inlinable
    public mutating func append(_ byte: UInt8) { raw(byte: byte) }

    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) { raw(bytes) }
}

extension JSONWriter {
    /// A JSON array of strings.
    mutating func strings(_ items: [String]) {
        raw("[")
        for (i, s) in items.enumerated() {
            if i > 0 { raw(",") }
            string(s)
        }
        raw("]")
    }

    /// `"text":` for a key encoded once.
    static func key(_ name: String) -> [UInt8] {
        var w = JSONWriter(capacity: name.utf8.count + 4)
        w.string(name)
        w.raw(":")
        return w.bytes
    }
}
