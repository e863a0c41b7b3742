/// Calendar extension of verdict's CEL (not part of standard CEL).
///
/// Types:
/// - `date`: a proleptic Gregorian calendar date, years 1...9999, no time zone.
/// - `timestamp`: an instant (seconds + nanoseconds since 1970-01-01T00:00:00Z) together
///   with the UTC offset it was written in. Equality and ordering compare the instant only.
///
/// Functions:
/// - `date(string) -> date`: exactly "YYYY-MM-DD"; an invalid date (e.g. "2025-02-30")
///   is an error.
/// - `date(timestamp) -> date`: the calendar date in the timestamp's own offset
///   (`date(timestamp('2026-03-14T23:30:00-05:00')) == date('2026-03-14')`).
/// - `timestamp(string) -> timestamp`: RFC 3339, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`;
///   `T`/`t` separator, `Z`/`z`; 1 to 9 fraction digits; a leap second (`:60`) is rejected.
/// - `string(date)`, `string(timestamp)`: "YYYY-MM-DD"; RFC 3339 in the timestamp's own
///   offset, always with seconds, the fraction with minimal digits only when non-zero,
///   "Z" when written with Z, otherwise ±HH:MM (so "+00:00" round-trips).
/// - `d.addMonths(int) -> date`: the same day n calendar months later, clamped to the last
///   day of a shorter month (2025-01-31 + 1 = 2025-02-28; 2024-02-29 + 12 = 2025-02-28).
/// - `d.addDays(int) -> date`, `t.addHours(int) -> timestamp` (keeps the offset).
/// - `d.daysUntil(date) -> int`: signed number of days from `d` to the argument.
/// - `d.year()`, `d.month()`, `d.day()` -> int.
/// - `< <= > >= == !=` between two dates and between two timestamps; mixing a date and a
///   timestamp is a type error (checked) or a no-such-overload error (unchecked).
///
/// Results outside years 1...9999 are `range` errors, never traps.

