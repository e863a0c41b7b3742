import CEL
import VerdictModel
import VerdictYAML

/// The keys of a test file (docs/testing.md).
public enum TestFormatKeys {
    public static let file = ["verdict_test", "description", "policy", "ticket", "cases"]
    public static let testCase = ["name", "ticket", "raw_ticket", "policy", "expect", "expect_error"]
}

/// Reads one test file's bytes into a `TestSuiteDocument`, reporting every problem with its position.
public enum TestFileReader {
    public static func read(path: String, bytes: [UInt8]) -> (TestSuiteDocument?, [PolicyDiagnostic]) {
        switch YAMLDocument.parse(bytes) {
        case .failure(let errors):
            let diagnostics = errors.diagnostics.map { d in
                PolicyDiagnostic(
                    PolicyFileReader.code(d.kind), file: path, line: d.mark.line, column: d.mark.column,
                    length: d.length ?? 1, message: d.message, help: YAMLHints.help(for: d.message))
            }
            return (nil, diagnostics)
        case .success(nil):
            return (nil, [PolicyDiagnostic(.emptyFile, file: path, message: "the test file is empty")])
        case .success(let root?):
            var decoder = PolicyDecoder(file: path)
            let suite = decoder.testSuite(root)
            return (suite, decoder.log.diagnostics)
        }
    }
}

extension PolicyDecoder {
    mutating func testSuite(_ root: YAMLNode) -> TestSuiteDocument? {
        guard let f = fields(root, "a test file", allowed: TestFormatKeys.file, required: ["verdict_test", "cases"])
        else { return nil }
        if let v = f["verdict_test"], let version = int(v.value, "`verdict_test` (the format version)"), version != 1 {
            error(.unsupportedFormat, v.value, "unsupported test format version \(version); this verdict reads version 1")
        }
        var suite = TestSuiteDocument(path: file)
        if let p = f["description"] { suite.description = string(p.value, "`description`") }
        if let p = f["policy"] {
            suite.policy = string(p.value, "`policy`")
            suite.policyAt = ref(p.value)
        }
        if let p = f["ticket"] { suite.base = ticket(p.value) }
        if let p = f["cases"] {
            guard case .sequence(let items) = p.value.kind, !items.isEmpty else {
                error(.wrongShape, p.value, "`cases` must be a list of cases, each with `name` and `expect`")
                return suite
            }
            for (i, item) in items.enumerated() {
                if let c = testCase(item, number: i + 1) { suite.cases.append(c) }
            }
        }
        return suite
    }

    mutating func ticket(_ node: YAMLNode) -> Literal? {
        guard case .mapping = node.kind else {
            error(.wrongShape, node, "`ticket` must be a mapping of ticket fields")
            return nil
        }
        return Literal(node, file: file)
    }

    mutating func testCase(_ node: YAMLNode, number: Int) -> TestCaseDecl? {
        guard let f = fields(node, "case \(number)", allowed: TestFormatKeys.testCase, required: ["name"]),
            let nameNode = f["name"]?.value, let name = string(nameNode, "`name`")
        else { return nil }
        var c = TestCaseDecl(name: name, at: ref(node))
        if let p = f["ticket"] { c.ticket = ticket(p.value) }
        if let p = f["raw_ticket"] { c.rawTicket = string(p.value, "`raw_ticket`") }
        if let p = f["policy"] {
            c.policy = string(p.value, "`policy`")
            c.policyAt = ref(p.value)
        }
        if let p = f["expect_error"] { c.expectError = string(p.value, "`expect_error`") }
        if let p = f["expect"] {
            guard case .mapping(let pairs) = p.value.kind else {
                error(.wrongShape, p.value, "`expect` must be a mapping of decisions to their expected answers")
                return c
            }
            for pair in pairs {
                guard case .scalar(let k) = pair.key.kind else {
                    error(.wrongShape, pair.key, "keys in `expect` must be decision names")
                    continue
                }
                c.expectations.append((k.text, ref(pair.key), expectation(pair.value)))
            }
        }
        if c.expectations.isEmpty, c.expectError == nil {
            error(.missingKey, node, "case `\(name)` needs `expect` (answers to check) or `expect_error`")
        }
        return c
    }

    /// `undetermined`, `{undetermined: "reason"}`, or a value.
    mutating func expectation(_ node: YAMLNode) -> Expectation {
        if case .scalar(let s) = node.kind, !s.isQuoted, s.text == "undetermined" { return .undetermined(reason: nil) }
        if case .mapping(let pairs) = node.kind, pairs.count == 1, pairs[0].key.scalar?.text == "undetermined" {
            return .undetermined(reason: string(pairs[0].value, "the reason"))
        }
        return .value(Literal(node, file: file))
    }
}
