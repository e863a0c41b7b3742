/// One test file as written: a base ticket shared by its cases, and cases
/// that override parts of it and expect answers for some decisions.
/// (docs/testing.md describes the format.)
public struct TestSuiteDocument: Sendable {
    public var path: String
    public var description: String?
    /// The ticket every case starts from (deep-merged with the case's own).
    public var base: Literal?
    /// `name` or `name@version`: the policy every case expects to answer it.
    public var policy: String?
    public var policyAt: SourceRef?
    public var cases: [TestCaseDecl]

    public init(path: String) {
        self.path = path
        self.description = nil
        self.base = nil
        self.policy = nil
        self.policyAt = nil
        self.cases = []
    }
}

/// What a test case expects of one decision.
public enum Expectation: Sendable {
    case value(Literal)
    /// Undetermined; with a text, the reason must contain it.
    case undetermined(reason: String?)
}

public struct TestCaseDecl: Sendable {
    public var name: String
    public var at: SourceRef
    /// Merged over the suite's base ticket: objects field by field, anything else replaced.
    public var ticket: Literal?
    /// A raw JSON line used as is (for hostile input), instead of the merged ticket.
    public var rawTicket: String?
    public var policy: String?
    public var policyAt: SourceRef?
    public var expectations: [(decision: String, at: SourceRef, expected: Expectation)]
    /// The case expects an error line whose message contains this text.
    public var expectError: String?

    public init(name: String, at: SourceRef) {
        self.name = name
        self.at = at
        self.ticket = nil
        self.rawTicket = nil
        self.policy = nil
        self.policyAt = nil
        self.expectations = []
        self.expectError = nil
    }
}
