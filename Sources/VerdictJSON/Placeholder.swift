// VerdictJSON
