/// JSON Schemas (draft 2020-12) of the policy format and of the test-file
/// format, built from the same key lists the decoders read (`FormatKeys`,
/// `TestFormatKeys`), so that the schemas cannot fall behind the format.
/// Editors use them (yaml-language-server) to complete keys and flag
/// mistakes as the owner types; `verdict schema` prints them, and
/// `docs/schema/` keeps a copy that a test compares.
///
/// A schema says what a file may look like; `verdict check` says more (types
/// of values, names that exist, expressions): a file the schema accepts can
/// still fail `check`, never the other way round for the keys it describes.
public enum PolicySchema {
    public static let policyID = "urn:verdict:schema:policy:1"
    public static let testID = "urn:verdict:schema:test:1"

    /// The policy format, as pretty-printed JSON with a final newline.
    public static func policy() -> String { render(policySchema()) }

    /// The test-file format (`verdict test`), as pretty-printed JSON.
    public static func testFile() -> String { render(testSchema()) }

    // MARK: - A small ordered JSON tree

    indirect enum Node {
        case object([(String, Node)])
        case array([Node])
        case string(String)
        case int(Int)
        case bool(Bool)
    }

    static func obj(_ members: (String, Node)...) -> Node { .object(members) }
    static func ref(_ name: String) -> Node { obj(("$ref", .string("#/$defs/\(name)"))) }
    static func types(_ names: String...) -> Node { .array(names.map(Node.string)) }
    static func strings(_ values: [String]) -> Node { .array(values.map(Node.string)) }
    static func described(_ text: String, _ node: Node) -> Node {
        guard case .object(let members) = node else { return node }
        return .object([("description", .string(text))] + members)
    }

    /// A mapping with exactly these keys (each with its schema), in `keys` order.
    static func closed(_ keys: [String], _ schemas: [String: Node], required: [String] = [], description: String? = nil)
        -> Node
    {
        var members: [(String, Node)] = []
        if let description { members.append(("description", .string(description))) }
        members.append(("type", .string("object")))
        members.append(("properties", .object(keys.map { ($0, schemas[$0] ?? obj()) })))
        if !required.isEmpty { members.append(("required", strings(required))) }
        members.append(("additionalProperties", .bool(false)))
        return .object(members)
    }

    /// A mapping of names the owner chooses to values of one schema.
    static func named(_ value: Node, description: String) -> Node {
        obj(
            ("description", .string(description)), ("type", .string("object")),
            ("propertyNames", ref("name")), ("additionalProperties", value))
    }

    // MARK: - The policy format

    static let scalarTypes = ["bool", "int", "double", "string", "date", "timestamp"]

