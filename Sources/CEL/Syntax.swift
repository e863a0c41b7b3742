// Lexer, AST and recursive-descent parser for CEL.
//
// Positions are offsets in Unicode scalars. The parser enforces a nesting limit
// (recursion depth) and the AST a height limit, so deeply nested input is reported
// as a diagnostic instead of overflowing the stack.

/// One problem found in an expression.
public struct CELDiagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is, for the stable diagnostic codes of the tools above.
    public enum Kind: String, Sendable, Hashable {
        /// The text is not a CEL expression.
        case syntax
        /// Too long or nested too deeply.
        case limit
        /// A name that is not declared (variable, field or function).
        case undeclared
        /// Types that do not fit (no matching overload, wrong result type).
        case type
        /// A literal value that cannot be right (not an allowed value, an invalid date).
        case value
        /// An invalid regular expression.
        case regex
    }
    public var kind: Kind
    /// One line, lowercase; user text in backticks.
    public var message: String
    /// Position in the source in Unicode scalars, 0-based.
    public var offset: Int
    /// Length in Unicode scalars.
    public var length: Int
    /// A suggestion such as "did you mean `installed_on`?".
    public var help: String?

    public init(message: String, offset: Int, length: Int, help: String? = nil, kind: Kind = .syntax) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.length = length
        self.help = help
    }

    public var description: String {
        var s = "\(offset):\(length): \(message)"
        if let h = help { s += " (\(h))" }
        return s
    }
}

/// All problems found in an expression, in source order where possible.
public struct CELDiagnostics: Error, Sendable, Hashable, CustomStringConvertible {
    public var diagnostics: [CELDiagnostic]
    public init(diagnostics: [CELDiagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Limits of the parser.
public enum CELLimits {
    /// Maximum expression length in Unicode scalars.
    public static let maxSourceScalars = 100_000
    /// Maximum parser recursion depth (parentheses, brackets, calls, ternaries).
    public static let maxNesting = 100
    /// Maximum height of the syntax tree (also bounds long operator chains).
    public static let maxHeight = 250
}

// MARK: - Tokens

enum TokenKind: Equatable {
    case ident(String)
    case int(UInt64)  // magnitude; sign handled by the parser
    case uint(UInt64)
    case double(Double)
    case string(String)
    case punct(String)  // operators and punctuation, also the keyword "in"
    case eof
}

struct Token {
    var kind: TokenKind
    var offset: Int
    var length: Int
}

let reservedWords: Set<String> = [
    "as", "break", "const", "continue", "else", "for", "function", "if", "import", "in", "let",
    "loop", "package", "namespace", "return", "var", "void", "while",
]

struct Lexer {
    let s: [Unicode.Scalar]
    var i = 0
    var diagnostics: [CELDiagnostic] = []

    init(_ scalars: [Unicode.Scalar]) { s = scalars }

    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

    mutating func error(_ msg: String, _ off: Int, _ len: Int, help: String? = nil) {
        diagnostics.append(CELDiagnostic(message: msg, offset: off, length: max(1, len), help: help))
    }

    /// The text of `s[range]`, which the caller has checked is ASCII
    /// (identifiers and numbers): bytes copied, no scalar-by-scalar append.
    func ascii(_ range: Range<Int>) -> String {
        String(unsafeUninitializedCapacity: range.count) { buffer in
            var k = 0
            for j in range {
                buffer[k] = UInt8(truncatingIfNeeded: s[j].value)
                k += 1
            }
            return k
        }
    }

    /// `==`, `!=`, `<=`, `>=`, `&&`, `||`.
    static func twoCharacterOperator(_ a: Unicode.Scalar, _ b: Unicode.Scalar?) -> String? {
        switch (a, b) {
        case ("=", "="): "=="
        case ("!", "="): "!="
        case ("<", "="): "<="
        case (">", "="): ">="
        case ("&", "&"): "&&"
        case ("|", "|"): "||"
        default: nil
        }
    }

    static func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0.value >= 48 && $0.value <= 57 } ?? false }
    static func isHex(_ c: Unicode.Scalar?) -> Bool {
        guard let c = c else { return false }
        return isDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c)
    }
    static func isIdentStart(_ c: Unicode.Scalar?) -> Bool {
        guard let c = c else { return false }
        return ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }
    static func isIdentPart(_ c: Unicode.Scalar?) -> Bool { isIdentStart(c) || isDigit(c) }

