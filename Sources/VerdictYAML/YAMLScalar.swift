/// A scalar value together with enough of its source to map any character of
/// the value back to a file position.
///
/// Typing follows where the value stands, never YAML 1.1 guessing: only a
/// *plain* scalar can be a bool, number or null, and only by the YAML 1.2 core
/// schema spellings (`yes`, `no`, `on`, `off`, `NO` ... stay strings). An
/// explicit core tag overrides this: `!!str 5` is a string, `!!int "5"` is 5.
public struct YAMLScalar: Sendable {
    public var text: String
    /// Raw source characters of the scalar token, starting at the token itself
    /// (after any anchor/tag property), nil for scalars built in code.
    var source: String?
    /// Position of the first character of `source` (or of the value when there
    /// is no source).
    var sourceStart: YAMLMark
    public var style: YAMLScalarStyle
    /// The explicit (core) tag written on the scalar, if any.
    var explicitTag: CoreTag.Scalar?

    /// A scalar built in code. `start` is used as the position of its first
    /// character by `mark(atOffset:)`, which then assumes a single line.
    public init(text: String, style: YAMLScalarStyle = .plain, start: YAMLMark = YAMLMark(line: 1, column: 1)) {
        self.text = text
        self.style = style
        self.explicitTag = nil
        self.source = nil
        self.sourceStart = start
    }

    /// A scalar as read back from its parts (`rawSource`, `sourceStart`,
    /// `style`): it maps offsets to positions as the one parsed did.
    public init(text: String, style: YAMLScalarStyle, source: String?, sourceStart: YAMLMark) {
        self.init(text: text, style: style, explicitTag: nil, source: source, sourceStart: sourceStart)
    }

    /// The raw source characters of the scalar token, nil for scalars built in code.
    public var rawSource: String? { source }
    /// The position of the first character of `rawSource` (or of the value).
    public var start: YAMLMark { sourceStart }

    init(text: String, style: YAMLScalarStyle, explicitTag: CoreTag.Scalar?, source: String?, sourceStart: YAMLMark) {
        self.text = text
        self.style = style
        self.explicitTag = explicitTag
        self.source = source
        self.sourceStart = sourceStart
    }

    /// A quoted or block scalar is always a string (unless explicitly tagged).
    public var isQuoted: Bool { style != .plain }

    /// Whether typing may read the text as something other than a string.
    private var mayBeTyped: Bool {
        if let tag = explicitTag { return tag != .str }
        return style == .plain
    }

    private func allowed(_ tag: CoreTag.Scalar) -> Bool {
        guard mayBeTyped else { return false }
        return explicitTag == nil || explicitTag == tag
    }

    /// `true`/`false` (also `True`, `TRUE`, `False`, `FALSE`) written plain.
    /// Never `yes`/`no`/`on`/`off`.
    public var asBool: Bool? {
        guard allowed(.bool) else { return nil }
        return YAMLCoreSchema.bool(text)
    }

    /// A plain decimal integer with optional sign, or `0x` hex / `0o` octal.
    /// Nil when the text is not an integer or does not fit in Int64.
    public var asInt: Int64? {
        guard allowed(.int) else { return nil }
        return YAMLCoreSchema.int(text)
    }

    /// A plain YAML 1.2 core float (`1.5`, `-2e3`, `.5`, `.inf`, `-.inf`,
    /// `.nan`) or any integer `asInt` accepts (also integers too large for
    /// Int64, as the nearest double).
    public var asDouble: Double? {
        guard mayBeTyped else { return nil }
        if let tag = explicitTag, tag != .float, tag != .int { return nil }
        if explicitTag != .float, let i = YAMLCoreSchema.int(text) { return Double(i) }
        return YAMLCoreSchema.double(text)
    }

    /// A plain `""` (nothing written), `~`, `null`, `Null` or `NULL`.
    public var isNull: Bool {
        guard allowed(.null) else { return false }
        return YAMLCoreSchema.isNull(text)
    }
}

