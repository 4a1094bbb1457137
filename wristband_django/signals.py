"""Signals. The sender is always ``WristbandSession``, the class of what every signal is about
(as Django's auth signals send the user's class), so ``receiver(signal,
sender=WristbandSession)`` catches each one whichever view, middleware, DRF class or admin
action caused it. Receivers get ``sender``, ``request`` and these keyword arguments:

``login_completed``
    ``session`` (the new ``WristbandSession``), ``custom_state`` (the login's custom state).
``tokens_refreshed``
    ``session`` (with the new tokens).
``refresh_failed``
    ``user_id``, ``error`` (the ``WristbandError``); the session has been ended.
``logged_out``
    ``user_id`` (``None`` if there was no Wristband session).
``session_ended_by_admin``
    ``user_id``, ``tenant_id``; ``request`` is the admin's.

No signal carries a token outside the ``WristbandSession`` object, whose repr hides them.
"""

from django.dispatch import Signal

login_completed = Signal()
tokens_refreshed = Signal()
refresh_failed = Signal()
logged_out = Signal()
session_ended_by_admin = Signal()