    mutating func tokenize() -> [Token] {
        var out: [Token] = []
        while true {
            skipSpace()
            guard let c = peek() else {
                out.append(Token(kind: .eof, offset: s.count, length: 0))
                return out
            }
            let start = i
            if Lexer.isIdentStart(c) {
                // raw string prefix
                if (c == "r" || c == "R"), let q = peek(1), q == "'" || q == "\"" {
                    i += 1
                    let str = lexString(start: start, raw: true)
                    out.append(Token(kind: .string(str), offset: start, length: i - start))
                    continue
                }
                while Lexer.isIdentPart(peek()) { i += 1 }
                let name = ascii(start..<i)
                if name == "in" {
                    out.append(Token(kind: .punct("in"), offset: start, length: i - start))
                } else {
                    out.append(Token(kind: .ident(name), offset: start, length: i - start))
                }
                continue
            }
            if Lexer.isDigit(c) || (c == "." && Lexer.isDigit(peek(1))) {
                // On a malformed number, a placeholder keeps the parser from cascading errors.
                let t = lexNumber()
                out.append(t ?? Token(kind: .int(0), offset: start, length: i - start))
                continue
            }
            if c == "'" || c == "\"" {
                let str = lexString(start: start, raw: false)
                out.append(Token(kind: .string(str), offset: start, length: i - start))
                continue
            }
            if let two = Lexer.twoCharacterOperator(c, peek(1)) {
                i += 2
                out.append(Token(kind: .punct(two), offset: start, length: 2))
                continue
            }
            if "+-*/%!<>?:.,()[]{}".unicodeScalars.contains(c) {
                i += 1
                out.append(Token(kind: .punct(String(c)), offset: start, length: 1))
                continue
            }
            i += 1
            // A single `=`, `&` or `|` is a slip for the doubled operator:
            // say so, and read it as meant so that the rest is still checked.
            let meant: [Unicode.Scalar: (String, String)] = [
                "=": ("==", "write `==` to compare: `a == b`"),
                "&": ("&&", "write `&&` for and"),
                "|": ("||", "write `||` for or"),
            ]
            if let (op, help) = meant[c] {
                error("`\(c)` alone is not an operator", start, 1, help: help)
                out.append(Token(kind: .punct(op), offset: start, length: 1))
                continue
            }
            let named = c.isASCII ? "`\(String(c).debugDescriptionInner)`" : LookAlike.character(c)
            error("unexpected character \(named)", start, 1)
        }
    }

