// Run-time semantics of CEL operators and functions. Every function here is total:
// bad input yields a `.error` value, never a trap.

@inline(__always)
func err(_ code: CELError.Code, _ msg: String) -> CELValue { .error(CELError(code, msg)) }

func noOverload(_ fn: String, _ args: CELValue...) -> CELValue {
    let types = args.map(\.typeName).joined(separator: ", ")
    return err(.noSuchOverload, "found no matching overload for '\(fn)' applied to '(\(types))'")
}

func keyText(_ v: CELValue) -> String {
    if case .string(let s) = v { return "'\(s)'" }
    return v.celLiteral
}

// MARK: Arithmetic

func opAdd(_ a: CELValue, _ b: CELValue) -> CELValue {
    // Fast path without copying both values into a tuple.
    if case .int(let x) = a, case .int(let y) = b {
        let (r, o) = x.addingReportingOverflow(y)
        return o ? err(.overflow, "integer overflow in addition") : .int(r)
    }
    switch (a, b) {
    case (.int(let x), .int(let y)):
        let (r, o) = x.addingReportingOverflow(y)
        return o ? err(.overflow, "integer overflow in addition") : .int(r)
    case (.double(let x), .double(let y)): return .double(x + y)
    case (.string(let x), .string(let y)): return .string(x + y)
    case (.list(let x), .list(let y)):
        if x.isEmpty { return b }
        if y.isEmpty { return a }
        return .list(x + y)
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("_+_", a, b)
    }
}

func opSub(_ a: CELValue, _ b: CELValue) -> CELValue {
    if case .int(let x) = a, case .int(let y) = b {
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? err(.overflow, "integer overflow in subtraction") : .int(r)
    }
    switch (a, b) {
    case (.int(let x), .int(let y)):
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? err(.overflow, "integer overflow in subtraction") : .int(r)
    case (.double(let x), .double(let y)): return .double(x - y)
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("_-_", a, b)
    }
}

func opMul(_ a: CELValue, _ b: CELValue) -> CELValue {
    if case .int(let x) = a, case .int(let y) = b {
        let (r, o) = x.multipliedReportingOverflow(by: y)
        return o ? err(.overflow, "integer overflow in multiplication") : .int(r)
    }
    switch (a, b) {
    case (.int(let x), .int(let y)):
        let (r, o) = x.multipliedReportingOverflow(by: y)
        return o ? err(.overflow, "integer overflow in multiplication") : .int(r)
    case (.double(let x), .double(let y)): return .double(x * y)
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("_*_", a, b)
    }
}

func opDiv(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.int(let x), .int(let y)):
        if y == 0 { return err(.divisionByZero, "division by zero") }
        let (r, o) = x.dividedReportingOverflow(by: y)
        return o ? err(.overflow, "integer overflow in division") : .int(r)
    case (.double(let x), .double(let y)): return .double(x / y)
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("_/_", a, b)
    }
}

func opMod(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.int(let x), .int(let y)):
        if y == 0 { return err(.divisionByZero, "modulus by zero") }
        let (r, o) = x.remainderReportingOverflow(dividingBy: y)
        return o ? err(.overflow, "integer overflow in modulus") : .int(r)
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("_%_", a, b)
    }
}

func opNeg(_ a: CELValue) -> CELValue {
    switch a {
    case .int(let x):
        let (r, o) = Int64(0).subtractingReportingOverflow(x)
        return o ? err(.overflow, "integer overflow in negation") : .int(r)
    case .double(let x): return .double(-x)
    case .error: return a
    default: return noOverload("-_", a)
    }
}

func opNot(_ a: CELValue) -> CELValue {
    switch a {
    case .bool(let x): return .bool(!x)
    case .error: return a
    default: return noOverload("!_", a)
    }
}

// MARK: Equality and ordering

/// CEL equality of two non-error values: heterogeneous numbers compare by value,
/// other mixed types are unequal, lists element-wise, maps by key set and values.
func celEquals(_ a: CELValue, _ b: CELValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y
    case (.int(let x), .double(let y)): return compareIntDouble(x, y) == 0
    case (.double(let x), .int(let y)): return compareIntDouble(y, x) == 0
    case (.string(let x), .string(let y)): return scalarEqual(x, y)
    case (.date(let x), .date(let y)): return x == y
    case (.timestamp(let x), .timestamp(let y)): return x == y
    case (.list(let x), .list(let y)):
        guard x.count == y.count else { return false }
        for i in 0..<x.count where !celEquals(x[i], y[i]) { return false }
        return true
    case (.map(let x), .map(let y)):
        guard x.count == y.count else { return false }
        for i in 0..<x.count {
            guard let v = y[x.keys[i]], celEquals(x.values[i], v) else { return false }
        }
        return true
    default: return false
    }
}