/// A proleptic Gregorian calendar date, years 1...9999.
public struct CELDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= CELDate.daysInMonth(year: year, month: month) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    private init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeap(year) ? 29 : 28
        default: return 0
        }
    }

    /// Parses exactly "YYYY-MM-DD".
    public static func parse(_ s: String) -> CELDate? {
        var s = s
        return s.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Parses exactly "YYYY-MM-DD" from UTF-8 bytes (no copy).
    public static func parse(utf8 u: UnsafeRawBufferPointer) -> CELDate? {
        guard u.count == 10 else { return nil }
        guard u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
              let y = digits(u, 0, 4), let m = digits(u, 5, 2), let d = digits(u, 8, 2)
        else { return nil }
        return CELDate(year: y, month: m, day: d)
    }

    public var description: String {
        var b: [UInt8] = []
        b.reserveCapacity(10)
        append(to: &b)
        return String(decoding: b, as: UTF8.self)
    }

    /// `YYYY-MM-DD` as bytes (answers print a date per ticket: no string
    /// concatenation), into an array or a writer's buffer.
    /// Printed as two words (`YYYY-MM-` and `DD`) and handed over at once: a
    /// writer checks its room once, not once a byte.
    @inlinable
    public func append<Sink: CELByteSink>(to b: inout Sink) {
        var words = printed
        withUnsafeBytes(of: &words) { b.append(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<10])) }
    }

    /// The ten bytes of `YYYY-MM-DD` in two little-endian words.
    @inlinable
    var printed: (UInt64, UInt64) {
        let w0 = twoDigits(year / 100) | twoDigits(year % 100) << 16 | 0x2D << 32 | twoDigits(month) << 40 | 0x2D << 56
        return (w0.littleEndian, twoDigits(day).littleEndian)
    }

    /// Days since 1970-01-01 (which is 0).
    public var daysSinceEpoch: Int64 {
        // Howard Hinnant's days_from_civil.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static let minDays: Int64 = -719162  // 0001-01-01
    static let maxDays: Int64 = 2932896  // 9999-12-31

    /// The date `days` after 1970-01-01; nil outside years 1...9999.
    public init?(daysSinceEpoch days: Int64) {
        guard days >= CELDate.minDays, days <= CELDate.maxDays else { return nil }
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(unchecked: Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// The same day `n` calendar months later (or earlier), clamped to the last day of
    /// a shorter month; nil when out of range.
    public func addingMonths(_ n: Int64) -> CELDate? {
        let base = Int64(year) * 12 + Int64(month - 1)
        let (total, o) = base.addingReportingOverflow(n)
        guard !o else { return nil }
        let ny = total >= 0 ? total / 12 : (total - 11) / 12
        let nm = total - ny * 12 + 1
        guard ny >= 1, ny <= 9999 else { return nil }
        let y = Int(ny), m = Int(nm)
        return CELDate(year: y, month: m, day: Swift.min(day, CELDate.daysInMonth(year: y, month: m)))
    }

    public func addingDays(_ n: Int64) -> CELDate? {
        let (d, o) = daysSinceEpoch.addingReportingOverflow(n)
        guard !o else { return nil }
        return CELDate(daysSinceEpoch: d)
    }

    public static func < (a: CELDate, b: CELDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// An instant plus the UTC offset it was written in. Equality, hashing and ordering use
/// the instant only.
public struct CELTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    /// 0..<1_000_000_000
    public let nanos: Int32
    /// The UTC offset the timestamp is shown in, -86399...86399.
    public let offsetSeconds: Int32
    /// True when the offset was written as "Z" (printing keeps "Z" rather than "+00:00").
    public let writtenWithZ: Bool

    /// Validates nanos and offset, and that the local date is within years 1...9999.
    public init?(seconds: Int64, nanos: Int32 = 0, offsetSeconds: Int32 = 0, writtenWithZ: Bool? = nil) {
        guard nanos >= 0, nanos < 1_000_000_000, offsetSeconds > -86400, offsetSeconds < 86400 else { return nil }
        let (local, o) = seconds.addingReportingOverflow(Int64(offsetSeconds))
        guard !o else { return nil }
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        guard days >= CELDate.minDays, days <= CELDate.maxDays else { return nil }
        self.seconds = seconds
        self.nanos = nanos
        self.offsetSeconds = offsetSeconds
        self.writtenWithZ = writtenWithZ ?? (offsetSeconds == 0)
    }

    /// RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|z|±HH:MM)`; `T` or `t` separator;
    /// 1–9 fraction digits; second 60 (leap second) is rejected.
    public static func parse(_ s: String) -> CELTimestamp? {
        var s = s
        return s.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Parses an RFC 3339 timestamp from UTF-8 bytes (no copy).
    public static func parse(utf8 u: UnsafeRawBufferPointer) -> CELTimestamp? {
        guard u.count >= 20 else { return nil }
        guard let date = CELDate.parse(utf8: UnsafeRawBufferPointer(rebasing: u[0..<10])) else { return nil }
        guard u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t"),
              u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
              let hh = digits(u, 11, 2), let mm = digits(u, 14, 2), let ss = digits(u, 17, 2),
              hh < 24, mm < 60, ss < 60 else { return nil }
        var i = 19
        var nanos: Int32 = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var n = 0
            var count = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                guard count < 9 else { return nil }
                n = n * 10 + Int(u[i] - 48)
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<9 { n *= 10 }
            nanos = Int32(n)
        }
        guard i < u.count else { return nil }
        var offset = 0
        var z = false
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            z = true
            i += 1
        } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            guard i + 6 == u.count, u[i + 3] == UInt8(ascii: ":"),
                  let oh = digits(u, i + 1, 2), let om = digits(u, i + 4, 2), oh < 24, om < 60
            else { return nil }
            offset = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let local = date.daysSinceEpoch * 86400 + Int64(hh * 3600 + mm * 60 + ss)
        return CELTimestamp(seconds: local - Int64(offset), nanos: nanos, offsetSeconds: Int32(offset), writtenWithZ: z)
    }

    @usableFromInline var localSeconds: Int64 { seconds + Int64(offsetSeconds) }

    /// The calendar date in the timestamp's own offset.
    public var date: CELDate {
        let l = localSeconds
        let days = l >= 0 ? l / 86400 : (l - 86399) / 86400
        // The initializer guarantees the range; fall back to the epoch defensively.
        return CELDate(daysSinceEpoch: days) ?? CELDate(daysSinceEpoch: 0) ?? CELDate.epoch
    }

    public var description: String {
        var b: [UInt8] = []
        b.reserveCapacity(35)
        append(to: &b)
        return String(decoding: b, as: UTF8.self)
    }

    /// RFC 3339 in its own offset, as bytes (see `description`), printed
    /// word by word into a buffer of its own and handed over at once.
    @inlinable
    public func append<Sink: CELByteSink>(to b: inout Sink) {
        let l = localSeconds
        let days = l >= 0 ? l / 86400 : (l - 86399) / 86400
        let sod = Int(l - days * 86400)
        // The longest: `9999-12-31T23:59:59.999999999+23:59`, 35 bytes.
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { p in
            let date = self.date.printed
            p.storeBytes(of: date.0, toByteOffset: 0, as: UInt64.self)
            p.storeBytes(of: UInt16(truncatingIfNeeded: date.1), toByteOffset: 8, as: UInt16.self)
            p[10] = UInt8(ascii: "T")
            let time = twoDigits(sod / 3600) | 0x3A << 16 | twoDigits(sod / 60 % 60) << 24 | 0x3A << 40
                | twoDigits(sod % 60) << 48
            p.storeBytes(of: time.littleEndian, toByteOffset: 11, as: UInt64.self)
            var n = 19
            if nanos != 0 {
                // The fewest digits that keep the value: .75, not .750000000.
                var frac = Int(nanos)
                var width = 9
                while frac % 10 == 0 {
                    frac /= 10
                    width -= 1
                }
                p[n] = UInt8(ascii: ".")
                for k in stride(from: width, through: 1, by: -1) {
                    p[n + k] = 0x30 &+ UInt8(truncatingIfNeeded: frac % 10)
                    frac /= 10
                }
                n += width + 1
            }
            if writtenWithZ && offsetSeconds == 0 {
                p[n] = UInt8(ascii: "Z")
                n += 1
            } else {
                let o = Int(offsetSeconds)
                let sign: UInt64 = o < 0 ? 0x2D : 0x2B
                let zone = sign | twoDigits(abs(o) / 3600) << 8 | 0x3A << 24 | twoDigits(abs(o) / 60 % 60) << 32
                p.storeBytes(of: zone.littleEndian, toByteOffset: n, as: UInt64.self)
                n += 6
            }
            b.append(bytes: UnsafeRawBufferPointer(rebasing: p[0..<n]))
        }
    }

    /// `n` hours later (or earlier), in the same offset; nil on overflow or out of range.
    public func addingHours(_ n: Int64) -> CELTimestamp? {
        let (delta, o1) = n.multipliedReportingOverflow(by: 3600)
        guard !o1 else { return nil }
        let (s, o2) = seconds.addingReportingOverflow(delta)
        guard !o2 else { return nil }
        return CELTimestamp(seconds: s, nanos: nanos, offsetSeconds: offsetSeconds, writtenWithZ: writtenWithZ)
    }

    public static func == (a: CELTimestamp, b: CELTimestamp) -> Bool {
        a.seconds == b.seconds && a.nanos == b.nanos
    }

    public func hash(into h: inout Hasher) {
        h.combine(seconds)
        h.combine(nanos)
    }

    public static func < (a: CELTimestamp, b: CELTimestamp) -> Bool {
        (a.seconds, a.nanos) < (b.seconds, b.nanos)
    }
}

extension CELDate {
    static let epoch = CELDate(unchecked: 1970, 1, 1)
}

/// The value of `n` (at most 4) decimal digits from `start`, nil when one is not a digit or missing.
/// Inline and without overflow checks: every ticket's dates are read this way.
@inline(__always)
private func digits(_ u: UnsafeRawBufferPointer, _ start: Int, _ n: Int) -> Int? {
    guard start >= 0, start + n <= u.count else { return nil }
    var v = 0
    var i = start
    while i < start + n {
        let d = u[i] &- 48
        guard d < 10 else { return nil }
        v = v &* 10 &+ Int(d)
        i &+= 1
    }
    return v
}

/// Where dates and timestamps are printed: an array of bytes, or a writer
/// that gathers small writes (JSON answers print a date or two per ticket).
public protocol CELByteSink {
    mutating func append(_ byte: UInt8)
    /// Several bytes at once (a printed date); by default one at a time.
    mutating func append(bytes: UnsafeRawBufferPointer)
}

extension CELByteSink {
    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        for b in bytes { append(b) }
    }
}

extension Array: CELByteSink where Element == UInt8 {
    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        // Through a typed view: given the raw buffer itself, `append(contentsOf:)` loads a byte at a time.
        bytes.withMemoryRebound(to: UInt8.self) { append(contentsOf: $0) }
    }
}

/// Two decimal digits of `v` (0...99) as ASCII in the low 16 bits, tens first (little-endian order).
@inlinable @inline(__always)
func twoDigits(_ v: Int) -> UInt64 {
    UInt64(truncatingIfNeeded: 0x30 &+ v / 10) | UInt64(truncatingIfNeeded: 0x30 &+ v % 10) << 8
}

