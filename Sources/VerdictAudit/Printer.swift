import CEL

/// Expressions printed back from their syntax tree, for reasons that quote them.
enum Printer {
    static let binary: [String: (String, Int)] = [
        "_||_": ("||", 2), "_&&_": ("&&", 3), "_<_": ("<", 4), "_<=_": ("<=", 4), "_>_": (">", 4),
        "_>=_": (">=", 4), "_==_": ("==", 4), "_!=_": ("!=", 4), "@in": ("in", 4), "_+_": ("+", 5),
        "_-_": ("-", 5), "_*_": ("*", 6), "_/_": ("/", 6), "_%_": ("%", 6),
    ]

    /// `_+_` → `+`, `matches` → `matches`.
    static func functionName(_ f: String) -> String {
        if let b = binary[f] { return b.0 }
        switch f {
        case "!_": return "!"
        case "-_": return "-"
        case "_[_]": return "[]"
        case "_?_:_": return "?:"
        default: return f
        }
    }

    static func precedence(_ t: CELSyntaxTree) -> Int {
        guard case .call(let target, let f, _) = t.kind, target == nil else { return 8 }
        if let b = binary[f] { return b.1 }
        switch f {
        case "_?_:_": return 1
        case "!_", "-_": return 7
        default: return 8
        }
    }

    static func text(_ t: CELSyntaxTree) -> String {
        var out = ""
        write(t, &out)
        return out
    }

    private static func child(_ t: CELSyntaxTree, parens: Bool, _ out: inout String) {
        if parens { out += "(" }
        write(t, &out)
        if parens { out += ")" }
    }

    private static func write(_ t: CELSyntaxTree, _ out: inout String) {
        switch t.kind {
        case .literal(let v): out += v.celLiteral
        case .unsignedLiteral(let u): out += "\(u)u"
        case .identifier(let n): out += n
        case .select(let o, let field):
            child(o, parens: precedence(o) < 8, &out)
            out += "." + field
        case .list(let items):
            out += "[" + items.map(text).joined(separator: ", ") + "]"
        case .map(let entries):
            out += "{" + entries.map { text($0.key) + ": " + text($0.value) }.joined(separator: ", ") + "}"
        case .call(let target, let f, let args):
            if let target {
                child(target, parens: precedence(target) < 8, &out)
                out += "." + f + "(" + args.map(text).joined(separator: ", ") + ")"
                return
            }
            let p = precedence(t)
            if let b = binary[f], args.count == 2 {
                child(args[0], parens: precedence(args[0]) < p, &out)
                out += " " + b.0 + " "
                child(args[1], parens: precedence(args[1]) <= p, &out)
                return
            }
            switch (f, args.count) {
            case ("_?_:_", 3):
                child(args[0], parens: precedence(args[0]) <= 1, &out)
                out += " ? "
                child(args[1], parens: precedence(args[1]) <= 1, &out)
                out += " : "
                write(args[2], &out)
            case ("!_", 1), ("-_", 1):
                out += f == "!_" ? "!" : "-"
                child(args[0], parens: precedence(args[0]) < 7, &out)
            case ("_[_]", 2):
                child(args[0], parens: precedence(args[0]) < 8, &out)
                out += "[" + text(args[1]) + "]"
            default:
                out += f + "(" + args.map(text).joined(separator: ", ") + ")"
            }
        }
    }

    /// The text a regular expression's start spells literally (`^AB[0-9]` → `AB`),
    /// a value worth sampling.
    static func plainPrefix(ofRegex s: String) -> String {
        var out = ""
        var scalars = Substring(s).unicodeScalars.makeIterator()
        var first = true
        while let c = scalars.next() {
            if first, c == "^" {
                first = false
                continue
            }
            first = false
            if c == "\\" {
                guard let n = scalars.next() else { break }
                if CharacterSet.punctuation(n) { out.unicodeScalars.append(n) } else { break }
                continue
            }
            if "[](){}.*+?|$".unicodeScalars.contains(c) { break }
            out.unicodeScalars.append(c)
        }
        return out
    }
}

enum CharacterSet {
    static func punctuation(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && !(("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c))
    }
}