enum CoreTag {
    static let prefix = "tag:yaml.org,2002:"
    static let str = prefix + "str"
    static let int = prefix + "int"
    static let float = prefix + "float"
    static let bool = prefix + "bool"
    static let null = prefix + "null"
    static let seq = prefix + "seq"
    static let map = prefix + "map"

    /// The core tags a scalar may carry, in a byte.
    enum Scalar: UInt8, Sendable {
        case str, int, float, bool, null

        init?(_ tag: String) {
            switch tag {
            case CoreTag.str: self = .str
            case CoreTag.int: self = .int
            case CoreTag.float: self = .float
            case CoreTag.bool: self = .bool
            case CoreTag.null: self = .null
            default: return nil
            }
        }
    }

    /// How a tag is written in diagnostics: `!!int`, `!foo`, `!<tag:x>`.
    static func display(_ tag: String) -> String {
        if tag.hasPrefix(prefix) { return "!!" + tag.dropFirst(prefix.count) }
        if tag.hasPrefix("!") { return tag }
        return "!<\(tag)>"
    }
}

/// The YAML 1.2 core schema's spellings, applied to scalar text.
enum YAMLCoreSchema {
    static func bool(_ s: String) -> Bool? {
        switch s {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    static func isNull(_ s: String) -> Bool {
        switch s {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    static func int(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard !u.isEmpty else { return nil }
        if u.count > 2, u[0] == UInt8(ascii: "0") {
            if u[1] == UInt8(ascii: "x") { return accumulate(u[2...], radix: 16, negative: false) }
            if u[1] == UInt8(ascii: "o") { return accumulate(u[2...], radix: 8, negative: false) }
        }
        var digits = u[...]
        var negative = false
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        return accumulate(digits, radix: 10, negative: negative)
    }

    private static func digitValue(_ b: UInt8) -> Int64? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int64(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int64(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int64(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Accumulates toward the sign so that Int64.min is representable.
    private static func accumulate(_ digits: ArraySlice<UInt8>, radix: Int64, negative: Bool) -> Int64? {
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for b in digits {
            guard let d = digitValue(b), d < radix else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            if o1 { return nil }
            let (r, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o2 { return nil }
            value = r
        }
        return value
    }

    /// Core-schema float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`,
    /// `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
    static func double(_ s: String) -> Double? {
        switch s {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        let u = Array(s.utf8)
        var i = 0
        func isDigit(_ k: Int) -> Bool { k < u.count && u[k] >= UInt8(ascii: "0") && u[k] <= UInt8(ascii: "9") }
        if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
        var intDigits = 0
        while isDigit(i) { i += 1; intDigits += 1 }
        var fracDigits = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            while isDigit(i) { i += 1; fracDigits += 1 }
        }
        // "[0-9]+(\.[0-9]*)?" or "\.[0-9]+"
        guard intDigits > 0 || fracDigits > 0 else { return nil }
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
            var expDigits = 0
            while isDigit(i) { i += 1; expDigits += 1 }
            guard expDigits > 0 else { return nil }
        }
        guard i == u.count else { return nil }
        // Rebuild a canonical "[-]D.DeX" spelling Swift's parser always accepts.
        var canonical: [UInt8] = []
        var k = 0
        if k < u.count, u[k] == UInt8(ascii: "-") || u[k] == UInt8(ascii: "+") {
            if u[k] == UInt8(ascii: "-") { canonical.append(u[k]) }
            k += 1
        }
        if intDigits == 0 { canonical.append(UInt8(ascii: "0")) }
        while isDigit(k) { canonical.append(u[k]); k += 1 }
        canonical.append(UInt8(ascii: "."))
        if k < u.count, u[k] == UInt8(ascii: ".") { k += 1 }
        if fracDigits == 0 { canonical.append(UInt8(ascii: "0")) }
        while k < u.count { canonical.append(u[k]); k += 1 }
        return Double(String(decoding: canonical, as: UTF8.self))
    }
}
