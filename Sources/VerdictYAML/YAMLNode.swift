/// A position in a YAML source file.
///
/// Both fields are 1-based. `column` counts **Unicode scalars** (code points)
/// from the start of the line, which is what libyaml counts as "characters";
/// it is neither a byte offset nor a grapheme count. A tab counts as one column.
/// The conversion from libyaml's 0-based marks happens once, in this module.
public struct YAMLMark: Hashable, Sendable, Comparable, CustomStringConvertible {
    // Stored in 32 bits: a file is at most 16 MiB, and every node of a tree
    // holds three marks (a 50,000-row table has 350,000 nodes).
    private var storedLine: Int32
    private var storedColumn: Int32

    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }

    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }

    public init(line: Int, column: Int) {
        self.storedLine = Int32(clamping: line)
        self.storedColumn = Int32(clamping: column)
    }

    public static func < (lhs: YAMLMark, rhs: YAMLMark) -> Bool {
        lhs.line != rhs.line ? lhs.line < rhs.line : lhs.column < rhs.column
    }

    public var description: String { "\(line):\(column)" }
}

/// The source range of a node: `start` is the first character (including any
/// anchor or tag property written before the value), `end` is just past the
/// last character of the node.
public struct YAMLSpan: Hashable, Sendable {
    public var start: YAMLMark
    public var end: YAMLMark

    public init(start: YAMLMark, end: YAMLMark) {
        self.start = start
        self.end = end
    }
}

public enum YAMLScalarStyle: Hashable, Sendable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A node of a parsed YAML document.
///
/// A node is immutable and shared: a class, so that passing one around (the
/// decoder reads every node several times, mappings hold pairs of them)
/// costs one reference count, not a copy of its scalar's strings and marks.
public final class YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public let span: YAMLSpan
    /// A written tag, boxed: tags are rare, and a reference is half an
    /// optional string in every node.
    private let writtenTag: Tag?
    public let kind: Kind

    private final class Tag: Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    /// The explicit tag written on the node, fully resolved (for example
    /// `tag:yaml.org,2002:str` for `!!str`), or nil when the node has none.
    /// Only the YAML core tags are accepted by the parser.
    public var tag: String? { writtenTag?.name }

    public init(kind: Kind, span: YAMLSpan, tag: String? = nil) {
        self.kind = kind
        self.span = span
        self.writtenTag = tag.map(Tag.init)
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The pair whose key is a scalar with exactly this text (mappings never
    /// hold duplicate keys once parsed), or nil.
    public func pair(forKey key: String) -> YAMLPair? {
        guard case .mapping(let pairs) = kind else { return nil }
        return pairs.first { $0.key.scalar?.text == key }
    }

    /// The value for a scalar key with exactly this text, or nil.
    public func value(forKey key: String) -> YAMLNode? {
        pair(forKey: key)?.value
    }

    /// The texts of a mapping's scalar keys, in document order (empty for
    /// non-mappings).
    public var keys: [String] {
        guard case .mapping(let pairs) = kind else { return [] }
        return pairs.compactMap { $0.key.scalar?.text }
    }

    /// A short human name for the node's kind: "scalar", "sequence", "mapping".
    public var kindName: String {
        switch kind {
        case .scalar: return "scalar"
        case .sequence: return "sequence"
        case .mapping: return "mapping"
        }
    }
}

/// A key/value pair of a mapping; mappings keep document order.
public struct YAMLPair: Sendable {
    public let key: YAMLNode
    public let value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A positioned problem in a YAML file. `length`, when known, is the number
/// of columns (Unicode scalars) the problem covers on its line.
public struct YAMLDiagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem it is, for the stable diagnostic codes of the tools above.
    public enum Kind: String, Hashable, Sendable {
        /// Not well-formed YAML (libyaml's message).
        case syntax
        /// A key written twice in one mapping.
        case duplicateKey
        /// Valid YAML this reader refuses: custom tags, merge keys, non-scalar keys, several documents.
        case unsupported
        /// A bound on size, depth or alias expansion.
        case limit
        /// An alias without its anchor, or a value its explicit tag does not fit.
        case invalid
        /// The file is not UTF-8 text (UTF-16, Latin-1, a NUL byte). Line 0:
        /// the whole file (its lines cannot be shown).
        case encoding
    }
    public var kind: Kind
    public var mark: YAMLMark
    public var message: String
    public var length: Int?
    /// For a syntax error, where the construct libyaml was reading started
    /// (a block mapping, a flow sequence, a quoted scalar), when it says.
    public var context: YAMLMark?

    public init(mark: YAMLMark, message: String, length: Int? = nil, kind: Kind = .syntax, context: YAMLMark? = nil) {
        self.kind = kind
        self.mark = mark
        self.message = message
        self.length = length
        self.context = context
    }

    public var description: String { "\(mark.line):\(mark.column): \(message)" }
}

/// All problems found in one file, in the order they were found (document
/// order for semantic problems; a syntax error ends the list).
public struct YAMLDiagnostics: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [YAMLDiagnostic]

    public init(diagnostics: [YAMLDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// Resource bounds applied while parsing untrusted YAML.
public struct YAMLLimits: Sendable, Hashable {
    /// Deepest allowed nesting of sequences and mappings (the root collection
    /// is depth 1). Applies to the document after alias expansion too.
    public var maxDepth: Int
    /// Total number of nodes that alias expansion may produce in one document.
    public var maxAliasExpansions: Int
    /// Largest accepted input, in bytes.
    public var maxDocumentBytes: Int

    public init(maxDepth: Int = 64, maxAliasExpansions: Int = 1000, maxDocumentBytes: Int = 16 * 1024 * 1024) {
        self.maxDepth = maxDepth
        self.maxAliasExpansions = maxAliasExpansions
        self.maxDocumentBytes = maxDocumentBytes
    }
}
