"""Talking to Wristband: the HTTP client, auto-configuration, the URLs a browser is sent to,
tenant rules, and token validation against Wristband's keys. Never touches the session
store or the database."""