/// -1, 0, 1, or nil when `d` is NaN.
func compareIntDouble(_ i: Int64, _ d: Double) -> Int? {
    if d.isNaN { return nil }
    if d >= 9.223372036854775808e18 { return -1 }
    if d < -9.223372036854775808e18 { return 1 }
    let ti = Int64(d)  // truncates toward zero; exact for |d| < 2^63
    let t = Double(ti)
    if i < ti { return -1 }
    if i > ti { return 1 }
    // integer parts equal; the fraction decides
    if d > t { return -1 }
    if d < t { return 1 }
    return 0
}

func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }

enum Relation { case lt, le, gt, ge }

func opEq(_ a: CELValue, _ b: CELValue) -> CELValue {
    if case .int(let x) = a, case .int(let y) = b { return .bool(x == y) }
    if case .string(let x) = a, case .string(let y) = b { return .bool(scalarEqual(x, y)) }
    if case .error = a { return a }
    if case .error = b { return b }
    return .bool(celEquals(a, b))
}

func opNe(_ a: CELValue, _ b: CELValue) -> CELValue {
    if case .int(let x) = a, case .int(let y) = b { return .bool(x != y) }
    if case .string(let x) = a, case .string(let y) = b { return .bool(!scalarEqual(x, y)) }
    if case .error = a { return a }
    if case .error = b { return b }
    return .bool(!celEquals(a, b))
}

func opRelation(_ a: CELValue, _ b: CELValue, _ r: Relation, _ name: String) -> CELValue {
    if case .int(let x) = a, case .int(let y) = b {
        switch r {
        case .lt: return .bool(x < y)
        case .le: return .bool(x <= y)
        case .gt: return .bool(x > y)
        case .ge: return .bool(x >= y)
        }
    }
    let c: Int?
    switch (a, b) {
    case (.int(let x), .int(let y)): c = cmp(x, y)
    case (.double(let x), .double(let y)): c = (x.isNaN || y.isNaN) ? nil : cmp(x, y)
    case (.int(let x), .double(let y)): c = compareIntDouble(x, y)
    case (.double(let x), .int(let y)): c = compareIntDouble(y, x).map { -$0 }
    case (.string(let x), .string(let y)): c = scalarCompare(x, y)
    case (.bool(let x), .bool(let y)): c = x == y ? 0 : (x ? 1 : -1)
    case (.date(let x), .date(let y)): c = cmp(x, y)
    case (.timestamp(let x), .timestamp(let y)): c = cmp(x, y)
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload(name, a, b)
    }
    guard let v = c else { return .bool(false) }
    switch r {
    case .lt: return .bool(v < 0)
    case .le: return .bool(v <= 0)
    case .gt: return .bool(v > 0)
    case .ge: return .bool(v >= 0)
    }
}

// MARK: Containers

func opIn(_ a: CELValue, _ b: CELValue) -> CELValue {
    if case .error = a { return a }
    switch b {
    case .list(let items):
        for x in items where celEquals(a, x) { return .bool(true) }
        return .bool(false)
    case .map(let m):
        return .bool(m.contains(key: a))
    case .error: return b
    default: return noOverload("@in", a, b)
    }
}

func opIndex(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.list(let items), .int(let i)):
        guard i >= 0, i < Int64(items.count) else {
            return err(.invalidArgument, "index out of range: \(i)")
        }
        return items[Int(i)]
    case (.list(let items), .double(let d)):
        guard let i = exactInt64(d) else { return err(.invalidArgument, "unsupported index value: \(d)") }
        guard i >= 0, i < Int64(items.count) else {
            return err(.invalidArgument, "index out of range: \(i)")
        }
        return items[Int(i)]
    case (.map(let m), _):
        if case .error = b { return b }
        if let v = m[b] { return v }
        return err(.noSuchKey, "no such key: \(keyText(b))")
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("_[_]", a, b)
    }
}

