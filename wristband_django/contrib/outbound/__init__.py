"""Call your own APIs with the user's or the machine's Wristband access token.

``requests_auth.WristbandRequestsAuth`` (``requests``) and ``httpx_auth.WristbandHttpxAuth``
(``httpx``, sync and async: the ``httpx`` extra) send ``Authorization: Bearer <token>``
with the token of a request's session, of a session by its key (background jobs), or of a
``MachineTokenProvider``; on a 401 they renew the token once (``tokens``) and retry once.
Timeouts when the caller sets none, and deadlines: ``timeouts``.
"""