    static func policySchema() -> Node {
        let file: [String: Node] = [
            "verdict": described("The policy format version.", obj(("const", .int(1)))),
            "policy": described("The policy's name; versions of one policy share it.", ref("name")),
            "version": described("The version's name, named in every answer (e.g. \"2026.2\").", obj(("type", .string("string")))),
            "effective_from": described("The first day this version is in force (YYYY-MM-DD).", ref("date")),
            "dated_by": described("The date or timestamp input that chooses the version (default opened_at).", ref("path")),
            "extends": described("The policy this one inherits from.", ref("name")),
            "abstract": described("A base that answers no ticket itself.", obj(("type", .string("boolean")))),
            "applies_to": described(
                "Which tickets this policy answers: input → one value or a list of values.",
                obj(
                    ("type", .string("object")), ("propertyNames", ref("path")),
                    ("additionalProperties", obj(("oneOf", .array([obj(("type", .string("string"))), obj(("type", .string("array")), ("items", obj(("type", .string("string")))), ("minItems", .int(1)))])))))),
            "title": ref("label"),
            "sections": described(
                "The guideline sections whose clauses explanations cite.",
                obj(("type", .string("array")), ("items", obj(("type", types("string", "number")))))),
            "inputs": named(ref("input"), description: "The ticket's fields."),
            "parameters": named(ref("parameter"), description: "Named constants of the guideline."),
            "rules": named(ref("rule"), description: "Decisions and intermediate values."),
            "catalogs": named(named(ref("entry"), description: "Entries by id."), description: "Ids with labels (forms, fees, departments…)."),
        ]
        let input: [String: Node] = [
            "type": obj(("enum", strings(scalarTypes + ["enum", "object", "list"]))),
            "values": obj(("type", .string("array")), ("items", obj(("type", .string("string")))), ("minItems", .int(1))),
            "optional": obj(("type", .string("boolean"))),
            "default": obj(("type", types("string", "number", "boolean"))),
            "min": obj(("type", .string("integer"))),
            "max": obj(("type", .string("integer"))),
            "max_items": obj(("type", .string("integer")), ("minimum", .int(0))),
            "label": ref("label"),
            "fields": named(ref("input"), description: "The fields of an object input."),
            "of": obj(("type", .string("string"))),
            "informational": ref("informational"),
        ]
        let parameter: [String: Node] = [
            "type": obj(("enum", strings(scalarTypes + ["enum", "list"]))),
            "of": obj(("type", .string("string"))),
            "values": obj(("type", .string("array")), ("items", obj(("type", .string("string"))))),
            "value": obj(("type", types("string", "number", "boolean", "array"))),
            "min": obj(("type", .string("number"))),
            "max": obj(("type", .string("number"))),
            "clause": ref("clause"),
            "label": ref("label"),
            "informational": ref("informational"),
        ]
        let rule: [String: Node] = [
            "type": obj(("enum", strings(scalarTypes + ["enum", "list"]))),
            "of": obj(("type", .string("string"))),
            "values": obj(("type", .string("array")), ("items", obj(("type", .string("string"))))),
            "decision": obj(("type", .string("boolean"))),
            "clause": ref("clause"),
            "label": ref("label"),
            "expr": ref("expression"),
            "table": ref("table"),
            "items": obj(("type", .string("array")), ("items", ref("item")), ("minItems", .int(1))),
        ]
        let row: [String: Node] = ["when": ref("expression"), "then": ref("expression"), "clause": ref("clause"), "label": ref("label")]
        let table: [String: Node] = [
            "hit": obj(("enum", strings(["first", "unique", "collect"]))),
            "rows": obj(("type", .string("array")), ("items", ref("row")), ("minItems", .int(1))),
            "default": ref("defaultRow"),
            "gaps": obj(("type", .string("array")), ("items", ref("gap")), ("minItems", .int(1))),
        ]
        let item: [String: Node] = ["id": ref("name"), "when": ref("expression"), "clause": ref("clause"), "label": ref("label")]
        let entry: [String: Node] = [
            "label": ref("label"), "clause": ref("clause"), "amount": obj(("type", .string("number"))),
            "currency": obj(("type", .string("string"))), "informational": ref("informational"),
        ]
        let gap: [String: Node] = ["when": ref("expression"), "clause": ref("clause"), "label": ref("label")]
        let defs: [(String, Node)] = [
            ("name", obj(("type", .string("string")), ("pattern", .string("^[a-z_][a-z0-9_]*$")))),
            ("path", obj(("type", .string("string")), ("pattern", .string("^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*$")))),
            ("date", obj(("type", .string("string")), ("pattern", .string("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")))),
            ("label", closed(["zh", "en"], ["zh": obj(("type", .string("string"))), "en": obj(("type", .string("string")))], required: ["zh", "en"], description: "Text in Chinese and English.")),
            ("clause", described(
                "The guideline clause(s) it comes from, e.g. \"7.1.6\".",
                obj(("oneOf", .array([obj(("type", types("string", "number"))), obj(("type", .string("array")), ("items", obj(("type", types("string", "number")))), ("minItems", .int(1)))]))))),
            ("informational", described("Kept for the record: not reported when nothing uses it.", obj(("type", .string("boolean"))))),
            ("expression", described("A CEL expression (a plain number or true/false is one too).", obj(("type", types("string", "number", "boolean"))))),
            ("input", obj(("oneOf", .array([
                described("Shorthand: the type alone.", obj(("enum", strings(scalarTypes)))),
                closed(FormatKeys.input, input, required: ["type"]),
            ])))),
            ("parameter", closed(FormatKeys.parameter, parameter)),
            ("rule", closed(FormatKeys.rule, rule)),
            ("table", closed(FormatKeys.table, table, required: ["rows"])),
            ("row", closed(FormatKeys.row, row, required: ["when", "then"])),
            ("defaultRow", closed(FormatKeys.row.filter { $0 != "when" }, row, required: ["then"])),
            ("gap", closed(FormatKeys.gap, gap, required: ["when", "clause"])),
            ("item", closed(FormatKeys.item, item, required: ["id", "when"])),
            ("entry", closed(FormatKeys.entry, entry)),
        ]
        var root = closed(FormatKeys.file, file, required: ["verdict", "policy"], description: "A verdict policy file (docs/policy-format.md).")
        if case .object(let members) = root {
            root = .object(
                [("$schema", .string("https://json-schema.org/draft/2020-12/schema")), ("$id", .string(policyID)), ("title", .string("verdict policy"))]
                    + members + [("$defs", .object(defs))])
        }
        return root
    }

