/// A JSON value as read from untrusted input. Objects keep document order.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name for the value's JSON type: "null", "boolean", "number",
    /// "string", "array", "object".
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A JSON number literal, kept as written together with its numeric readings.
public struct JSONNumber: Sendable, Equatable {
    /// The literal exactly as written (RFC 8259 grammar).
    public var text: String
    /// The value when the literal is an integer (no fraction, no exponent)
    /// that fits in Int64; nil otherwise.
    public var int: Int64?
    /// The nearest double. May be ±infinity for huge exponents (callers treat
    /// that as out of range) or ±0 for tiny ones.
    public var double: Double
    /// True when the literal has no `.` and no exponent (even if it does not
    /// fit in Int64).
    public var isInteger: Bool

    public init(text: String, int: Int64?, double: Double, isInteger: Bool) {
        self.text = text
        self.int = int
        self.double = double
        self.isInteger = isInteger
    }

    public init(int value: Int64) {
        self.text = String(value)
        self.int = value
        self.double = Double(value)
        self.isInteger = true
    }

    /// A number from a double; non-finite values keep their double but are
    /// written as `null` by ``JSONWriter``.
    public init(double value: Double) {
        self.text = value.isFinite ? value.description : "null"
        self.int = nil
        self.double = value
        self.isInteger = false
    }

    /// Parses one RFC 8259 number literal (nothing else around it).
    public init?(literal: String) {
        let bytes = Array(literal.utf8)
        guard case .success(.number(let n)) = JSONReader.parse(bytes), n.text == literal else { return nil }
        self = n
    }
}

/// A JSON object: members in document order, keys unique.
public struct JSONObject: Sendable, Equatable {
    /// Members in document order. Keys are unique when produced by
    /// ``JSONReader``; if you build an object yourself with repeated keys, the
    /// subscript returns the first.
    public var entries: [(key: String, value: JSONValue)] {
        didSet { index = Self.makeIndex(entries) }
    }

    /// Key → position, only for larger objects (small ones are scanned).
    private var index: [String: Int]?

    static let indexThreshold = 12

    public init(_ entries: [(key: String, value: JSONValue)] = []) {
        self.entries = entries
        self.index = Self.makeIndex(entries)
    }

    private static func makeIndex(_ entries: [(key: String, value: JSONValue)]) -> [String: Int]? {
        guard entries.count > indexThreshold else { return nil }
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (i, e) in entries.enumerated() where index[e.key] == nil {
            index[e.key] = i
        }
        return index
    }

    public subscript(key: String) -> JSONValue? {
        if let index {
            guard let i = index[key] else { return nil }
            return entries[i].value
        }
        for e in entries where e.key == key { return e.value }
        return nil
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (a, b) in zip(lhs.entries, rhs.entries) where a.key != b.key || a.value != b.value {
            return false
        }
        return true
    }
}

/// Why a line is not acceptable JSON. `offset` is the byte offset in the
/// input where the problem was found; `message` is one lowercase line.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "byte \(offset): \(message)" }
}