    mutating func skipSpace() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
                i += 1
            } else if c == "/", peek(1) == "/" {
                while let d = peek(), d != "\n" { i += 1 }
            } else {
                return
            }
        }
    }

    mutating func lexNumber() -> Token? {
        let start = i
        if peek() == "0", peek(1) == "x" || peek(1) == "X" {
            i += 2
            let ds = i
            while Lexer.isHex(peek()) { i += 1 }
            let text = ascii(ds..<i)
            var isUint = false
            if peek() == "u" || peek() == "U" { i += 1; isUint = true }
            if Lexer.isIdentPart(peek()) {
                while Lexer.isIdentPart(peek()) { i += 1 }
                error("invalid number literal", start, i - start)
                return nil
            }
            guard !text.isEmpty, let v = UInt64(text, radix: 16) else {
                error(text.isEmpty ? "invalid hexadecimal literal" : "integer literal out of range", start, i - start)
                return nil
            }
            return Token(kind: isUint ? .uint(v) : .int(v), offset: start, length: i - start)
        }
        while Lexer.isDigit(peek()) { i += 1 }
        var isDouble = false
        if peek() == ".", Lexer.isDigit(peek(1)) {
            isDouble = true
            i += 1
            while Lexer.isDigit(peek()) { i += 1 }
        }
        if peek() == "e" || peek() == "E" {
            var j = i + 1
            if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
            if j < s.count, Lexer.isDigit(s[j]) {
                isDouble = true
                i = j
                while Lexer.isDigit(peek()) { i += 1 }
            }
        }
        let text = ascii(start..<i)
        if isDouble {
            if Lexer.isIdentPart(peek()) || peek() == "." {
                while Lexer.isIdentPart(peek()) { i += 1 }
                error("invalid number literal", start, i - start)
                return nil
            }
            guard let d = Double(text) else {
                error("invalid double literal", start, i - start)
                return nil
            }
            return Token(kind: .double(d), offset: start, length: i - start)
        }
        var isUint = false
        if peek() == "u" || peek() == "U" { i += 1; isUint = true }
        if Lexer.isIdentPart(peek()) {
            while Lexer.isIdentPart(peek()) { i += 1 }
            error("invalid number literal", start, i - start)
            return nil
        }
        guard let v = UInt64(text) else {
            error("integer literal out of range", start, i - start)
            return nil
        }
        return Token(kind: isUint ? .uint(v) : .int(v), offset: start, length: i - start)
    }

    /// Lexes a quoted string starting at `i` (the quote). `start` includes any raw prefix.
    /// Problems are recorded as diagnostics; the (partial) value is returned regardless.
    mutating func lexString(start: Int, raw: Bool) -> String {
        guard let q = peek() else { return "" }
        let triple = peek(1) == q && peek(2) == q
        i += triple ? 3 : 1
        var out = String.UnicodeScalarView()
        var ok = true
        while true {
            guard let c = peek() else {
                error("unterminated string literal", start, i - start)
                return String(out)
            }
            if c == q {
                if !triple {
                    i += 1
                    break
                }
                if peek(1) == q && peek(2) == q {
                    i += 3
                    break
                }
                out.append(c)
                i += 1
                continue
            }
            if !triple && (c == "\n" || c == "\r") {
                error("unterminated string literal", start, i - start)
                return String(out)
            }
            if c == "\\" && !raw {
                let escStart = i
                i += 1
                guard let e = peek() else { continue }
                i += 1
                switch e {
                case "a": out.append("\u{07}")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "v": out.append("\u{0B}")
                case "\\", "?", "\"", "'", "`": out.append(e)
                case "x", "X", "u", "U":
                    let n = e == "u" ? 4 : e == "U" ? 8 : 2
                    var v: UInt32 = 0
                    var good = true
                    for _ in 0..<n {
                        guard let h = peek(), Lexer.isHex(h), let d = UInt32(String(h), radix: 16) else {
                            good = false
                            break
                        }
                        v = v * 16 + d
                        i += 1
                    }
                    if good, let u = Unicode.Scalar(v) {
                        out.append(u)
                    } else {
                        error("invalid escape sequence", escStart, i - escStart)
                        ok = false
                    }
                case "0"..."3":
                    var v = e.value - 48
                    var good = true
                    for _ in 0..<2 {
                        guard let h = peek(), ("0"..."7").contains(h) else {
                            good = false
                            break
                        }
                        v = v * 8 + (h.value - 48)
                        i += 1
                    }
                    if good, let u = Unicode.Scalar(v) {
                        out.append(u)
                    } else {
                        error("invalid octal escape sequence", escStart, i - escStart)
                        ok = false
                    }
                default:
                    error("invalid escape sequence `\\\(String(e).debugDescriptionInner)`", escStart, i - escStart)
                    ok = false
                }
                continue
            }
            out.append(c)
            i += 1
        }
        _ = ok
        return String(out)
    }
}

extension String {
    /// The string's debug description without the surrounding quotes.
    var debugDescriptionInner: String {
        let d = debugDescription
        return String(d.dropFirst().dropLast())
    }
}

// MARK: - AST

/// A syntax tree node. `offset`/`length` point at the node's principal token (the
/// operator of a binary expression, the function name of a call, the field of a selection).
struct Expr: Sendable {
    indirect enum Kind: Sendable {
        case literal(CELValue)
        case uintLiteral(UInt64)
        case ident(String)
        case select(Expr, String)
        /// A function or operator call; operators use internal names such as `_+_`.
        case call(target: Expr?, name: String, args: [Expr])
        case list([Expr])
        case map([(Expr, Expr)])
    }
    var kind: Kind
    var offset: Int
    var length: Int
    var height: Int
}

// MARK: - Parser

struct ParseFailure: Error {}

struct Parser {
    var tokens: [Token]
    var p = 0
    var depth = 0
    var diagnostics: [CELDiagnostic] = []

    init(tokens: [Token]) { self.tokens = tokens }

