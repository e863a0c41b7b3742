// VerdictEngine
