import Testing

@Test func placeholder_VerdictYAMLTests() {}