    static func parse(_ source: String) -> Result<Expr, CELDiagnostics> {
        let scalars = Array(source.unicodeScalars)
        if scalars.count > CELLimits.maxSourceScalars {
            return .failure(CELDiagnostics(diagnostics: [CELDiagnostic(
                message:
                    "expression is too long: \(scalars.count) characters, more than the limit of \(CELLimits.maxSourceScalars) (docs/limits.md)",
                offset: 0, length: 1, help: "split it into rules that name its parts", kind: .limit)]))
        }
        var lexer = Lexer(scalars)
        let toks = lexer.tokenize()
        var parser = Parser(tokens: toks)
        parser.diagnostics = lexer.diagnostics
        do {
            let e = try parser.parseExpr()
            if case .eof = parser.cur.kind {} else {
                parser.unexpected()
                throw ParseFailure()
            }
            if !parser.diagnostics.isEmpty { return .failure(CELDiagnostics(diagnostics: parser.diagnostics)) }
            return .success(e)
        } catch {
            if parser.diagnostics.isEmpty {
                parser.diagnostics.append(CELDiagnostic(message: "syntax error", offset: 0, length: 1))
            }
            parser.diagnostics.sort { $0.offset < $1.offset }
            return .failure(CELDiagnostics(diagnostics: parser.diagnostics))
        }
    }

    var cur: Token { tokens[min(p, tokens.count - 1)] }

    func isPunct(_ s: String) -> Bool {
        if case .punct(let x) = cur.kind, x == s { return true }
        return false
    }

    mutating func error(_ msg: String, _ t: Token, help: String? = nil) {
        diagnostics.append(CELDiagnostic(message: msg, offset: t.offset, length: max(1, t.length), help: help))
    }

    /// Words and symbols from other languages that CEL writes otherwise.
    static let otherLanguages: [String: String] = [
        "and": "write `&&` for and", "AND": "write `&&` for and",
        "or": "write `||` for or", "OR": "write `||` for or",
        "not": "write `!` for not: `!x`", "NOT": "write `!` for not: `!x`",
        "is": "write `==` to compare", "then": "write `c ? a : b` for if-then-else",
        "else": "write `c ? a : b` for if-then-else", "elif": "write `c ? a : b` for if-then-else",
    ]

    mutating func unexpected(expecting: String? = nil) {
        let t = cur
        var what: String
        switch t.kind {
        case .eof: what = "end of expression"
        case .punct(let x): what = "`\(x)`"
        case .ident(let x): what = "`\(x)`"
        case .string: what = "string literal"
        default: what = "number literal"
        }
        var msg = "syntax error: unexpected \(what)"
        if let e = expecting { msg += ", expecting \(e)" }
        // `not x` reads `not` as a name, then stumbles on `x`: point at `not`.
        if p > 0, p - 1 < tokens.count, case .ident(let w) = tokens[p - 1].kind, w == "not" || w == "NOT",
            let help = Self.otherLanguages[w]
        {
            var fix = help
            if case .ident(let x) = t.kind { fix = "write `!` for not: `!\(x)`" }
            if !diagnostics.contains(where: { $0.offset == tokens[p - 1].offset }) {
                error("syntax error: `\(w)` is not an operator", tokens[p - 1], help: fix)
            }
            return
        }
        var help: String?
        if case .ident(let w) = t.kind { help = Self.otherLanguages[w] }
        if case .punct(">") = t.kind, p > 0, case .punct("<") = tokens[p - 1].kind { help = "write `!=` for not equal" }
        // Don't report twice at the same place (lexer errors already point here).
        if !diagnostics.contains(where: { $0.offset == t.offset }) {
            error(msg, t, help: help)
        }
    }

    mutating func expect(_ s: String) throws {
        guard isPunct(s) else {
            unexpected(expecting: "`\(s)`")
            throw ParseFailure()
        }
        p += 1
    }