func selectField(_ v: CELValue, _ key: CELMapKey, _ field: String) -> CELValue {
    switch v {
    case .map(let m):
        if let x = m.lookup(key) { return x }
        return err(.noSuchKey, "no such key: '\(field)'")
    case .error: return v
    default:
        return err(.noSuchField, "type '\(v.typeName)' does not support field selection")
    }
}

func hasField(_ v: CELValue, _ key: CELMapKey) -> CELValue {
    switch v {
    case .map(let m): return .bool(m.lookup(key) != nil)
    case .error: return v
    default: return err(.noSuchField, "invalid argument to has(): type '\(v.typeName)' does not support field selection")
    }
}

extension CELMap {
    func lookup(_ key: CELMapKey) -> CELValue? {
        guard let i = indexOf(key) else { return nil }
        return values[i]
    }
}

// MARK: Functions

func fnSize(_ a: CELValue) -> CELValue {
    switch a {
    case .string(let s): return .int(Int64(s.unicodeScalars.count))
    case .list(let l): return .int(Int64(l.count))
    case .map(let m): return .int(Int64(m.count))
    case .error: return a
    default: return noOverload("size", a)
    }
}

func utf8Contains(_ s: String, _ sub: String) -> Bool {
    if sub.utf8.isEmpty { return true }
    let fast: Bool?? = s.utf8.withContiguousStorageIfAvailable { h in
        sub.utf8.withContiguousStorageIfAvailable { nd in bufferContains(h, nd) }
    }
    if let f = fast, let r = f { return r }
    let h = Array(s.utf8), nd = Array(sub.utf8)
    return h.withUnsafeBufferPointer { hb in nd.withUnsafeBufferPointer { bufferContains(hb, $0) } }
}

func bufferContains(_ h: UnsafeBufferPointer<UInt8>, _ nd: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = nd.count
    if n == 0 { return true }
    if n > h.count { return false }
    let first = nd[0]
    var i = 0
    let last = h.count - n
    while i <= last {
        if h[i] == first {
            var j = 1
            while j < n && h[i + j] == nd[j] { j += 1 }
            if j == n { return true }
        }
        i += 1
    }
    return false
}

func fnContains(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.string(let s), .string(let t)): return .bool(utf8Contains(s, t))
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("contains", a, b)
    }
}

func fnStartsWith(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.string(let s), .string(let t)):
        let n = t.utf8.count
        guard n <= s.utf8.count else { return .bool(false) }
        let fast: Bool?? = s.utf8.withContiguousStorageIfAvailable { sb in
            t.utf8.withContiguousStorageIfAvailable { tb in
                n == 0 || memEqual(UnsafeBufferPointer(rebasing: sb[0..<n]), tb)
            }
        }
        if let f = fast, let r = f { return .bool(r) }
        return .bool(s.utf8.starts(with: t.utf8))
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("startsWith", a, b)
    }
}

func fnEndsWith(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.string(let s), .string(let t)):
        let n = t.utf8.count
        guard n <= s.utf8.count else { return .bool(false) }
        let fast: Bool?? = s.utf8.withContiguousStorageIfAvailable { sb in
            t.utf8.withContiguousStorageIfAvailable { tb in
                n == 0 || memEqual(UnsafeBufferPointer(rebasing: sb[(sb.count - n)...]), tb)
            }
        }
        if let f = fast, let r = f { return .bool(r) }
        return .bool(s.utf8.suffix(n).elementsEqual(t.utf8))
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("endsWith", a, b)
    }
}

func fnMatches(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.string(let s), .string(let p)):
        switch RegexProgram.compile(p) {
        case .success(let re): return re.matches(s)
        case .failure(let e): return .error(e)
        }
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("matches", a, b)
    }
}

func fnInt(_ a: CELValue) -> CELValue {
    switch a {
    case .int: return a
    case .double(let d):
        guard d.isFinite, d > -9.223372036854775808e18, d < 9.223372036854775808e18 else {
            return err(.range, "double value out of int range: \(formatDoubleGo(d))")
        }
        return .int(Int64(d))  // truncates toward zero
    case .string(let s):
        guard let i = Int64(s) else { return err(.invalidArgument, "cannot convert string '\(s)' to int") }
        return .int(i)
    case .timestamp(let t): return .int(t.seconds)
    case .error: return a
    default: return noOverload("int", a)
    }
}

