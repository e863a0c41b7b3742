// VerdictYAML
