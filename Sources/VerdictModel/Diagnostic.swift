import CEL

/// A stable code for each kind of problem `verdict` reports about policies:
/// printed with every diagnostic, listed in docs/diagnostics.md, matched by
/// tests and tools instead of message text (which may be reworded).
public struct DiagnosticCode: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `E0201`.
    public let id: String
    /// `unknown-key`.
    public let name: String

    init(_ id: String, _ name: String) {
        self.id = id
        self.name = name
    }

    public var description: String { id }

    public static func < (a: DiagnosticCode, b: DiagnosticCode) -> Bool { a.id < b.id }

    // E01xx: reading files and YAML.
    public static let noPolicyFolder = DiagnosticCode("E0101", "no-policy-folder")
    public static let unreadableFile = DiagnosticCode("E0102", "unreadable-file")
    public static let noPolicyFiles = DiagnosticCode("E0103", "no-policy-files")
    public static let emptyFile = DiagnosticCode("E0104", "empty-file")
    public static let yamlSyntax = DiagnosticCode("E0105", "yaml-syntax")
    public static let duplicateKey = DiagnosticCode("E0106", "duplicate-key")
    public static let unsupportedYAML = DiagnosticCode("E0107", "unsupported-yaml")
    public static let yamlLimit = DiagnosticCode("E0108", "yaml-limit")
    public static let invalidYAMLValue = DiagnosticCode("E0109", "invalid-yaml-value")
    public static let notUTF8 = DiagnosticCode("E0110", "not-utf8")

    // E02xx: the shape of a policy file.
    public static let unknownKey = DiagnosticCode("E0201", "unknown-key")
    public static let wrongShape = DiagnosticCode("E0202", "wrong-shape")
    public static let missingKey = DiagnosticCode("E0203", "missing-key")
    public static let invalidName = DiagnosticCode("E0204", "invalid-name")
    public static let invalidValue = DiagnosticCode("E0205", "invalid-value")
    public static let unknownType = DiagnosticCode("E0206", "unknown-type")
    public static let duplicateEnumValue = DiagnosticCode("E0207", "duplicate-enum-value")
    public static let conflictingKeys = DiagnosticCode("E0208", "conflicting-keys")
    public static let unsupportedFormat = DiagnosticCode("E0209", "unsupported-format-version")

    // E03xx: policies and how they extend and select.
    public static let duplicatePolicy = DiagnosticCode("E0301", "duplicate-policy")
    public static let unknownBase = DiagnosticCode("E0302", "unknown-base")
    public static let extendsCycle = DiagnosticCode("E0303", "extends-cycle")
    public static let duplicateInput = DiagnosticCode("E0304", "duplicate-input")
    public static let allAbstract = DiagnosticCode("E0305", "all-abstract")
    public static let missingAppliesTo = DiagnosticCode("E0306", "missing-applies-to")
    public static let abstractWithAppliesTo = DiagnosticCode("E0307", "abstract-applies-to")
    public static let overlappingPolicies = DiagnosticCode("E0308", "overlapping-policies")
    public static let selectorUnknownInput = DiagnosticCode("E0309", "selector-unknown-input")
    public static let selectorType = DiagnosticCode("E0310", "selector-type")
    public static let selectorValue = DiagnosticCode("E0311", "selector-value")
    public static let ambiguousVersions = DiagnosticCode("E0312", "ambiguous-versions")
    public static let versionedBase = DiagnosticCode("E0313", "versioned-base")
    public static let datedBy = DiagnosticCode("E0314", "dated-by")
    public static let extendsTooDeep = DiagnosticCode("E0315", "extends-too-deep")

    // E04xx: declarations (inputs, parameters, rules, catalogues).
    public static let missingType = DiagnosticCode("E0401", "missing-type")
    public static let missingClause = DiagnosticCode("E0402", "missing-clause")
    public static let missingLabel = DiagnosticCode("E0403", "missing-label")
    public static let missingValue = DiagnosticCode("E0404", "missing-value")
    public static let missingBody = DiagnosticCode("E0405", "missing-body")
    public static let typeMismatch = DiagnosticCode("E0406", "type-mismatch")
    public static let outOfRange = DiagnosticCode("E0407", "out-of-range")
    public static let minAboveMax = DiagnosticCode("E0408", "min-above-max")
    public static let notAnEnumValue = DiagnosticCode("E0409", "not-an-enum-value")
    public static let reservedName = DiagnosticCode("E0410", "reserved-name")
    public static let nameClash = DiagnosticCode("E0411", "name-clash")
    public static let unknownCatalog = DiagnosticCode("E0412", "unknown-catalogue")
    public static let unknownCatalogEntry = DiagnosticCode("E0413", "unknown-catalogue-entry")
    public static let duplicateItem = DiagnosticCode("E0414", "duplicate-item")
    public static let tableShape = DiagnosticCode("E0415", "table-shape")
    public static let itemsShape = DiagnosticCode("E0416", "items-shape")

    // E05xx: expressions.
    public static let expressionSyntax = DiagnosticCode("E0501", "expression-syntax")
    public static let expressionLimit = DiagnosticCode("E0502", "expression-limit")
    public static let unknownReference = DiagnosticCode("E0503", "unknown-reference")
    public static let expressionType = DiagnosticCode("E0504", "expression-type")
    public static let resultType = DiagnosticCode("E0505", "result-type")
    public static let invalidLiteral = DiagnosticCode("E0506", "invalid-literal")
    public static let invalidRegex = DiagnosticCode("E0507", "invalid-regex")

    // E07xx: test files.
    public static let unknownDecision = DiagnosticCode("E0701", "unknown-decision")
    public static let unknownTicketField = DiagnosticCode("E0702", "unknown-ticket-field")
    public static let expectationType = DiagnosticCode("E0703", "expectation-type")
    public static let ticketType = DiagnosticCode("E0704", "ticket-type")
    public static let casePolicy = DiagnosticCode("E0705", "case-policy")

    // W08xx: warnings (a policy that works, but probably not as meant). They fail `check --strict`.
    public static let unusedInput = DiagnosticCode("W0801", "unused-input")
    public static let unusedParameter = DiagnosticCode("W0802", "unused-parameter")
    public static let unusedRule = DiagnosticCode("W0803", "unused-rule")
    public static let unusedCatalogEntry = DiagnosticCode("W0804", "unused-catalogue-entry")
    public static let likeInheritedName = DiagnosticCode("W0805", "like-an-inherited-name")
    public static let uncoveredSelectors = DiagnosticCode("W0806", "uncovered-selectors")
    public static let tableGap = DiagnosticCode("W0807", "table-gap")
    public static let maskedRow = DiagnosticCode("W0808", "masked-row")
    public static let tableOverlap = DiagnosticCode("W0809", "table-overlap")
    public static let tableNotAnalysed = DiagnosticCode("W0810", "table-not-analysed")

    // E06xx: the rule graph.
    public static let ruleCycle = DiagnosticCode("E0601", "rule-cycle")
    public static let ruleChainTooLong = DiagnosticCode("E0602", "rule-chain-too-long")
    public static let costOverBudget = DiagnosticCode("E0603", "cost-over-budget")

    /// The code of a problem inside an expression.
    public static func expression(_ kind: CELDiagnostic.Kind) -> DiagnosticCode {
        switch kind {
        case .syntax: .expressionSyntax
        case .limit: .expressionLimit
        case .undeclared: .unknownReference
        case .type: .expressionType
        case .value: .invalidLiteral
        case .regex: .invalidRegex
        }
    }

    /// Every code, in order: the list docs/diagnostics.md documents (a test keeps them in step).
    public static let all: [DiagnosticCode] = [
        noPolicyFolder, unreadableFile, noPolicyFiles, emptyFile, yamlSyntax, duplicateKey, unsupportedYAML, yamlLimit,
        invalidYAMLValue, notUTF8,
        unknownKey, wrongShape, missingKey, invalidName, invalidValue, unknownType, duplicateEnumValue,
        conflictingKeys, unsupportedFormat,
        duplicatePolicy, unknownBase, extendsCycle, duplicateInput, allAbstract, missingAppliesTo,
        abstractWithAppliesTo, overlappingPolicies, selectorUnknownInput, selectorType, selectorValue,
        ambiguousVersions, versionedBase, datedBy, extendsTooDeep,
        missingType, missingClause, missingLabel, missingValue, missingBody, typeMismatch, outOfRange, minAboveMax,
        notAnEnumValue, reservedName, nameClash, unknownCatalog, unknownCatalogEntry, duplicateItem, tableShape,
        itemsShape,
        expressionSyntax, expressionLimit, unknownReference, expressionType, resultType, invalidLiteral,
        invalidRegex,
        ruleCycle, ruleChainTooLong, costOverBudget,
        unknownDecision, unknownTicketField, expectationType, ticketType, casePolicy,
        unusedInput, unusedParameter, unusedRule, unusedCatalogEntry, likeInheritedName, uncoveredSelectors, tableGap,
        maskedRow, tableOverlap, tableNotAnalysed,
    ]
}

