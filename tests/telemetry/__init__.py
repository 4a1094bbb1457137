"""The optional OpenTelemetry instrumentation: spans, metrics, no secrets, no cost without it."""
