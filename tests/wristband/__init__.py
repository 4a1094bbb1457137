"""The Wristband side: HTTP client, auto-configuration, JWT headers, deadlines, backoff."""