    // MARK: - The test-file format

    static func testSchema() -> Node {
        let answer = obj(("description", .string("An expected answer: a value, `undetermined`, or {undetermined: reason}.")))
        let testCase: [String: Node] = [
            "name": obj(("type", .string("string"))),
            "ticket": obj(("description", .string("Fields merged over the base ticket.")), ("type", .string("object"))),
            "raw_ticket": obj(("description", .string("The whole ticket as one JSON line, used as is.")), ("type", .string("string"))),
            "policy": obj(("type", .string("string"))),
            "expect": obj(("type", .string("object")), ("additionalProperties", answer)),
            "expect_error": obj(("type", .string("string"))),
        ]
        let file: [String: Node] = [
            "verdict_test": obj(("const", .int(1))),
            "description": obj(("type", .string("string"))),
            "policy": obj(("description", .string("name or name@version: the policy that must answer every case.")), ("type", .string("string"))),
            "ticket": obj(("description", .string("The base ticket every case starts from.")), ("type", .string("object"))),
            "cases": obj(("type", .string("array")), ("items", closed(TestFormatKeys.testCase, testCase, required: ["name"])), ("minItems", .int(1))),
        ]
        var root = closed(TestFormatKeys.file, file, required: ["verdict_test", "cases"], description: "A verdict test file (docs/testing.md).")
        if case .object(let members) = root {
            root = .object(
                [("$schema", .string("https://json-schema.org/draft/2020-12/schema")), ("$id", .string(testID)), ("title", .string("verdict test file"))]
                    + members)
        }
        return root
    }

    // MARK: - Printing

    static func render(_ node: Node) -> String {
        var out = ""
        write(node, indent: 0, &out)
        return out + "\n"
    }

    static func write(_ node: Node, indent: Int, _ out: inout String) {
        let pad = String(repeating: " ", count: indent + 2)
        switch node {
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += pad + quote(key) + ": "
                write(value, indent: indent + 2, &out)
                out += i < members.count - 1 ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case .array(let items):
            // Short arrays of plain values stay on one line.
            if items.allSatisfy({ if case .string = $0 { true } else if case .int = $0 { true } else { false } }) {
                var parts: [String] = []
                for item in items {
                    var s = ""
                    write(item, indent: 0, &s)
                    parts.append(s)
                }
                out += "[" + parts.joined(separator: ", ") + "]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 2, &out)
                out += i < items.count - 1 ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .string(let s): out += quote(s)
        case .int(let n): out += String(n)
        case .bool(let b): out += b ? "true" : "false"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
