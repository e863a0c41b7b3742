import Testing

@Test func placeholder_VerdictEngineTests() {}
