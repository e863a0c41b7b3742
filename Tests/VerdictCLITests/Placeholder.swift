import Testing

@Test func placeholder_VerdictCLITests() {}