func fnDouble(_ a: CELValue) -> CELValue {
    switch a {
    case .double: return a
    case .int(let i): return .double(Double(i))
    case .string(let s):
        guard let d = parseDouble(s) else { return err(.invalidArgument, "cannot convert string '\(s)' to double") }
        return .double(d)
    case .error: return a
    default: return noOverload("double", a)
    }
}

/// Accepts decimal floating-point text plus "NaN", "Infinity", "-Infinity", "inf" (any case).
func parseDouble(_ s: String) -> Double? {
    guard !s.isEmpty, s.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
    // Reject hexadecimal float syntax which Swift's parser accepts.
    let lower = s.lowercased()
    if lower.contains("x") || lower.contains("p") { return nil }
    return Double(s)
}

func fnString(_ a: CELValue) -> CELValue {
    switch a {
    case .string: return a
    case .int(let i): return .string(String(i))
    case .double(let d): return .string(formatDoubleGo(d))
    case .bool(let b): return .string(b ? "true" : "false")
    case .date(let d): return .string(d.description)
    case .timestamp(let t): return .string(t.description)
    case .error: return a
    default: return noOverload("string", a)
    }
}

func fnDate(_ a: CELValue) -> CELValue {
    switch a {
    case .string(let s):
        guard let d = CELDate.parse(s) else { return err(.invalidArgument, "invalid date: '\(s)' (expected a valid YYYY-MM-DD)") }
        return .date(d)
    case .timestamp(let t): return .date(t.date)
    case .date: return a
    case .error: return a
    default: return noOverload("date", a)
    }
}

func fnTimestamp(_ a: CELValue) -> CELValue {
    switch a {
    case .string(let s):
        guard let t = CELTimestamp.parse(s) else {
            return err(.invalidArgument, "invalid timestamp: '\(s)' (expected RFC 3339, e.g. 2026-03-14T09:30:00+08:00)")
        }
        return .timestamp(t)
    case .timestamp: return a
    case .error: return a
    default: return noOverload("timestamp", a)
    }
}

func fnAddMonths(_ a: CELValue, _ b: CELValue) -> CELValue {
    calendarStep("addMonths", a, b) { v, n in
        guard case .date(let d) = v else { return nil }
        return .some(d.addingMonths(n).map(CELValue.date))
    }
}

func fnAddDays(_ a: CELValue, _ b: CELValue) -> CELValue {
    calendarStep("addDays", a, b) { v, n in
        guard case .date(let d) = v else { return nil }
        return .some(d.addingDays(n).map(CELValue.date))
    }
}

func fnAddHours(_ a: CELValue, _ b: CELValue) -> CELValue {
    calendarStep("addHours", a, b) { v, n in
        guard case .timestamp(let t) = v else { return nil }
        return .some(t.addingHours(n).map(CELValue.timestamp))
    }
}

/// `x.name(n)` for the calendar steps: errors pass through; `apply` gives the
/// result (`.some(nil)` when out of range), or nil when the receiver has the
/// wrong type. The receiver's text is built only for the error message.
private func calendarStep(
    _ name: String, _ a: CELValue, _ b: CELValue, _ apply: (CELValue, Int64) -> CELValue??
) -> CELValue {
    if case .error = a { return a }
    if case .error = b { return b }
    guard case .int(let n) = b, let result = apply(a, n) else { return noOverload(name, a, b) }
    if let result { return result }
    let text: String
    switch a {
    case .date(let d): text = d.description
    case .timestamp(let t): text = t.description
    default: text = a.celLiteral
    }
    return err(.range, "\(a.typeName) out of range: \(text).\(name)(\(n))")
}

func fnDaysUntil(_ a: CELValue, _ b: CELValue) -> CELValue {
    switch (a, b) {
    case (.date(let x), .date(let y)): return .int(y.daysSinceEpoch - x.daysSinceEpoch)
    case (.error, _): return a
    case (_, .error): return b
    default: return noOverload("daysUntil", a, b)
    }
}

func fnYear(_ a: CELValue) -> CELValue {
    switch a {
    case .date(let d): return .int(Int64(d.year))
    case .error: return a
    default: return noOverload("year", a)
    }
}

func fnMonth(_ a: CELValue) -> CELValue {
    switch a {
    case .date(let d): return .int(Int64(d.month))
    case .error: return a
    default: return noOverload("month", a)
    }
}

func fnDay(_ a: CELValue) -> CELValue {
    switch a {
    case .date(let d): return .int(Int64(d.day))
    case .error: return a
    default: return noOverload("day", a)
    }
}
