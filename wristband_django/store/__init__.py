"""The session store: the Wristband entry in ``request.session``, sealing at rest, the newest
tokens beside it, per-session locks, strict reads that tell an outage from "no session",
and the admin's login records."""
