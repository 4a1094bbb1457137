"""The endpoints (Login, Callback, Logout, Session, Token): edge cases, restarts, hooks."""
