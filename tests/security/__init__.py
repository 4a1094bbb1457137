"""The threat suites behind docs/SECURITY.md: fuzzing, hostile input, leaks, amplification."""
