// Type errors in a policy owner's words: what the operator or function
// wanted, what it got, and the likely fix. The checker reports these instead
// of CEL's "found no matching overload for `_<_` applied to `(date, int)`";
// the CEL form stays in the run-time error value, where the specification
// fixes it.

/// Words for types and the messages built from them.
public enum TypeWords {
    /// `a date`, `a whole number (int)`, `text (string)`, `a list of texts (list(string))`.
    public static func noun(_ t: CELType) -> String {
        switch t {
        case .bool: return "true or false (bool)"
        case .int: return "a whole number (int)"
        case .double: return "a decimal number (double)"
        case .string: return "text (string)"
        case .null: return "null"
        case .date: return "a date"
        case .timestamp: return "a timestamp"
        case .dyn: return "a value of any type"
        case .list(let e): return e == .dyn ? "a list" : "a list of \(plural(e)) (\(t))"
        case .map: return "a map (\(t))"
        }
    }

    /// `dates`, `whole numbers`, `texts`.
    static func plural(_ t: CELType) -> String {
        switch t {
        case .bool: return "true/false values"
        case .int: return "whole numbers"
        case .double: return "decimal numbers"
        case .string: return "texts"
        case .null: return "nulls"
        case .date: return "dates"
        case .timestamp: return "timestamps"
        case .dyn: return "values"
        case .list: return "lists"
        case .map: return "maps"
        }
    }

    /// The operator as written: `_<_` → `<`, `@in` → `in`, `_[_]` → `[…]`.
    static func symbol(_ fn: String) -> String {
        switch fn {
        case "@in": return "in"
        case "_[_]": return "[…]"
        case "_?_:_": return "? :"
        case "!_": return "!"
        case "-_": return "-"
        default:
            if fn.hasPrefix("_"), fn.hasSuffix("_"), fn.count > 2 { return String(fn.dropFirst().dropLast()) }
            return fn
        }
    }

    /// A likely fix for two types that were put side by side (either order).
    public static func pairHelp(_ a: CELType, _ b: CELType) -> String? {
        func either(_ x: CELType, _ y: CELType) -> Bool { (a == x && b == y) || (a == y && b == x) }
        if either(.date, .int) {
            return "a date compares with a date: shift one by a number with `.addDays(n)` or `.addMonths(n)`, or write a fixed day as `date('2026-01-31')`"
        }
        if either(.date, .string) { return "write a fixed day as `date('2026-01-31')`, not as text" }
        if either(.timestamp, .string) { return "write a fixed time as `timestamp('2026-01-31T09:00:00+08:00')`, not as text" }
        if either(.timestamp, .date) { return "take a timestamp's calendar day with `date(t)` to compare it with a date" }
        if either(.timestamp, .int) { return "shift a timestamp by hours with `.addHours(n)`; compare it with a timestamp" }
        if either(.int, .string) { return "write a number without quotes (`2`, not `'2'`), or convert text with `int(s)`" }
        if either(.double, .string) { return "write a number without quotes (`2.5`, not `'2.5'`)" }
        if either(.bool, .string) { return "write `true` or `false` without quotes" }
        if either(.int, .double) { return "write both as whole numbers or both as decimals (`2.0`), or convert with `double(n)`" }
        if a == .null || b == .null {
            return "only an optional object (or `dyn`) can be null; to ask whether a field was given, use `has(object.field)`"
        }
        return nil
    }

    /// The message and help for arguments no overload of `fn` accepts.
    static func mismatch(
        _ fn: String, _ args: [CELType], overloads: [([CELType], CELType)], isMethod: Bool
    ) -> (message: String, help: String?) {
        let op = symbol(fn)
        switch fn {
        case "_<_", "_<=_", "_>_", "_>=_" where args.count == 2:
            return (
                "`\(op)` compares \(noun(args[0])) with \(noun(args[1]))",
                pairHelp(args[0], args[1]) ?? "both sides must be the same kind of value: numbers, text, dates or timestamps"
            )
        case "_==_", "_!=_" where args.count == 2:
            return (
                "`\(op)` compares \(noun(args[0])) with \(noun(args[1])): they can never be equal",
                pairHelp(args[0], args[1]) ?? "compare values of the same kind"
            )
        case "_+_" where args.count == 2:
            var help = pairHelp(args[0], args[1])
            if args.contains(.date) { help = "to move a date, use `.addDays(n)` or `.addMonths(n)`" }
            if args.contains(.string), args.contains(where: { $0 != .string }) {
                help = "to join text with another value, convert it first: `'…' + string(x)`"
            }
            return ("`+` cannot add \(noun(args[0])) and \(noun(args[1]))", help ?? "add numbers, texts or lists of one kind")
        case "_-_", "_*_", "_/_", "_%_" where args.count == 2:
            let what = fn == "_%_" ? "two whole numbers" : "two numbers of one kind"
            var help = pairHelp(args[0], args[1])
            if args.contains(.date) { help = "count the days between two dates with `a.daysUntil(b)`; move a date with `.addDays(-n)`" }
            return ("`\(op)` needs \(what), not \(noun(args[0])) and \(noun(args[1]))", help)
        case "!_" where args.count == 1:
            return ("`!` needs true or false, not \(noun(args[0]))", nil)
        case "-_" where args.count == 1:
            return ("`-` needs a number, not \(noun(args[0]))", nil)
        case "_?_:_" where !args.isEmpty:
            return ("the condition before `?` must be true or false, not \(noun(args[0]))", nil)
        case "@in" where args.count == 2:
            switch args[1] {
            case .list(let e):
                return (
                    "`in` looks for \(noun(args[0])) in a list of \(plural(e)): it can never be found",
                    pairHelp(args[0], e) ?? "look for a value of the list's own kind")
            case .map(let k, _):
                return (
                    "`in` looks for \(noun(args[0])) among the keys of a map with \(plural(k)) as keys: it can never be found",
                    pairHelp(args[0], k))
            default:
                return ("`in` needs a list or a map on its right, not \(noun(args[1]))", "write a list such as `['a', 'b']`")
            }
        case "_[_]" where args.count == 2:
            switch args[0] {
            case .list: return ("a list is indexed by a position (int), not \(noun(args[1]))", nil)
            case .map(let k, _): return ("this map's keys are \(plural(k)), not \(noun(args[1]))", nil)
            default: return ("`[…]` needs a list or a map, not \(noun(args[0]))", nil)
            }
        default:
            let forms = overloads.map { o -> String in
                if isMethod, let receiver = o.0.first {
                    return "\(receiver).\(fn)(\(o.0.dropFirst().map(\.description).joined(separator: ", ")))"
                }
                return "\(fn)(\(o.0.map(\.description).joined(separator: ", ")))"
            }
            let help = forms.isEmpty ? nil : "it takes " + forms.joined(separator: " or ")
            if isMethod, let receiver = args.first {
                let rest = args.dropFirst().map(noun)
                let with = rest.isEmpty ? "" : " with " + rest.joined(separator: " and ")
                return ("`.\(fn)(…)` cannot be used on \(noun(receiver))\(with)", help)
            }
            let given = args.isEmpty ? "nothing" : args.map(noun).joined(separator: " and ")
            return ("`\(fn)(…)` cannot take \(given)", help)
        }
    }
}