    mutating func make(_ kind: Expr.Kind, _ off: Int, _ len: Int, _ children: [Expr]) throws -> Expr {
        let h = (children.map(\.height).max() ?? 0) + 1
        if h > CELLimits.maxHeight {
            // A long chain of one operator (`a || b || …`) is deep although
            // it does not look nested: say which operator, and how to group it.
            if case .call(nil, let op, let args) = kind, args.count == 2, let shown = Printer.binarySymbols[op],
                case .call(nil, op, _) = args[0].kind
            {
                diagnostics.append(CELDiagnostic(
                    message:
                        "more than \(CELLimits.maxHeight) `\(shown)` in a row: an expression may be at most \(CELLimits.maxHeight) operations deep (docs/limits.md)",
                    offset: off, length: max(1, len),
                    help: "split it into rules, or group it: `(a \(shown) b) \(shown) (c \(shown) d)` is 2 deep, `a \(shown) b \(shown) c \(shown) d` 3",
                    kind: .limit))
            } else {
                diagnostics.append(CELDiagnostic(
                    message:
                        "expression is nested too deeply: more than \(CELLimits.maxHeight) operations inside each other (docs/limits.md)",
                    offset: off, length: max(1, len), help: "split it into rules that name its parts", kind: .limit))
            }
            throw ParseFailure()
        }
        return Expr(kind: kind, offset: off, length: max(1, len), height: h)
    }

    mutating func enter() throws {
        depth += 1
        if depth > CELLimits.maxNesting {
            diagnostics.append(CELDiagnostic(
                message:
                    "expression is nested too deeply: more than \(CELLimits.maxNesting) parentheses, brackets or calls inside each other (docs/limits.md)",
                offset: cur.offset, length: max(1, cur.length), help: "split it into rules that name its parts",
                kind: .limit))
            throw ParseFailure()
        }
    }

    mutating func parseExpr() throws -> Expr {
        try enter()
        defer { depth -= 1 }
        let cond = try parseOr()
        guard isPunct("?") else { return cond }
        let q = cur
        p += 1
        let a = try parseOr()
        try expect(":")
        let b = try parseExpr()
        return try make(.call(target: nil, name: "_?_:_", args: [cond, a, b]), q.offset, 1, [cond, a, b])
    }

    static let binaryOps: [String: (name: String, prec: Int)] = [
        "||": ("_||_", 1), "&&": ("_&&_", 2),
        "<": ("_<_", 3), "<=": ("_<=_", 3), ">": ("_>_", 3), ">=": ("_>=_", 3), "==": ("_==_", 3),
        "!=": ("_!=_", 3), "in": ("@in", 3),
        "+": ("_+_", 4), "-": ("_-_", 4),
        "*": ("_*_", 5), "/": ("_/_", 5), "%": ("_%_", 5),
    ]

    /// `||` operands: all binary operators by precedence climbing (left-associative).
    /// One function for all levels keeps the recursion per nesting level shallow.
    mutating func parseOr() throws -> Expr {
        try parseBinary(minPrec: 1)
    }

    mutating func parseBinary(minPrec: Int) throws -> Expr {
        var l = try parseUnary()
        while case .punct(let op) = cur.kind, let info = Parser.binaryOps[op], info.prec >= minPrec {
            let t = cur
            p += 1
            let r = try parseBinaryRHS(info.prec + 1)
            l = try make(.call(target: nil, name: info.name, args: [l, r]), t.offset, t.length, [l, r])
        }
        return l
    }

    /// The right operand: binds operators of precedence >= minPrec.
    mutating func parseBinaryRHS(_ minPrec: Int) throws -> Expr {
        if minPrec > 5 { return try parseUnary() }
        return try parseBinary(minPrec: minPrec)
    }

    mutating func parseUnary() throws -> Expr {
        if isPunct("!") {
            var ops: [Token] = []
            while isPunct("!") {
                ops.append(cur)
                p += 1
            }
            var e = try parseMember()
            for t in ops.reversed() {
                e = try make(.call(target: nil, name: "!_", args: [e]), t.offset, 1, [e])
            }
            return e
        }
        if isPunct("-") {
            var ops: [Token] = []
            while isPunct("-") {
                ops.append(cur)
                p += 1
            }
            var e: Expr
            // A minus directly before a number is part of the literal (so that
            // -9223372036854775808 is representable).
            switch cur.kind {
            case .int, .double:
                if let last = ops.popLast() {
                    let lit = try parseNumber(negative: true, minus: last)
                    e = try parsePostfix(lit)
                } else {
                    e = try parseMember()
                }
            default:
                e = try parseMember()
            }
            for t in ops.reversed() {
                e = try make(.call(target: nil, name: "-_", args: [e]), t.offset, 1, [e])
            }
            return e
        }
        return try parseMember()
    }