/// A problem found while loading or checking policies: a value, kept apart
/// from its rendering (see `DiagnosticRenderer`).
public struct PolicyDiagnostic: Error, Hashable, Sendable, Comparable {
    public enum Severity: String, Sendable, Hashable {
        /// Fails `check` (and loading).
        case error
        /// Fails `check --strict` only.
        case warning
        /// Information `check` lists (a declared gap, a table it could not analyse); fails nothing.
        case note
    }

    public var code: DiagnosticCode
    /// Path of the policy file as given (relative to the working directory when the caller passed a relative one).
    public var file: String
    /// 1-based line; 0 for a problem with a whole file or folder (no position).
    public var line: Int
    /// 1-based column, counted in Unicode scalars (characters as libyaml counts them).
    public var column: Int
    /// How many scalars the caret underlines (at least 1).
    public var length: Int
    public var severity: Severity
    /// One line, lowercase, user text in backticks.
    public var message: String
    /// An optional hint, e.g. "did you mean `installed_on`?".
    public var help: String?

    public init(
        _ code: DiagnosticCode, file: String, line: Int, column: Int, length: Int = 1, severity: Severity = .error,
        message: String, help: String? = nil
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.length = max(1, length)
        self.severity = severity
        self.message = message
        self.help = help
    }

    /// A diagnostic at a place in a policy file.
    public init(_ code: DiagnosticCode, at: SourceRef, message: String, help: String? = nil) {
        self.init(
            code, file: at.file, line: at.line, column: at.column, length: at.length, message: message, help: help)
    }

