"""The session store: the Wristband entry in ``request.session``, sealing at rest, the newest
tokens beside it, per-session locks, strict reads that tell an outage from "no session",
and the admin's login records.

The flows reach one session through one face, ``store.stored_session.StoredSession`` (lock,
strict load with the newest tokens, keep, save, delete, refresh back-off, unanswered-refresh
record), as Django's code reaches one through ``SessionBase``; the modules behind it (locks,
newest tokens, back-off, unanswered refreshes) are the store's own (an import-linter
contract keeps them so)."""