    mutating func parseNumber(negative: Bool, minus: Token?) throws -> Expr {
        let t = cur
        let start = minus?.offset ?? t.offset
        let len = t.offset + t.length - start
        p += 1
        switch t.kind {
        case .int(let mag):
            if negative {
                if mag <= UInt64(Int64.max) {
                    return try make(.literal(.int(-Int64(mag))), start, len, [])
                }
                if mag == UInt64(Int64.max) + 1 {
                    return try make(.literal(.int(Int64.min)), start, len, [])
                }
            } else if mag <= UInt64(Int64.max) {
                return try make(.literal(.int(Int64(mag))), start, len, [])
            }
            diagnostics.append(CELDiagnostic(message: "integer literal out of range", offset: start, length: len))
            throw ParseFailure()
        case .double(let d):
            return try make(.literal(.double(negative ? -d : d)), start, len, [])
        default:
            unexpected()
            throw ParseFailure()
        }
    }

    mutating func parseMember() throws -> Expr {
        let e = try parsePrimary()
        return try parsePostfix(e)
    }

    /// Member name after a dot: identifiers, including reserved words (`{'as': 1}.as`).
    mutating func parseFieldName() throws -> Token {
        let t = cur
        switch t.kind {
        case .ident: p += 1
            return t
        case .punct("in"):
            p += 1
            return Token(kind: .ident("in"), offset: t.offset, length: t.length)
        default:
            unexpected(expecting: "a field name")
            throw ParseFailure()
        }
    }

    mutating func parsePostfix(_ start: Expr) throws -> Expr {
        var e = start
        while true {
            if isPunct(".") {
                p += 1
                let f = try parseFieldName()
                guard case .ident(let name) = f.kind else { throw ParseFailure() }
                if isPunct("(") {
                    p += 1
                    let args = try parseArgs(close: ")")
                    e = try make(.call(target: e, name: name, args: args), f.offset, f.length, [e] + args)
                } else {
                    e = try make(.select(e, name), f.offset, f.length, [e])
                }
            } else if isPunct("[") {
                let t = cur
                p += 1
                try enter()
                let idx = try parseExpr()
                depth -= 1
                try expect("]")
                e = try make(.call(target: nil, name: "_[_]", args: [e, idx]), t.offset, 1, [e, idx])
            } else {
                return e
            }
        }
    }

    mutating func parseArgs(close: String) throws -> [Expr] {
        try enter()
        defer { depth -= 1 }
        var args: [Expr] = []
        if isPunct(close) {
            p += 1
            return args
        }
        while true {
            args.append(try parseExpr())
            if isPunct(",") {
                p += 1
                if close == "]" && isPunct(close) {
                    p += 1
                    return args
                }
                continue
            }
            try expect(close)
            return args
        }
    }

    mutating func parsePrimary() throws -> Expr {
        let t = cur
        switch t.kind {
        case .int, .double:
            return try parseNumber(negative: false, minus: nil)
        case .uint(let v):
            p += 1
            return try make(.uintLiteral(v), t.offset, t.length, [])
        case .string(let s):
            p += 1
            return try make(.literal(.string(s)), t.offset, t.length, [])
        case .ident(let name):
            p += 1
            switch name {
            case "true": return try make(.literal(.bool(true)), t.offset, t.length, [])
            case "false": return try make(.literal(.bool(false)), t.offset, t.length, [])
            case "null": return try make(.literal(.null), t.offset, t.length, [])
            default: break
            }
            if reservedWords.contains(name) {
                error("reserved identifier `\(name)`", t)
                throw ParseFailure()
            }
            if isPunct("(") {
                p += 1
                let args = try parseArgs(close: ")")
                return try make(.call(target: nil, name: name, args: args), t.offset, t.length, args)
            }
            return try make(.ident(name), t.offset, t.length, [])
        case .punct("."):
            // Leading dot: root-scoped identifier; there is no container, so `.x` is `x`.
            p += 1
            let n = cur
            guard case .ident(let name) = n.kind, !reservedWords.contains(name) else {
                unexpected(expecting: "an identifier")
                throw ParseFailure()
            }
            p += 1
            if isPunct("(") {
                p += 1
                let args = try parseArgs(close: ")")
                return try make(.call(target: nil, name: name, args: args), n.offset, n.length, args)
            }
            return try make(.ident(name), n.offset, n.length, [])
        case .punct("("):
            p += 1
            let e = try parseExpr()
            try expect(")")
            return e
        case .punct("["):
            p += 1
            let items = try parseArgs(close: "]")
            return try make(.list(items), t.offset, 1, items)
        case .punct("{"):
            p += 1
            try enter()
            defer { depth -= 1 }
            var entries: [(Expr, Expr)] = []
            var children: [Expr] = []
            if isPunct("}") {
                p += 1
            } else {
                while true {
                    let k = try parseExpr()
                    try expect(":")
                    let v = try parseExpr()
                    entries.append((k, v))
                    children.append(k)
                    children.append(v)
                    if isPunct(",") {
                        p += 1
                        if isPunct("}") {
                            p += 1
                            break
                        }
                        continue
                    }
                    try expect("}")
                    break
                }
            }
            return try make(.map(entries), t.offset, 1, children)
        default:
            unexpected()
            throw ParseFailure()
        }
    }
}

