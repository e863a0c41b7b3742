import Testing

@Test func placeholder_CELTests() {}
