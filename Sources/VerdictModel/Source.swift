import CEL

/// Where something was written: file and 1-based line and column (in Unicode scalars).
public struct SourceRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// How many scalars a caret under it underlines.
    public var length: Int

    public init(file: String, line: Int, column: Int, length: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
        self.length = length
    }

    public static func < (a: SourceRef, b: SourceRef) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }
}

/// A text in both languages of the guideline.
public struct Label: Hashable, Sendable {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }
}

/// A list of clause numbers of the guideline, e.g. ["7.1.6", "7.2.6"].
public typealias Clause = [String]

/// An expression embedded in a policy file, with what maps a position inside
/// it back to the file (through quoting, escapes and block scalars).
public struct ExprSource: Sendable {
    public var text: String
    /// The node that holds the expression.
    public var at: SourceRef
    /// Line and column in the file of the character at a scalar offset into `text`.
    public var locate: @Sendable (Int) -> (line: Int, column: Int)
    /// What `locate` is computed from, when the expression was read from a
    /// file: enough to make the same `locate` again (the policy cache keeps it).
    public var origin: Origin?

    /// The characters of the file an expression was read from: the raw
    /// text of its value as written (quotes, escapes, indentation and all),
    /// where that starts, and how the value was written (the reader's own
    /// code for plain, quoted or block text). A class: an expression without
    /// one (a large table's) spends a reference on it, not the whole.
    public final class Origin: Sendable {
        public let source: String?
        public let line: Int
        public let column: Int
        public let style: UInt8

        public init(source: String?, line: Int, column: Int, style: UInt8) {
            self.source = source
            self.line = line
            self.column = column
            self.style = style
        }
    }

    public init(
        text: String, at: SourceRef, origin: Origin? = nil, locate: @escaping @Sendable (Int) -> (line: Int, column: Int)
    ) {
        self.text = text
        self.at = at
        self.origin = origin
        self.locate = locate
    }

    /// The place of a span inside the expression (offset and length in Unicode scalars).
    public func ref(offset: Int, length: Int) -> SourceRef {
        let (line, column) = locate(offset)
        return SourceRef(file: at.file, line: line, column: column, length: length)
    }
}

/// A value as written in a policy file, before its declared type reads it:
/// a scalar with the readings the file format allows, or a list. Typing
/// follows where a value stands (a quoted `"12"` is text).
public struct Literal: Sendable {
    public struct Scalar: Sendable {
        public var text: String
        /// Quoted or block text: never a number, bool or null.
        public var isQuoted: Bool
        /// A plain null (`~`, `null`, nothing).
        public var isNull: Bool
        public var bool: Bool?
        public var int: Int64?
        public var double: Double?

        public init(text: String, isQuoted: Bool, isNull: Bool, bool: Bool?, int: Int64?, double: Double?) {
            self.text = text
            self.isQuoted = isQuoted
            self.isNull = isNull
            self.bool = bool
            self.int = int
            self.double = double
        }
    }

    public indirect enum Kind: Sendable {
        case scalar(Scalar)
        case list([Literal])
        /// A mapping, in written order (a ticket in a test file; never a policy value).
        case mapping([(key: String, keyAt: SourceRef, value: Literal)])
    }

    public var kind: Kind
    public var at: SourceRef

    public init(kind: Kind, at: SourceRef) {
        self.kind = kind
        self.at = at
    }
}

/// An owner-chosen name (`warranty_months`): lowercase letters, digits and `_`, starting with a letter or `_`.
public enum Names {
    public static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("a"..."z").contains(first) || first == "_" else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