// MARK: - Canonical printing

enum Printer {
    static func precedence(_ e: Expr) -> Int {
        guard case .call(let target, let name, let args) = e.kind, target == nil else {
            if case .literal(let v) = e.kind {
                switch v {
                case .int(let i) where i < 0: return 7
                // Infinities and NaN print as calls (`double("-Infinity")`), which bind tightest.
                case .double(let d) where d.sign == .minus && d.isFinite: return 7
                default: break
                }
            }
            return 8
        }
        switch name {
        case "_?_:_": return 1
        case "_||_": return 2
        case "_&&_": return 3
        case "_<_", "_<=_", "_>_", "_>=_", "_==_", "_!=_", "@in": return 4
        case "_+_", "_-_": return 5
        case "_*_", "_/_", "_%_": return 6
        case "!_", "-_": return 7
        default: _ = args; return 8
        }
    }

    static let binarySymbols: [String: String] = [
        "_||_": "||", "_&&_": "&&", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=", "_==_": "==",
        "_!=_": "!=", "@in": "in", "_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/", "_%_": "%",
    ]

    static func print(_ e: Expr) -> String {
        var out = ""
        write(e, into: &out)
        return out
    }

    static func writeChild(_ e: Expr, parens: Bool, into out: inout String) {
        if parens { out += "(" }
        write(e, into: &out)
        if parens { out += ")" }
    }

    static func write(_ e: Expr, into out: inout String) {
        switch e.kind {
        case .literal(let v): v.writeLiteral(into: &out)
        case .uintLiteral(let v): out += "\(v)u"
        case .ident(let n): out += n
        case .select(let operand, let field):
            writeChild(operand, parens: needsParensBeforeDot(operand), into: &out)
            out += "." + field
        case .list(let items):
            out += "["
            for (i, x) in items.enumerated() {
                if i > 0 { out += ", " }
                write(x, into: &out)
            }
            out += "]"
        case .map(let entries):
            out += "{"
            for (i, kv) in entries.enumerated() {
                if i > 0 { out += ", " }
                write(kv.0, into: &out)
                out += ": "
                write(kv.1, into: &out)
            }
            out += "}"
        case .call(let target, let name, let args):
            if let t = target {
                writeChild(t, parens: needsParensBeforeDot(t), into: &out)
                out += "." + name + "("
                writeArgs(args, into: &out)
                out += ")"
                return
            }
            let prec = precedence(e)
            if let sym = binarySymbols[name], args.count == 2 {
                writeChild(args[0], parens: precedence(args[0]) < prec, into: &out)
                out += " " + sym + " "
                writeChild(args[1], parens: precedence(args[1]) <= prec, into: &out)
                return
            }
            switch name {
            case "_?_:_" where args.count == 3:
                writeChild(args[0], parens: precedence(args[0]) <= 1, into: &out)
                out += " ? "
                writeChild(args[1], parens: precedence(args[1]) <= 1, into: &out)
                out += " : "
                write(args[2], into: &out)
            case "!_" where args.count == 1:
                out += "!"
                writeChild(args[0], parens: precedence(args[0]) < 7, into: &out)
            case "-_" where args.count == 1:
                out += "-"
                // Parenthesize negative literals so "-(-1)" does not print as "--1",
                // and any number, so that "-(0)" does not read back as the literal -0
                // (the canonical text must parse to itself: found by the cel fuzzer).
                var number = false
                if case .literal(.int) = args[0].kind { number = true }
                // Infinities and NaN print as `double("…")` calls and read back as calls, so
                // they need no parentheses (with them, "-(double(…))" would reprint without).
                if case .literal(.double(let d)) = args[0].kind, d.isFinite { number = true }
                writeChild(
                    args[0], parens: number || (precedence(args[0]) <= 7 && !isUnaryCall(args[0], "-_")), into: &out)
            case "_[_]" where args.count == 2:
                writeChild(args[0], parens: precedence(args[0]) < 8, into: &out)
                out += "["
                write(args[1], into: &out)
                out += "]"
            default:
                out += name + "("
                writeArgs(args, into: &out)
                out += ")"
            }
        }
    }