    /// A diagnostic about a whole file or folder (no position).
    public init(_ code: DiagnosticCode, file: String, message: String, help: String? = nil) {
        self.init(code, file: file, line: 0, column: 0, message: message, help: help)
    }

    public static func < (a: PolicyDiagnostic, b: PolicyDiagnostic) -> Bool {
        (a.file, a.line, a.column, a.message) < (b.file, b.line, b.column, b.message)
    }
}

/// Every problem found, sorted by file and position; never empty when thrown.
public struct PolicyLoadError: Error, Sendable {
    public var diagnostics: [PolicyDiagnostic]
    /// The text of each file that was read, to render source lines with a caret.
    public var sources: [String: [UInt8]]

    public init(diagnostics: [PolicyDiagnostic], sources: [String: [UInt8]]) {
        self.diagnostics = diagnostics
        self.sources = sources
    }
}

/// Collects diagnostics while a stage works through a policy.
public struct DiagnosticLog: Sendable {
    public private(set) var diagnostics: [PolicyDiagnostic] = []

    public init() {}

    public mutating func error(_ code: DiagnosticCode, _ at: SourceRef, _ message: String, help: String? = nil) {
        diagnostics.append(PolicyDiagnostic(code, at: at, message: message, help: help))
    }

    public mutating func append(_ d: PolicyDiagnostic) { diagnostics.append(d) }
    public mutating func append(contentsOf ds: [PolicyDiagnostic]) { diagnostics += ds }

    public var isEmpty: Bool { diagnostics.isEmpty }
    public var count: Int { diagnostics.count }
}
