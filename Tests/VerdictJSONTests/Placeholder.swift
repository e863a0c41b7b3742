import Testing

@Test func placeholder_VerdictJSONTests() {}