    /// Whether `e` needs parentheses before `.field` or `.method(…)`: anything that binds
    /// looser than a primary, and a finite double literal, since the lexer reads `1.0.q` as
    /// one malformed number (found by the cel fuzzer); `(1.0).q` reads back as itself.
    static func needsParensBeforeDot(_ e: Expr) -> Bool {
        if case .literal(.double(let d)) = e.kind, d.isFinite { return true }
        return precedence(e) < 8
    }

    static func isUnaryCall(_ e: Expr, _ name: String) -> Bool {
        if case .call(nil, let n, _) = e.kind, n == name { return true }
        return false
    }

    static func writeArgs(_ args: [Expr], into out: inout String) {
        for (i, a) in args.enumerated() {
            if i > 0 { out += ", " }
            write(a, into: &out)
        }
    }
}

// MARK: - The syntax tree, read-only, for analyses outside this module

/// An expression's syntax tree as the parser built it, for tools that reason
/// about expressions (semantic diff, witness search). Operators are calls
/// with CEL's internal names: `_&&_`, `_||_`, `!_`, `-_`, `_?_:_`, `_==_`,
/// `_<_`, `@in`, `_[_]`, `_+_`…; macros are calls too (`has`, and `all`,
/// `exists`, `exists_one`, `map`, `filter` on a target). Offsets and lengths
/// count Unicode scalars into the source and point at the node's principal
/// token.
public struct CELSyntaxTree: Sendable {
    public indirect enum Kind: Sendable {
        case literal(CELValue)
        /// An unsigned literal (`1u`), which the checker rejects.
        case unsignedLiteral(UInt64)
        case identifier(String)
        case select(CELSyntaxTree, field: String)
        case call(target: CELSyntaxTree?, function: String, arguments: [CELSyntaxTree])
        case list([CELSyntaxTree])
        case map([(key: CELSyntaxTree, value: CELSyntaxTree)])
    }

    public let kind: Kind
    public let offset: Int
    public let length: Int
    private let expr: Expr

    /// The subtree printed in canonical form (`request.kind == "repair"`).
    public var canonicalText: String { Printer.print(expr) }

    init(_ e: Expr) {
        expr = e
        offset = e.offset
        length = e.length
        switch e.kind {
        case .literal(let v): kind = .literal(v)
        case .uintLiteral(let u): kind = .unsignedLiteral(u)
        case .ident(let n): kind = .identifier(n)
        case .select(let operand, let field): kind = .select(CELSyntaxTree(operand), field: field)
        case .call(let target, let name, let args):
            kind = .call(target: target.map(CELSyntaxTree.init), function: name, arguments: args.map(CELSyntaxTree.init))
        case .list(let items): kind = .list(items.map(CELSyntaxTree.init))
        case .map(let entries): kind = .map(entries.map { (CELSyntaxTree($0.0), CELSyntaxTree($0.1)) })
        }
    }

    /// The dotted name this node spells (`unit.installed_on`, `params.x`), if it is one.
    public var qualifiedName: String? {
        switch kind {
        case .identifier(let n): return n
        case .select(let operand, let field): return operand.qualifiedName.map { $0 + "." + field }
        default: return nil
        }
    }
}

extension CELProgram {
    /// The expression's syntax tree.
    public var syntax: CELSyntaxTree { CELSyntaxTree(ast) }
}
