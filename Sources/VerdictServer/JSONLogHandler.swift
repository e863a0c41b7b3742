import Foundation
import Logging
import NIOConcurrencyHelpers
import VerdictJSONWriter

/// swift-log handler writing one JSON object per line:
/// `{"time":…,"level":…,"msg":…,"label":…, …metadata}`. Integers, doubles
/// and booleans in metadata stay numbers and booleans; everything else is a string.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let sink: LogSink

    public init(label: String, sink: LogSink = .standardError) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var w = JSONWriter(capacity: 256)
        w.raw("{\"time\":")
        w.string(Self.timestamp(Date()))
        w.raw(",\"level\":")
        w.string(event.level.rawValue)
        w.raw(",\"msg\":")
        w.string(event.message.description)
        w.raw(",\"label\":")
        w.string(label)
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        for key in all.keys.sorted() {
            guard let value = all[key] else { continue }
            w.raw(",")
            w.string(key)
            w.raw(":")
            Self.write(value, into: &w)
        }
        w.raw("}\n")
        sink.write(w.bytes)
    }

    static func write(_ value: Logger.Metadata.Value, into w: inout JSONWriter) {
        switch value {
        case .string(let s):
            w.string(s)
        case .stringConvertible(let c):
            switch c {
            case let i as Int: w.int(Int64(i))
            case let d as Double where d.isFinite: w.raw(text: String(d))
            case let b as Bool: w.raw(b ? "true" : "false")
            default: w.string(c.description)
            }
        case .array(let items):
            w.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(",") }
                write(item, into: &w)
            }
            w.raw("]")
        case .dictionary(let d):
            w.raw("{")
            for (i, key) in d.keys.sorted().enumerated() {
                guard let v = d[key] else { continue }
                if i > 0 { w.raw(",") }
                w.string(key)
                w.raw(":")
                write(v, into: &w)
            }
            w.raw("}")
        }
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }
}

/// Where log lines go: standard error (whole lines, one write each), or a
/// closure (tests read what was logged).
public struct LogSink: Sendable {
    let write: @Sendable ([UInt8]) -> Void

    public init(_ write: @escaping @Sendable ([UInt8]) -> Void) { self.write = write }

    public static let standardError = LogSink { bytes in
        bytes.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = Foundation.write(2, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                left -= n
                p = p.advanced(by: n)
            }
        }
    }

    /// Lines kept in memory, for tests.
    public static func memory(_ box: NIOLockedValueBox<[String]>) -> LogSink {
        LogSink { bytes in box.withLockedValue { $0.append(String(decoding: bytes, as: UTF8.self)) } }
    }
}
