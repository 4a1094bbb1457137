"""The session store: what a login writes, rolling expiry, ending a session, tokens at rest."""
